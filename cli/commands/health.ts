import type { ReadyView } from '../../sdk/client.js';
import { DashCommand, EXIT } from '../base.js';

export default class Health extends DashCommand {
  static override summary = 'Check that the API, the database and Temporal are ready.';
  static override examples = [
    '<%= config.bin %> health',
    'DASH_API_URL=http://dash.internal:7373 <%= config.bin %> health --json',
  ];

  async run(): Promise<ReadyView> {
    const ready = await this.client().ready();
    if (!this.jsonEnabled()) {
      this.log(`Dash API ${this.client().baseUrl}: ${ready.status}`);
      for (const [name, check] of Object.entries(ready.checks)) {
        this.log(`  ${name.padEnd(9)} ${check.status}${check.error ? ` (${check.error})` : ''}`);
      }
      this.log(`  llm       ${ready.llm}`);
      this.log(`  web ui    ${ready.temporal_ui}`);
    }
    if (ready.status !== 'ready') {
      if (this.jsonEnabled()) this.logJson(ready);
      this.error('Dash is not ready; see the failing checks above.', { exit: EXIT.unavailable });
    }
    return ready;
  }
}
