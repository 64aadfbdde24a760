import { Args } from '@oclif/core';
import { DashCommand } from '../../base.js';

export default class SwarmCancel extends DashCommand {
  static override summary =
    'Cancel a running swarm: agents stop, worktrees are removed after a snapshot, merged work is kept.';
  static override examples = [
    '<%= config.bin %> swarm cancel int-abc123defg',
    '<%= config.bin %> swarm cancel <id> --json',
  ];
  static override args = {
    id: Args.string({ description: 'intent id (see dash swarm list)', required: true }),
  };

  async run(): Promise<{ id: string; cancelling: true }> {
    const { args } = await this.parse(SwarmCancel);
    const r = await this.client().cancelIntent(args.id);
    this.progress(`Cancelling ${args.id}; see what it undid with: dash swarm status ${args.id}`);
    return r;
  }
}
