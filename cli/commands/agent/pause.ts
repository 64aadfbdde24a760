import { Args } from '@oclif/core';
import { DashCommand } from '../../base.js';

export default class AgentPause extends DashCommand {
  static override summary =
    'Pause a running agent: its process stops, its worktree and conversation stay until you resume it.';
  static override examples = [
    '<%= config.bin %> agent pause int-abc123defg-api',
    '<%= config.bin %> agent pause <id> --json',
  ];
  static override args = {
    id: Args.string({ description: 'session id (see dash agent list)', required: true }),
  };

  async run(): Promise<{ id: string; queued: true }> {
    const { args } = await this.parse(AgentPause);
    const result = await this.client().pauseAgent(args.id);
    this.progress(`Pause queued for ${args.id}. Resume it with: dash agent resume ${args.id} ["<message>"]`);
    return result;
  }
}
