// The API's Node server answers the proxy's chat routes without Hono (api/node-listener.ts); the
// Hono routes run the same pipeline for everything else: a chat call with a query string (Hono on
// Node's objects) and `app.request` (the fetch API). All three must answer, account and count alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSamples } from '../../api/metrics/registry.js';
import { mintVirtualKey } from '../../proxy/auth.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
let key: string;
let adminKey: string;

beforeAll(async () => {
  h = await startHarness();
  key = await h.mint();
  adminKey = (await mintVirtualKey(h.db.database.db, { tenantId: 'acme', userId: 'ops', scope: 'admin' }))
    .key;
});
afterAll(async () => {
  await h?.close();
});

const body = (text: string) =>
  JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: `[rehearsal:echo] ${text}` }] });
const headers = (k = key) => ({ 'content-type': 'application/json', authorization: `Bearer ${k}` });

/** One chat call three ways: the Node fast path, Hono on Node (query string), Hono on fetch. */
async function threeWays(text: string, k = key) {
  const viaNode = await fetch(`${h.proxy.url}/proxy/v1/chat/completions`, {
    method: 'POST',
    headers: headers(k),
    body: body(`${text} node`),
  });
  const viaHonoOnNode = await fetch(`${h.proxy.url}/proxy/v1/chat/completions?via=hono`, {
    method: 'POST',
    headers: headers(k),
    body: body(`${text} hono`),
  });
  const viaFetch = await h.proxy.app.request('/proxy/v1/chat/completions', {
    method: 'POST',
    headers: headers(k),
    body: body(`${text} fetch`),
  });
  return { viaNode, viaHonoOnNode, viaFetch };
}

async function httpCount(route: string, status: string): Promise<number> {
  const res = await h.proxy.app.request('/metrics', { headers: { authorization: `Bearer ${adminKey}` } });
  expect(res.status).toBe(200);
  const hit = parseSamples(await res.text()).find(
    (s) =>
      s.name === 'dash_http_request_duration_seconds_count' &&
      s.labels.method === 'POST' &&
      s.labels.route === route &&
      s.labels.status === status,
  );
  return hit?.value ?? 0;
}

describe('the proxy on the API server', () => {
  it('answers a chat call the same on the Node fast path and through Hono, each audited once', async () => {
    const { viaNode, viaHonoOnNode, viaFetch } = await threeWays('same');
    const answers = await Promise.all(
      [viaNode, viaHonoOnNode, viaFetch].map(async (res) => ({
        status: res.status,
        contentType: res.headers.get('content-type'),
        length: res.headers.get('content-length'),
        cost: res.headers.get('x-dash-cost-usd'),
        provider: res.headers.get('x-dash-provider'),
        requestId: res.headers.get('x-request-id'),
        remaining: res.headers.get('x-ratelimit-remaining-requests'),
        text: ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message
          .content,
      })),
    );
    expect(answers.map((a) => a.text)).toEqual(['echo: same node', 'echo: same hono', 'echo: same fetch']);
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.contentType).toBe('application/json');
      expect(Number(a.cost)).toBeGreaterThan(0);
      expect(a.provider).toBe('openai');
      expect(a.requestId).toMatch(/^req_[0-9a-f]{24}$/);
      expect(a.remaining).not.toBeNull();
    }
    // Content-Length is set by hand on the Node path: it must be the body's size in bytes.
    const again = await fetch(`${h.proxy.url}/proxy/v1/chat/completions`, {
      method: 'POST',
      headers: headers(),
      body: body('naïve café ✓'),
    });
    expect(Number(again.headers.get('content-length'))).toBe(Buffer.byteLength(await again.text()));
    expect(new Set(answers.map((a) => a.requestId)).size).toBe(3);
    for (const a of answers) {
      const rows = await h.audit(a.requestId!);
      expect(rows.map((r) => [r.status, r.provider, r.surface])).toEqual([[200, 'openai', 'openai']]);
    }
  });

  it('answers errors in the surface format on the Node fast path, and keeps the connection usable', async () => {
    const bad = await fetch(`${h.proxy.url}/proxy/v1/chat/completions`, {
      method: 'POST',
      headers: headers(),
      body: '{not json',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('malformed_json');
    const anthropic = await fetch(`${h.proxy.url}/proxy/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'smart', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(anthropic.status).toBe(401);
    expect(await anthropic.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    // Other routes on the same server still go through Hono.
    expect((await fetch(`${h.proxy.url}/proxy/health`)).status).toBe(200);
    const models = await fetch(`${h.proxy.url}/proxy/v1/models`, { headers: headers() });
    expect(models.status).toBe(200);
    expect((await fetch(`${h.proxy.url}/proxy/v1/chat/completions`)).status).toBe(404);
  });

  it('counts fast-path calls in the API HTTP histogram under the route pattern', async () => {
    const route = '/proxy/v1/chat/completions';
    const ok = await httpCount(route, '2xx');
    const refused = await httpCount(route, '4xx');
    const res = await fetch(`${h.proxy.url}${route}`, {
      method: 'POST',
      headers: headers(),
      body: body('m'),
    });
    expect(res.status).toBe(200);
    await res.text();
    const unauthorized = await fetch(`${h.proxy.url}${route}`, {
      method: 'POST',
      headers: headers('dash_sk_not_a_key_at_all_0000000000'),
      body: body('m'),
    });
    expect(unauthorized.status).toBe(401);
    await unauthorized.text();
    expect(await httpCount(route, '2xx')).toBe(ok + 1);
    expect(await httpCount(route, '4xx')).toBe(refused + 1);
  });
});
