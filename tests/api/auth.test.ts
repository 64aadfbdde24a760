// The control API is closed by default: every documented route but /health answers 401 without a
// valid key or JWT and 403 to a key whose scope is too small; keys are stored hashed, shown once,
// listed per tenant and revoked at once. The route list comes from the OpenAPI registry, which
// openapi.test.ts holds equal to what the app mounts, so a new route cannot skip these checks.
import crypto from 'node:crypto';
import { eq } from 'drizzle-orm';
import { sign } from 'hono/jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes, type RouteDoc } from '../../api/openapi/registry.js';
import { proxyKeys } from '../../drizzle/proxy-schema.js';
import { mintVirtualKey } from '../../proxy/auth.js';
import { callApi } from '../helpers/api.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

const JWT_SECRET = 'test-jwt-secret-of-enough-length-0123456789';
let stack: TestStack;
const keys: Record<'proxy' | 'read' | 'write' | 'admin', string> = {} as never;

beforeAll(async () => {
  // No worker: nothing here runs a workflow.
  stack = await startTestStack({ worker: false, env: { DASH_JWT_SECRET: JWT_SECRET } });
  for (const scope of ['proxy', 'read', 'write', 'admin'] as const)
    keys[scope] = (
      await mintVirtualKey(stack.db.database.db, { userId: `u-${scope}`, name: scope, scope })
    ).key;
});

afterAll(async () => {
  await stack?.stop();
});

/** A concrete URL for a documented route; ids are well-formed so validation passes. */
function urlOf(route: RouteDoc): string {
  const id = route.path.startsWith('/api/v1/intents')
    ? 'int-aaaaaaaaaa'
    : route.path.startsWith('/api/v1/auth/keys')
      ? 'vk_0000000000000000'
      : 'no-such-thing';
  const path = route.path.replace('{id}', id);
  // A stream route would never end: start it after an event that does not exist (a 400).
  return route.path === '/api/v1/events' ? `${path}?after=999999999` : path;
}

const call = (route: RouteDoc, headers: Record<string, string>) =>
  stack.rawApp.request(urlOf(route), {
    method: route.method.toUpperCase(),
    headers: { 'content-type': 'application/json', ...headers },
    ...(route.method !== 'get' && { body: '{}' }),
  });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const jwt = (claims: Record<string, unknown>, secret = JWT_SECRET) =>
  sign({ sub: 'jwt-user', exp: Math.floor(Date.now() / 1000) + 600, ...claims }, secret, 'HS256');

const closed = routes.filter((r) => !r.path.startsWith('/health'));
const needs = (r: RouteDoc) =>
  r.path.startsWith('/api/v1/auth/keys') || r.path === '/metrics'
    ? 'admin'
    : r.method === 'get'
      ? 'read'
      : 'write';

