import { Flags } from '@oclif/core';
import type { ApiKeyView, Page } from '../../../../sdk/client.js';
import { DashCommand } from '../../../base.js';

/** `2026-11-25T10:12:03.000Z` → `2026-11-25 10:12` (UTC). */
const when = (iso: string | null) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : '-');

export default class AuthKeyList extends DashCommand {
  static override summary = "List your tenant's API keys (never their secrets), newest first.";
  static override description =
    'Needs a key of scope admin. Revoked keys are kept (the audit refers to them) and listed with --all. Times are UTC. Agents\u2019 per-session proxy keys are not listed.';
  static override examples = [
    '<%= config.bin %> auth key list',
    '<%= config.bin %> auth key list --all --limit 100',
    '<%= config.bin %> auth key list --json',
  ];
  static override flags = {
    all: Flags.boolean({ description: 'also list revoked keys', default: false }),
    limit: Flags.integer({ char: 'n', default: 20, min: 1, max: 100, description: 'how many' }),
  };

  async run(): Promise<Page<ApiKeyView>> {
    const { flags } = await this.parse(AuthKeyList);
    const page = await this.client().listApiKeys({
      limit: flags.limit,
      include_revoked: flags.all ? 'true' : 'false',
    });
    if (!this.jsonEnabled()) {
      if (page.data.length === 0) {
        this.log('No API keys yet. Create one with: dash auth key create --name <who uses it>');
        return page;
      }
      const rows = [
        ['ID', 'NAME', 'SCOPE', 'PREFIX', 'CREATED', 'EXPIRES', 'REVOKED'],
        ...page.data.map((k) => [
          k.id,
          k.name ?? '-',
          k.scope,
          `${k.prefix}…`,
          when(k.created_at),
          when(k.expires_at),
          when(k.revoked_at),
        ]),
      ];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const r of rows)
        this.log(
          r
            .map((cell, i) => cell.padEnd(widths[i]!))
            .join('  ')
            .trimEnd(),
        );
      if (page.next_cursor) this.log(`(more keys: raise --limit, up to 100)`);
    }
    return page;
  }
}
