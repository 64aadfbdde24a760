// `dash auth ...` as a user runs it: the built binary against the real API, served without any
// key of its own (rawApp), on a real Postgres database. Keys are created, used, listed without
// their secret, refused by scope, revoked, and minted for a new tenant straight into the database.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { eq } from 'drizzle-orm';
import { sign } from 'hono/jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../drizzle/client.js';
import { proxyKeys } from '../../drizzle/proxy-schema.js';
import { freePort } from '../../temporal-dev/dev-server.js';
import { runDash } from '../helpers/api.js';
import { tempDir } from '../helpers/repo.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

const JWT_SECRET = 'auth-cli-test-secret-0123456789abcdef';
const SECRET = /dash_sk_[A-Za-z0-9_-]{20,}/;
const HINT_401 = /Set DASH_API_KEY to a key from `dash auth key create`/;
const HINT_403 = /Ask an admin of your tenant for a key with the scope this needs/;

let stack: TestStack;
let server: ServerType;
let apiUrl: string;
/** A DASH_HOME with no api-key file: the CLI sends only what DASH_API_KEY holds. */
let emptyHome: string;

beforeAll(async () => {
  stack = await startTestStack({ dbKind: 'postgres', worker: false, env: { DASH_JWT_SECRET: JWT_SECRET } });
  const port = await freePort();
  server = serve({ fetch: stack.rawApp.fetch, hostname: '127.0.0.1', port });
  apiUrl = `http://127.0.0.1:${port}`;
  emptyHome = tempDir('dash-auth-home-');
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await stack?.stop();
});

/** The environment without any DASH_* variable of the machine running the tests. */
const cleanEnv = () =>
  Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('DASH_')),
  ) as NodeJS.ProcessEnv;

/** Runs `dash` with `key` as DASH_API_KEY (none when undefined). */
const dash = (args: string[], key: string | undefined, env: Record<string, string> = {}) =>
  runDash(args, {
    ...cleanEnv(),
    DASH_API_URL: apiUrl,
    DASH_HOME: emptyHome,
    ...(key !== undefined && { DASH_API_KEY: key }),
    ...env,
  });

/** Creates a key through the CLI with the stack's admin key; returns the API's reply. */
async function createKey(name: string, scope: 'read' | 'write' | 'admin' = 'read') {
  const r = await dash(['auth', 'key', 'create', '--name', name, '--scope', scope, '--json'], stack.apiKey);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { id: string; key: string; scope: string; tenant: string };
}

