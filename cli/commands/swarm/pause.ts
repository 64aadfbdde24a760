import { Args } from '@oclif/core';
import { DashCommand } from '../../base.js';

export default class SwarmPause extends DashCommand {
  static override summary =
    'Pause a running swarm: no new agent starts and running agents pause (no process held).';
  static override description =
    'Paused agents keep their worktrees and conversations; `dash swarm resume <id>` lets every one go on where it was.';
  static override examples = [
    '<%= config.bin %> swarm pause int-abc123defg',
    '<%= config.bin %> swarm pause <id> --json',
  ];
  static override args = {
    id: Args.string({ description: 'intent id (see dash swarm list)', required: true }),
  };

  async run(): Promise<{ id: string; paused: true; held_sessions: number }> {
    const { args } = await this.parse(SwarmPause);
    const r = await this.client().pauseIntent(args.id);
    this.progress(
      `Paused ${r.id}: ${r.held_sessions} running agent(s) held. Resume with: dash swarm resume ${r.id}`,
    );
    return r;
  }
}
