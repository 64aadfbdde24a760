import fs from 'node:fs';
import path from 'node:path';
import { Errors, Flags } from '@oclif/core';
import type { ApiKeyView } from '../../../../sdk/client.js';
import { readStackState } from '../../../../stack/state.js';
import { DashCommand, EXIT } from '../../../base.js';

type CreatedKey = ApiKeyView & { key: string };

const TENANT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export default class AuthKeyCreate extends DashCommand {
  static override summary = 'Create an API key for the control API; its secret is printed once.';
  static override description = [
    'The key belongs to the tenant of the key you run this with, which needs scope admin. Scopes: read (look at everything), write (also start, steer and cancel work), admin (also manage keys). Dash stores only a sha256 of the secret: copy it when it is printed, it cannot be shown again.',
    "--local --tenant T is the operator's way to make the first key of a new tenant: it writes the key straight into Dash's database, without the API. It needs DASH_DATABASE_URL (Postgres), or, for the embedded stack's PGlite database in $DASH_HOME/data, a stopped stack (`dash down` first), because PGlite admits one process at a time.",
    'Exit statuses: 0 created, 2 bad flags, 3 Dash or its database unreachable, 5 the key used is not valid or has no admin scope.',
  ].join('\n\n');
  static override examples = [
    '<%= config.bin %> auth key create --name ci-bot',
    '<%= config.bin %> auth key create --name deploy --scope write --expires-in-days 90',
    '<%= config.bin %> auth key create --name alice --scope admin --json',
    'DASH_DATABASE_URL=postgres://dash@db/dash <%= config.bin %> auth key create --local --tenant acme --name acme-admin --scope admin',
  ];
  static override flags = {
    name: Flags.string({ description: 'who or what uses the key (shown in lists)', required: true }),
    scope: Flags.string({
      description: 'what the key may do: read < write < admin',
      options: ['read', 'write', 'admin'],
      default: 'read',
    }),
    'expires-in-days': Flags.integer({
      description: 'days until the key stops working (default: until revoked)',
      min: 1,
      max: 3650,
    }),
    local: Flags.boolean({
      description: "write the key straight into Dash's database (DASH_DATABASE_URL), no API: needs --tenant",
      default: false,
    }),
    tenant: Flags.string({ description: 'with --local: the tenant the key belongs to' }),
  };

  async run(): Promise<CreatedKey> {
    const { flags } = await this.parse(AuthKeyCreate);
    const name = flags.name.trim();
    if (!name)
      this.error('--name is empty: name the key after who uses it, e.g. --name ci-bot.', {
        exit: EXIT.badInput,
      });
    if (name.length > 100 || name.includes('\u0000'))
      this.error('--name takes at most 100 characters and no NUL character.', { exit: EXIT.badInput });
    if (flags.tenant !== undefined && !flags.local)
      this.error(
        '--tenant needs --local: through the API a key always belongs to the tenant of the key that creates it.',
        { exit: EXIT.badInput },
      );
    const input = {
      name,
      scope: flags.scope as 'read' | 'write' | 'admin',
      ...(flags['expires-in-days'] !== undefined && { expires_in_days: flags['expires-in-days'] }),
    };
    const created = flags.local
      ? await this.createLocally(input, flags.tenant)
      : await this.client().createApiKey(input);

    if (!this.jsonEnabled()) {
      const expires = created.expires_at ? `expires ${created.expires_at}` : 'no expiry';
      this.log(
        `Created key ${created.id} '${created.name ?? name}' (scope ${created.scope}, tenant ${created.tenant}, ${expires}):`,
      );
      this.log('');
      this.log(`  ${created.key}`);
      this.log('');
      this.log(
        'Copy it now: this secret is shown only once. Dash keeps only its hash and cannot show it again.',
      );
      this.log('Use it with:');
      this.log(`  export DASH_API_KEY=${created.key}`);
      this.log(`Revoke it with: dash auth key revoke ${created.id}`);
    }
    return created;
  }

  /** The bootstrap path: mint the key in the database itself (no API, so any tenant). */
  private async createLocally(
    input: { name: string; scope: 'read' | 'write' | 'admin'; expires_in_days?: number },
    tenant: string | undefined,
  ): Promise<CreatedKey> {
    if (tenant === undefined)
      this.error('--local needs --tenant: say which tenant the key belongs to, e.g. --tenant acme.', {
        exit: EXIT.badInput,
      });
    if (!TENANT.test(tenant))
      this.error(
        `--tenant '${tenant}' is not a tenant id: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.`,
        { exit: EXIT.badInput },
      );
    const config = this.dashConfig;
    const dataDir = path.join(config.home, 'data');
    if (!config.databaseUrl) {
      const running = readStackState(config.home);
      if (running)
        this.error(
          `The embedded stack is running (pid ${running.pid}) and holds its PGlite database in ${dataDir}, which admits one process at a time. Stop it with \`dash down\` and run this again, or set DASH_DATABASE_URL to Dash's Postgres database.`,
          { exit: EXIT.unavailable },
        );
      if (!fs.existsSync(dataDir))
        this.error(
          `There is no Dash database to write to: DASH_DATABASE_URL is not set and the embedded stack has no PGlite database in ${dataDir} (start it once with \`dash up\`, or check DASH_HOME).`,
          { exit: EXIT.unavailable },
        );
    }
    // Loaded here so that the everyday commands do not load database drivers.
    const [{ openDatabase }, { createApiKey }] = await Promise.all([
      import('../../../../drizzle/client.js'),
      import('../../../../api/key-view.js'),
    ]);
    const where = config.databaseUrl
      ? 'the database at DASH_DATABASE_URL'
      : `the PGlite database in ${dataDir}`;
    let database: Awaited<ReturnType<typeof openDatabase>>;
    try {
      // No migrations from here: the schema is the business of the Dash processes that own it.
      database = await openDatabase({
        url: config.databaseUrl,
        dataDir,
        migrate: false,
        maxConnections: 1,
      });
      await database.ping();
    } catch (err) {
      throw new Errors.CLIError(`Cannot open ${where}: ${(err as Error).message}`, {
        exit: EXIT.unavailable,
      });
    }
    try {
      return await createApiKey(database.db, {
        tenantId: tenant,
        userId: 'operator',
        name: input.name,
        scope: input.scope,
        expiresInDays: input.expires_in_days,
      });
    } catch (err) {
      const message = (err as Error).message;
      throw new Errors.CLIError(
        /proxy_keys|scope/.test(message) && /does not exist/.test(message)
          ? `${where} has no Dash schema (or an older one): start Dash against it once so that it migrates, then run this again. (${message})`
          : `Could not write the key to ${where}: ${message}`,
        { exit: EXIT.failed },
      );
    } finally {
      await database.close();
    }
  }
}