describe('dash auth', () => {
  it('creates a key, printing its secret once with how to use it; the secret then works', async () => {
    const created = await dash(['auth', 'key', 'create', '--name', 'ci-bot'], stack.apiKey);
    expect(created.code, created.stderr).toBe(0);
    const secret = SECRET.exec(created.stdout)?.[0];
    expect(secret).toBeDefined();
    expect(created.stdout).toMatch(
      /Created key vk_[0-9a-f]{16} 'ci-bot' \(scope read, tenant default, no expiry\)/,
    );
    expect(created.stdout).toMatch(/shown only once/);
    expect(created.stdout).toContain(`export DASH_API_KEY=${secret}`);
    const id = /Created key (vk_[0-9a-f]{16})/.exec(created.stdout)![1]!;

    const me = await dash(['auth', 'whoami', '--json'], secret);
    expect(me.code, me.stderr).toBe(0);
    expect(JSON.parse(me.stdout)).toEqual({
      tenant: 'default',
      user: 'test-admin',
      scope: 'read',
      auth: 'api_key',
      key_id: id,
    });
    const plain = await dash(['auth', 'whoami'], secret);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/Tenant: default/);
    expect(plain.stdout).toMatch(/Scope: +read/);
    expect(plain.stdout).toMatch(/Key from: DASH_API_KEY/);

    // --json prints the API's reply, secret included; an expiry is days from now.
    const json = await dash(
      ['auth', 'key', 'create', '--name', 'deploy', '--scope', 'write', '--expires-in-days', '30', '--json'],
      stack.apiKey,
    );
    expect(json.code, json.stderr).toBe(0);
    const reply = JSON.parse(json.stdout);
    expect(reply).toMatchObject({ name: 'deploy', scope: 'write', tenant: 'default', revoked_at: null });
    expect(reply.key).toMatch(SECRET);
    const days = (Date.parse(reply.expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
  });

  it('lists keys without their secrets, and the database holds only a sha256 of each', async () => {
    const { id, key } = await createKey('listed');
    const listed = await dash(['auth', 'key', 'list', '--json'], stack.apiKey);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).not.toContain(key);
    const page = JSON.parse(listed.stdout) as { data: Record<string, unknown>[]; next_cursor: string | null };
    const entry = page.data.find((k) => k.id === id);
    expect(entry).toMatchObject({
      name: 'listed',
      scope: 'read',
      tenant: 'default',
      prefix: key.slice(0, 14),
    });
    expect(entry).not.toHaveProperty('key');

    const table = await dash(['auth', 'key', 'list'], stack.apiKey);
    expect(table.code).toBe(0);
    expect(table.stdout).not.toContain(key);
    expect(table.stdout).toMatch(/^ID +NAME +SCOPE +PREFIX +CREATED +EXPIRES +REVOKED$/m);
    expect(table.stdout).toMatch(
      new RegExp(
        `^${id} +listed +read +${key.slice(0, 14)}… +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d +- +-$`,
        'm',
      ),
    );

    const [row] = await stack.db.database.db.select().from(proxyKeys).where(eq(proxyKeys.id, id));
    expect(row!.keyHash).toBe(crypto.createHash('sha256').update(key).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(key);

    const limited = await dash(['auth', 'key', 'list', '--limit', '1', '--json'], stack.apiKey);
    const one = JSON.parse(limited.stdout);
    expect(one.data).toHaveLength(1);
    expect(one.next_cursor).toEqual(expect.any(String));
  });

  it('refuses a read key what needs write or admin, with exit 5 naming the scope', async () => {
    const { key } = await createKey('reader');
    const [create, list, cancel, status] = await Promise.all([
      dash(['auth', 'key', 'create', '--name', 'escalate', '--scope', 'admin'], key),
      dash(['auth', 'key', 'list'], key),
      dash(['swarm', 'cancel', 'int-aaaaaaaaaa'], key),
      dash(['swarm', 'list', '--json'], key),
    ]);
    expect(create.code).toBe(5);
    expect(create.stderr).toMatch(/scope is 'read'; this request needs 'admin'.*\[forbidden\]/);
    expect(create.stderr).toMatch(HINT_403);
    expect(create.stdout).not.toMatch(SECRET);
    expect(list.code).toBe(5);
    expect(list.stderr).toMatch(/needs 'admin'/);
    expect(cancel.code).toBe(5);
    expect(cancel.stderr).toMatch(/scope is 'read'; this request needs 'write'/);
    // What it may do, it does.
    expect(status.code, status.stderr).toBe(0);
  });

  it('revokes a key: it is refused at once with exit 5 and the hint, and listed only with --all', async () => {
    const { id, key } = await createKey('short-lived', 'write');
    expect((await dash(['auth', 'whoami'], key)).code).toBe(0);

    const revoked = await dash(['auth', 'key', 'revoke', id, '--json'], stack.apiKey);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toEqual({ id, revoked: true, was_revoked: false });
    const again = await dash(['auth', 'key', 'revoke', id], stack.apiKey);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(`${id} was already revoked.`);

    const refused = await dash(['auth', 'whoami'], key);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/revoked API key.*\[unauthorized\]/s);
    expect(refused.stderr).toMatch(HINT_401);

    const live = JSON.parse(
      (await dash(['auth', 'key', 'list', '--json', '-n', '100'], stack.apiKey)).stdout,
    );
    expect(live.data.map((k: { id: string }) => k.id)).not.toContain(id);
    const all = JSON.parse(
      (await dash(['auth', 'key', 'list', '--all', '--json', '-n', '100'], stack.apiKey)).stdout,
    );
    expect(all.data.find((k: { id: string }) => k.id === id).revoked_at).toEqual(expect.any(String));

    const unknown = await dash(['auth', 'key', 'revoke', 'vk_0000000000000000'], stack.apiKey);
    expect(unknown.code).toBe(4);
  });

  it('exits 5 with the hint when there is no key at all, or a bogus one', async () => {
    const [none, bogus, notDash] = await Promise.all([
      dash(['auth', 'whoami'], undefined),
      dash(['auth', 'whoami'], 'dash_sk_thisisnotakeythisisnotakey'),
      dash(['swarm', 'list'], 'hello'),
    ]);
    expect(none.code).toBe(5);
    expect(none.stderr).toMatch(/Missing API key/);
    expect(none.stderr).toMatch(HINT_401);
    expect(bogus.code).toBe(5);
    expect(bogus.stderr).toMatch(/Invalid or revoked API key/);
    expect(bogus.stderr).toMatch(HINT_401);
    expect(notDash.code).toBe(5);
  });

  it("uses the stack's local key file $DASH_HOME/api-key when DASH_API_KEY is unset", async () => {
    const home = tempDir('dash-auth-keyfile-');
    fs.writeFileSync(path.join(home, 'api-key'), `${stack.apiKey}\n`, { mode: 0o600 });
    const me = await dash(['auth', 'whoami'], undefined, { DASH_HOME: home });
    expect(me.code, me.stderr).toBe(0);
    expect(me.stdout).toMatch(/Tenant: default/);
    expect(me.stdout).toMatch(/Scope: +admin/);
    expect(me.stdout).toContain(`Key from: ${path.join(home, 'api-key')}`);
    // DASH_API_KEY wins over the file.
    const { key } = await createKey('wins');
    const over = await dash(['auth', 'whoami', '--json'], key, { DASH_HOME: home });
    expect(JSON.parse(over.stdout).scope).toBe('read');
  });

  it('takes a JWT in DASH_API_KEY as well', async () => {
    const token = await sign(
      { sub: 'jwt-user', tenant: 'default', scope: 'write', exp: Math.floor(Date.now() / 1000) + 600 },
      JWT_SECRET,
      'HS256',
    );
    const me = await dash(['auth', 'whoami', '--json'], token);
    expect(me.code, me.stderr).toBe(0);
    expect(JSON.parse(me.stdout)).toMatchObject({
      tenant: 'default',
      user: 'jwt-user',
      scope: 'write',
      auth: 'jwt',
    });
  });

  it('--local --tenant mints the first admin key of a new tenant straight into Postgres', async () => {
    const local = await dash(
      ['auth', 'key', 'create', '--local', '--tenant', 'acme', '--name', 'acme-admin', '--scope', 'admin'],
      undefined,
      // No API involved: a URL where nothing listens proves it.
      { DASH_DATABASE_URL: stack.db.url!, DASH_API_URL: `http://127.0.0.1:${await freePort()}` },
    );
    expect(local.code, local.stderr).toBe(0);
    expect(local.stdout).toMatch(/\(scope admin, tenant acme, no expiry\)/);
    const key = SECRET.exec(local.stdout)![0];

    const me = await dash(['auth', 'whoami', '--json'], key);
    expect(me.code, me.stderr).toBe(0);
    expect(JSON.parse(me.stdout)).toMatchObject({ tenant: 'acme', user: 'operator', scope: 'admin' });
    // acme's admin sees acme's keys only, and its keys are acme's.
    const made = await dash(['auth', 'key', 'create', '--name', 'acme-ci', '--json'], key);
    expect(JSON.parse(made.stdout)).toMatchObject({ tenant: 'acme', scope: 'read' });
    const listed = JSON.parse((await dash(['auth', 'key', 'list', '--json', '-n', '100'], key)).stdout);
    expect(listed.data.map((k: { name: string }) => k.name).sort()).toEqual(['acme-admin', 'acme-ci']);
    expect(listed.data.every((k: { tenant: string }) => k.tenant === 'acme')).toBe(true);

    const json = await dash(
      ['auth', 'key', 'create', '--local', '--tenant', 'acme', '--name', 'acme-2', '--json'],
      undefined,
      { DASH_DATABASE_URL: stack.db.url! },
    );
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      tenant: 'acme',
      scope: 'read',
      user: 'operator',
      key: expect.stringMatching(SECRET),
    });
  });

  it('--local on the embedded PGlite database: refused while the stack runs, works once it is stopped', async () => {
    const home = tempDir('dash-auth-pglite-');
    const args = [
      'auth',
      'key',
      'create',
      '--local',
      '--tenant',
      'acme',
      '--name',
      'acme-admin',
      '--scope',
      'admin',
    ];
    const missing = await dash(args, undefined, { DASH_HOME: home });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/no PGlite database in/);

    const dataDir = path.join(home, 'data');
    await (await openDatabase({ dataDir })).close();
    // A stack that runs: its state file names a live pid (this test's own process).
    fs.mkdirSync(path.join(home, 'run'));
    const state = { pid: process.pid, apiUrl, temporalAddress: 'x', temporalUiUrl: undefined, startedAt: '' };
    fs.writeFileSync(path.join(home, 'run', 'stack.json'), JSON.stringify(state));
    const running = await dash(args, undefined, { DASH_HOME: home });
    expect(running.code).toBe(3);
    expect(running.stderr).toMatch(/embedded stack is running \(pid \d+\).*dash down.*DASH_DATABASE_URL/s);

    fs.rmSync(path.join(home, 'run', 'stack.json'));
    const made = await dash([...args, '--json'], undefined, { DASH_HOME: home });
    expect(made.code, made.stderr).toBe(0);
    const { id } = JSON.parse(made.stdout) as { id: string };
    const db = await openDatabase({ dataDir, migrate: false });
    try {
      const [row] = await db.db.select().from(proxyKeys).where(eq(proxyKeys.id, id));
      expect(row).toMatchObject({ tenantId: 'acme', scope: 'admin', userId: 'operator', name: 'acme-admin' });
    } finally {
      await db.close();
    }
  });

  it('exits 2 with a message for bad input', async () => {
    const runs = await Promise.all([
      dash(['auth', 'key', 'create', '--name', 'x', '--scope', 'root'], stack.apiKey),
      dash(['auth', 'key', 'create', '--name', ''], stack.apiKey),
      dash(['auth', 'key', 'create', '--name', '   '], stack.apiKey),
      dash(['auth', 'key', 'create'], stack.apiKey),
      dash(['auth', 'key', 'create', '--name', 'x', '--expires-in-days', '0'], stack.apiKey),
      dash(['auth', 'key', 'create', '--name', 'x', '--tenant', 'acme'], stack.apiKey),
      dash(['auth', 'key', 'create', '--name', 'x', '--local'], undefined, {
        DASH_DATABASE_URL: stack.db.url!,
      }),
      dash(['auth', 'key', 'create', '--name', 'x', '--local', '--tenant', 'no spaces'], undefined, {
        DASH_DATABASE_URL: stack.db.url!,
      }),
      dash(['auth', 'key', 'revoke', 'not-an-id'], stack.apiKey),
      dash(['auth', 'key', 'list', '--limit', '0'], stack.apiKey),
    ]);
    const messages = [
      /--scope=root to be one of: read, write, admin/,
      /--name is empty/,
      /--name is empty/,
      /Missing required flag name/,
      /Expected an integer greater than or equal to 1/,
      /--tenant needs --local/,
      /--local needs --tenant/,
      /is not a tenant id/,
      /'not-an-id' is not a key id/,
      /greater than or equal to 1/,
    ];
    runs.forEach((r, i) => {
      expect(r.code, `run ${i}: ${r.stderr}`).toBe(2);
      expect(r.stderr, `run ${i}`).toMatch(messages[i]!);
    });
    // Nothing was made by any of them.
    const names = (await stack.db.database.db.select({ name: proxyKeys.name }).from(proxyKeys)).map(
      (r) => r.name,
    );
    expect(names).not.toContain('x');
  });

  it('has --help with examples for every auth command', async () => {
    for (const cmd of ['auth key create', 'auth key list', 'auth key revoke', 'auth whoami']) {
      const r = await dash([...cmd.split(' '), '--help'], undefined);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/EXAMPLES/);
      expect(r.stdout).toMatch(new RegExp(`\\$ dash ${cmd}`));
      expect(r.stdout).toMatch(/--json/);
    }
  });
});
