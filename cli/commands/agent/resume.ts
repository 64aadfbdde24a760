import { Args } from '@oclif/core';
import { DashCommand } from '../../base.js';

export default class AgentResume extends DashCommand {
  static override summary = 'Resume a paused agent where it stopped, optionally with a message for it.';
  static override examples = [
    '<%= config.bin %> agent resume int-abc123defg-api',
    '<%= config.bin %> agent resume <id> "use the v2 API instead" --json',
  ];
  static override args = {
    id: Args.string({ description: 'session id (see dash agent list --status paused)', required: true }),
    message: Args.string({ description: 'what to tell the agent as it resumes' }),
  };

  async run(): Promise<{ id: string; resumed: true }> {
    const { args } = await this.parse(AgentResume);
    const result = await this.client().resumeAgent(args.id, args.message);
    this.progress(`Resumed ${args.id}. Follow it with: dash agent show ${args.id}`);
    return result;
  }
}
