import { Args } from '@oclif/core';
import type { IntentDetail } from '../../../sdk/client.js';
import { DashCommand } from '../../base.js';

export default class SwarmStatus extends DashCommand {
  static override summary = "A swarm's state: each task's status, branch and cost, and the result branch.";
  static override examples = [
    '<%= config.bin %> swarm status int-abc123defg',
    '<%= config.bin %> swarm status <id> --json',
  ];
  static override args = {
    id: Args.string({ description: 'intent id (see dash swarm list)', required: true }),
  };

  async run(): Promise<IntentDetail> {
    const { args } = await this.parse(SwarmStatus);
    const d = await this.client().getIntent(args.id);
    if (!this.jsonEnabled()) {
      this.log(
        `${d.id} ${d.status}  ${d.tokens.total} tokens  $${d.cost_usd.toFixed(4)}  result ${d.result_branch ?? '-'}`,
      );
      for (const t of d.tasks) {
        const why = t.error ? `  (${t.error.code})` : '';
        this.log(`  ${t.key.padEnd(24)} ${t.status.padEnd(10)} ${t.branch ?? ''}${why}`);
      }
      if (d.error) this.log(`  ${d.error.code}: ${d.error.message.slice(0, 400)}`);
    }
    return d;
  }
}
