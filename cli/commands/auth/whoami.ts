import { localKeyFile } from '../../../core/local-key.js';
import type { WhoamiView } from '../../../sdk/client.js';
import { DashCommand } from '../../base.js';

export default class AuthWhoami extends DashCommand {
  static override summary = 'Show who the API takes you for: tenant, user, scope and key.';
  static override description =
    'The CLI sends DASH_API_KEY, or else the local admin key the embedded stack wrote to $DASH_HOME/api-key. Exit 5 when that key is missing, unknown, expired or revoked.';
  static override examples = ['<%= config.bin %> auth whoami', '<%= config.bin %> auth whoami --json'];

  async run(): Promise<WhoamiView> {
    await this.parse(AuthWhoami);
    const me = await this.client().whoami();
    if (!this.jsonEnabled()) {
      this.log(`Tenant: ${me.tenant}`);
      this.log(`User:   ${me.user}`);
      this.log(`Scope:  ${me.scope}`);
      this.log(`Auth:   ${me.auth === 'jwt' ? 'JWT' : `API key ${me.key_id ?? ''}`.trim()}`);
      this.log(
        `Key from: ${this.dashConfig.api.key ? 'DASH_API_KEY' : localKeyFile(this.dashConfig)} (API ${this.dashConfig.api.url})`,
      );
    }
    return me;
  }
}
