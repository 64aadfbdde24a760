import { Flags } from '@oclif/core';
import type { IntentView } from '../../sdk/client.js';
import { readStackState } from '../../stack/state.js';
import { DashCommand } from '../base.js';
import { apiIsLive } from '../stack-control.js';

export default class Status extends DashCommand {
  static override summary = 'Show whether Dash is running and its most recent intents.';
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --limit 20 --json'];
  static override flags = {
    limit: Flags.integer({ char: 'n', description: 'how many recent intents to list', default: 10 }),
  };

  async run(): Promise<Record<string, unknown>> {
    const { flags } = await this.parse(Status);
    const client = this.client();
    const stack = readStackState(this.dashConfig.home);
    const live = await apiIsLive(client);
    const intents: IntentView[] = live ? (await client.listIntents({ limit: flags.limit })).data : [];
    if (!this.jsonEnabled()) {
      this.log(`API ${client.baseUrl}: ${live ? 'up' : 'down (start it with `dash up`, or run `dash do`)'}`);
      if (stack)
        this.log(
          `Embedded stack: pid ${stack.pid}, Temporal ${stack.temporalAddress}, Web UI ${stack.temporalUiUrl ?? '-'}`,
        );
      if (live && intents.length === 0)
        this.log('No intents yet. Try: dash do "add a greeting function" --repo <git repo>');
      for (const i of intents) {
        this.log(
          `${i.id}  ${i.status.padEnd(9)} ${i.created_at.slice(0, 19)}  $${i.cost_usd.toFixed(4)}  ${i.intent.slice(0, 60)}`,
        );
      }
    }
    return { api: { url: client.baseUrl, live }, stack: stack ?? null, intents };
  }
}
