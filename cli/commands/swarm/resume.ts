import { Args } from '@oclif/core';
import { DashCommand } from '../../base.js';

export default class SwarmResume extends DashCommand {
  static override summary =
    'Resume a paused swarm: held agents go on where they were and waiting tasks start.';
  static override examples = [
    '<%= config.bin %> swarm resume int-abc123defg',
    '<%= config.bin %> swarm resume <id> --json',
  ];
  static override args = {
    id: Args.string({ description: 'intent id (see dash swarm list --status paused)', required: true }),
  };

  async run(): Promise<{ id: string; resumed: true; released_sessions: number }> {
    const { args } = await this.parse(SwarmResume);
    const r = await this.client().resumeIntent(args.id);
    this.progress(
      `Resumed ${r.id}: ${r.released_sessions} agent(s) released. Follow it with: dash swarm status ${r.id}`,
    );
    return r;
  }
}
