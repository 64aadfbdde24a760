import { Args, Flags } from '@oclif/core';
import { DashCommand } from '../../base.js';

export default class AgentTerminate extends DashCommand {
  static override summary =
    'Abort a running agent: its tool processes are killed and the session ends as aborted.';
  static override examples = [
    '<%= config.bin %> agent terminate int-abc123defg-api',
    '<%= config.bin %> agent terminate <id> --reason "wrong approach"',
  ];
  static override args = {
    id: Args.string({ description: 'session id (see dash agent list)', required: true }),
  };
  static override flags = { reason: Flags.string({ description: 'recorded with the session' }) };

  async run(): Promise<{ id: string; queued: true }> {
    const { args, flags } = await this.parse(AgentTerminate);
    const result = await this.client().abortAgent(args.id, flags.reason);
    this.progress(`Abort queued for ${args.id}; the agent stops within a second.`);
    return result;
  }
}