describe('closed by default', () => {
  it('covers every documented route', () => {
    expect(closed.length).toBeGreaterThan(30);
    expect(routes.length - closed.length).toBe(3);
  });

  it('answers 401 with a challenge and a stable code to no key, a bogus key and a bad JWT', async () => {
    const expired = await jwt({ exp: Math.floor(Date.now() / 1000) - 5, scope: 'admin' });
    const forged = await jwt({ scope: 'admin' }, 'another-secret-another-secret-0123');
    const cases: [string, Record<string, string>][] = [
      ['none', {}],
      ['bogus key', bearer(`dash_sk_${'x'.repeat(43)}`)],
      ['not a key', bearer('hello')],
      ['x-api-key bogus', { 'x-api-key': 'dash_sk_nope' }],
      ['expired JWT', bearer(expired)],
      ['forged JWT', bearer(forged)],
    ];
    for (const route of closed)
      for (const [what, headers] of cases) {
        const res = await call(route, headers);
        expect(res.status, `${route.method} ${route.path} with ${what}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="dash"');
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('unauthorized');
        expect(body.error.message).toContain('dash auth key create');
      }
  });

  it('answers 403 to a key whose scope is too small, and lets a big enough one through', async () => {
    const rank = { proxy: 0, read: 1, write: 2, admin: 3 } as const;
    for (const route of closed)
      for (const scope of ['proxy', 'read', 'write', 'admin'] as const) {
        const res = await call(route, bearer(keys[scope]));
        const label = `${route.method} ${route.path} with a ${scope} key`;
        if (rank[scope] < rank[needs(route)]) {
          expect(res.status, label).toBe(403);
          const body = (await res.json()) as { error: { code: string; details: unknown } };
          expect(body.error.code).toBe('forbidden');
          if (scope !== 'proxy') expect(body.error.details).toEqual({ scope, required: needs(route) });
        } else {
          // Past auth: whatever the route says to an empty request, never 401/403.
          expect([401, 403], label).not.toContain(res.status);
          expect(res.status, label).toBeLessThan(500);
        }
      }
  });

  it('takes a JWT signed with DASH_JWT_SECRET, with its tenant and scope (read when none)', async () => {
    const who = await callApi(
      stack.rawApp,
      'GET',
      '/api/v1/auth/whoami',
      undefined,
      bearer(await jwt({ tenant: 'acme', scope: 'write' })),
    );
    expect(who).toMatchObject({
      status: 200,
      body: { tenant: 'acme', user: 'jwt-user', scope: 'write', auth: 'jwt', key_id: null },
    });
    const plain = bearer(await jwt({}));
    expect((await callApi(stack.rawApp, 'GET', '/api/v1/auth/whoami', undefined, plain)).body.scope).toBe(
      'read',
    );
    expect(
      (await callApi(stack.rawApp, 'POST', '/api/v1/intents/int-aaaaaaaaaa/cancel', {}, plain)).status,
    ).toBe(403);
    const noExpiry = await sign({ sub: 'x', scope: 'admin' }, JWT_SECRET, 'HS256');
    expect((await callApi(stack.rawApp, 'GET', '/api/v1/intents', undefined, bearer(noExpiry))).status).toBe(
      401,
    );
  });

  it('leaves the health probes open', async () => {
    for (const path of ['/health', '/health/live', '/health/ready'])
      expect((await stack.rawApp.request(path)).status, path).toBe(200);
  });

  it('serves the reference without a key only when DASH_PUBLIC_DOCS=on', async () => {
    expect((await stack.rawApp.request('/api/v1/openapi.json')).status).toBe(401);
    const open = await startTestStack({ worker: false, env: { DASH_PUBLIC_DOCS: 'on' } });
    try {
      expect((await open.rawApp.request('/api/v1/openapi.json')).status).toBe(200);
      expect((await open.rawApp.request('/api/v1/docs')).status).toBe(200);
      expect((await open.rawApp.request('/api/v1/intents')).status).toBe(401);
    } finally {
      await open.stop();
    }
  });
});

describe('API keys', () => {
  const admin = () => bearer(keys.admin);

  it('creates a key shown once and stored as its sha256 only', async () => {
    const created = await callApi(
      stack.rawApp,
      'POST',
      '/api/v1/auth/keys',
      { name: 'ci', scope: 'write' },
      admin(),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'ci', scope: 'write', tenant: 'default', revoked_at: null });
    expect(created.body.key).toMatch(/^dash_sk_[A-Za-z0-9_-]{43}$/);
    const [row] = await stack.db.database.db
      .select()
      .from(proxyKeys)
      .where(eq(proxyKeys.id, created.body.id));
    expect(row!.keyHash).toBe(crypto.createHash('sha256').update(created.body.key).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(created.body.key);

    const listed = await callApi(stack.rawApp, 'GET', '/api/v1/auth/keys?limit=100', undefined, admin());
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((k: { id: string }) => k.id)).toContain(created.body.id);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
    expect(listed.body.data.every((k: { scope: string }) => k.scope !== 'proxy')).toBe(true);

    const who = await callApi(
      stack.rawApp,
      'GET',
      '/api/v1/auth/whoami',
      undefined,
      bearer(created.body.key),
    );
    expect(who.body).toMatchObject({ scope: 'write', tenant: 'default', key_id: created.body.id });
  });

  it('revokes a key at once; revoking again says so; the list hides it unless asked', async () => {
    const created = await callApi(
      stack.rawApp,
      'POST',
      '/api/v1/auth/keys',
      { name: 'short-lived' },
      admin(),
    );
    expect(created.body.scope).toBe('read');
    const mine = bearer(created.body.key);
    expect((await callApi(stack.rawApp, 'GET', '/api/v1/intents', undefined, mine)).status).toBe(200);
    const revoked = await callApi(
      stack.rawApp,
      'DELETE',
      `/api/v1/auth/keys/${created.body.id}`,
      undefined,
      admin(),
    );
    expect(revoked).toMatchObject({
      status: 200,
      body: { id: created.body.id, revoked: true, was_revoked: false },
    });
    const refused = await callApi(stack.rawApp, 'GET', '/api/v1/intents', undefined, mine);
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toMatch(/revoked/);
    const again = await callApi(
      stack.rawApp,
      'DELETE',
      `/api/v1/auth/keys/${created.body.id}`,
      undefined,
      admin(),
    );
    expect(again.body).toMatchObject({ revoked: false, was_revoked: true });
    const live = await callApi(stack.rawApp, 'GET', '/api/v1/auth/keys?limit=100', undefined, admin());
    expect(live.body.data.map((k: { id: string }) => k.id)).not.toContain(created.body.id);
    const all = await callApi(
      stack.rawApp,
      'GET',
      '/api/v1/auth/keys?limit=100&include_revoked=true',
      undefined,
      admin(),
    );
    const listed = all.body.data.find((k: { id: string }) => k.id === created.body.id);
    expect(listed.revoked_at).not.toBeNull();
  });

  it('expires a key after its days', async () => {
    const created = await callApi(
      stack.rawApp,
      'POST',
      '/api/v1/auth/keys',
      { name: 'temp', expires_in_days: 1 },
      admin(),
    );
    expect(Date.parse(created.body.expires_at) - Date.now()).toBeGreaterThan(86_000_000);
    const { db } = stack.db.database;
    await db
      .update(proxyKeys)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(proxyKeys.id, created.body.id));
    // A fresh key string is not in the verification cache, so the expiry is read from the row.
    const res = await callApi(stack.rawApp, 'GET', '/api/v1/intents', undefined, bearer(created.body.key));
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/expired/);
  });

  it('refuses bad key requests with a stable code and stores nothing', async () => {
    const { db } = stack.db.database;
    const before = (await db.select().from(proxyKeys)).length;
    for (const body of [
      { name: '' },
      { name: 'x', scope: 'root' },
      { name: 'x', scope: 'proxy' },
      { name: 'x', expires_in_days: 0 },
      { name: 'x', tenant: 'other' },
      { name: 'nul\u0000' },
    ]) {
      const res = await callApi(stack.rawApp, 'POST', '/api/v1/auth/keys', body, admin());
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    expect((await callApi(stack.rawApp, 'DELETE', '/api/v1/auth/keys/nope', undefined, admin())).status).toBe(
      400,
    );
    const missing = await callApi(
      stack.rawApp,
      'DELETE',
      '/api/v1/auth/keys/vk_0123456789abcdef',
      undefined,
      admin(),
    );
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'key_not_found' } } });
    expect((await db.select().from(proxyKeys)).length).toBe(before);
  });

  it('pages the key list', async () => {
    for (let i = 0; i < 3; i++)
      await callApi(stack.rawApp, 'POST', '/api/v1/auth/keys', { name: `page-${i}` }, admin());
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: { id: string }[]; next_cursor: string | null } } = await callApi(
        stack.rawApp,
        'GET',
        `/api/v1/auth/keys?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        undefined,
        admin(),
      );
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((k) => k.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const all = await callApi(stack.rawApp, 'GET', '/api/v1/auth/keys?limit=100', undefined, admin());
    expect(seen).toEqual(all.body.data.map((k: { id: string }) => k.id));
  });
});
