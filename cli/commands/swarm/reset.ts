import { Args, Flags } from '@oclif/core';
import { DashCommand, EXIT } from '../../base.js';

export default class SwarmReset extends DashCommand {
  static override summary =
    'Reset a swarm with Temporal reset: a new run goes on from that point, and tasks that already landed are not redone.';
  static override description =
    "The default point is the start of the swarm (after planning). --to takes a WorkflowTaskCompleted event id from the Temporal Web UI instead. Unlike `dash swarm retry`, the new run replays the first run's history up to that point, so the Web UI shows one continuous story.";
  static override examples = [
    '<%= config.bin %> swarm reset int-abc123defg',
    '<%= config.bin %> swarm reset int-abc123defg --to 42 --reason "the flaky service is back"',
    '<%= config.bin %> swarm reset <id> --json',
  ];
  static override args = {
    id: Args.string({ description: 'intent id (see dash swarm list)', required: true }),
  };
  static override flags = {
    to: Flags.string({
      description: 'swarm-start, or a WorkflowTaskCompleted event id',
      default: 'swarm-start',
    }),
    reason: Flags.string({ description: 'why, recorded with the reset in Temporal' }),
  };

  async run(): Promise<{ id: string; reset_to_event: number; run_id: string; web_ui_url: string }> {
    const { args, flags } = await this.parse(SwarmReset);
    const to = flags.to === 'swarm-start' ? 'swarm-start' : Number(flags.to);
    if (to !== 'swarm-start' && !(Number.isInteger(to) && to > 0))
      this.error(`--to takes swarm-start or an event id (a positive integer), not '${flags.to}'.`, {
        exit: EXIT.badInput,
      });
    const r = await this.client().resetIntent(args.id, { to, ...(flags.reason && { reason: flags.reason }) });
    this.progress(
      `Reset ${r.id} to event ${r.reset_to_event}: new run ${r.run_id}. Follow it with: dash swarm status ${r.id}`,
    );
    return r;
  }
}
