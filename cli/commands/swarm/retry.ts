import { Args } from '@oclif/core';
import { DashCommand } from '../../base.js';

export default class SwarmRetry extends DashCommand {
  static override summary =
    'Run a failed, cancelled or over-budget swarm again: only the tasks that did not land are redone.';
  static override examples = [
    '<%= config.bin %> swarm retry int-abc123defg',
    '<%= config.bin %> swarm retry int-abc123defg --json',
  ];
  static override args = {
    id: Args.string({ description: 'intent id (see dash swarm list)', required: true }),
  };

  async run(): Promise<{ id: string; rerun: string[]; kept: string[]; web_ui_url: string }> {
    const { args } = await this.parse(SwarmRetry);
    const r = await this.client().retryIntent(args.id);
    this.progress(
      `Retrying ${r.id}: rerunning ${r.rerun.join(', ') || 'nothing'}; kept ${r.kept.join(', ') || 'nothing'}.`,
    );
    this.progress(`Follow it with: dash swarm status ${r.id}   Web UI: ${r.web_ui_url}`);
    return r;
  }
}
