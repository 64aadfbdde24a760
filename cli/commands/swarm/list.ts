import { Flags } from '@oclif/core';
import type { IntentView, Page } from '../../../sdk/client.js';
import { DashCommand } from '../../base.js';

export default class SwarmList extends DashCommand {
  static override summary = 'List swarms (one per intent), newest first.';
  static override examples = [
    '<%= config.bin %> swarm list',
    '<%= config.bin %> swarm list --status failed --json',
  ];
  static override flags = {
    status: Flags.string({
      description: 'only swarms in this status (running, completed, failed, budget_exceeded, ...)',
    }),
    limit: Flags.integer({ char: 'n', default: 20, description: 'how many' }),
  };

  async run(): Promise<Page<IntentView>> {
    const { flags } = await this.parse(SwarmList);
    const page = await this.client().listIntents({ status: flags.status, limit: flags.limit });
    if (!this.jsonEnabled()) {
      if (page.data.length === 0)
        this.log('No swarms yet. Start one with: dash do "<intent>" --repo <git repo>');
      for (const i of page.data) this.log(`${i.id}  ${i.status.padEnd(16)} ${i.intent.slice(0, 60)}`);
    }
    return page;
  }
}
