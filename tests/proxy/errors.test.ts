// Bad input and auth on both surfaces: each error has the status and the body shape that the
// endpoint's own SDK expects (OpenAI `{error:{type,code,...}}`, Anthropic `{type:"error",error:{type}}`).
import Anthropic from '@anthropic-ai/sdk';
import { sign } from 'hono/jwt';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeVirtualKey, mintVirtualKey } from '../../proxy/auth.js';
import { startHarness, type Harness } from './harness.js';

const JWT_SECRET = 'test-jwt-secret-of-enough-length-0123456789';
let h: Harness;
let key: string;

beforeAll(async () => {
  h = await startHarness({
    env: { DASH_PROXY_MAX_BODY_BYTES: String(64 * 1024), DASH_JWT_SECRET: JWT_SECRET },
  });
  key = await h.mint();
});
afterAll(async () => {
  await h?.close();
});

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${h.proxy.url}/proxy/v1/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    body,
  });

const chat = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hello' }], ...extra });
const messages = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    model: 'smart',
    max_tokens: 10,
    messages: [{ role: 'user', content: 'hello' }],
    ...extra,
  });

const cases: {
  name: string;
  body: () => string;
  headers?: Record<string, string>;
  status: number;
  code: string;
  anthropicType: string;
}[] = [
  {
    name: 'malformed JSON',
    body: () => '{"model": "smart", "messages": [',
    status: 400,
    code: 'malformed_json',
    anthropicType: 'invalid_request_error',
  },
  {
    name: 'a body that is not an object',
    body: () => '[1, 2]',
    status: 400,
    code: 'invalid_request',
    anthropicType: 'invalid_request_error',
  },
  {
    name: 'missing messages',
    body: () => JSON.stringify({ model: 'smart' }),
    status: 400,
    code: 'invalid_request',
    anthropicType: 'invalid_request_error',
  },
  {
    name: 'an unknown model',
    body: () => chat({ model: 'no-such-model' }),
    status: 404,
    code: 'model_not_found',
    anthropicType: 'not_found_error',
  },
  {
    name: 'a missing key',
    body: () => chat(),
    headers: { authorization: '' },
    status: 401,
    code: 'invalid_api_key',
    anthropicType: 'authentication_error',
  },
  {
    name: 'an invalid key',
    body: () => chat(),
    headers: { authorization: 'Bearer dash_sk_not-a-real-key-at-all-000000' },
    status: 401,
    code: 'invalid_api_key',
    anthropicType: 'authentication_error',
  },
  {
    name: 'an oversized body',
    body: () => chat({ messages: [{ role: 'user', content: 'x'.repeat(100 * 1024) }] }),
    status: 413,
    code: 'request_too_large',
    anthropicType: 'request_too_large',
  },
  {
    name: 'an unknown routing strategy',
    body: () => chat({ routing: { strategy: 'fastest' } }),
    status: 400,
    code: 'invalid_routing',
    anthropicType: 'invalid_request_error',
  },
  {
    name: 'an unknown routing field',
    body: () => chat({ routing: { fallback: true } }),
    status: 400,
    code: 'invalid_routing',
    anthropicType: 'invalid_request_error',
  },
  {
    name: 'a negative cost limit',
    body: () => chat({ routing: { cost_limit: -1 } }),
    status: 400,
    code: 'invalid_routing',
    anthropicType: 'invalid_request_error',
  },
  {
    name: 'a cost limit no model meets',
    body: () => chat({ routing: { cost_limit: 1e-9 } }),
    status: 400,
    code: 'cost_limit_exceeded',
    anthropicType: 'invalid_request_error',
  },
];

describe('OpenAI surface errors', () => {
  it.each(cases)('$name → $status $code', async (c) => {
    const res = await post('chat/completions', c.body(), c.headers);
    expect(res.status).toBe(c.status);
    const body = (await res.json()) as any;
    expect(body.error).toMatchObject({ code: c.code, type: expect.any(String), message: expect.any(String) });
    expect(Object.keys(body)).toEqual(['error']);
  });

  it('maps to the openai SDK error classes, with the offending parameter named', async () => {
    const client = h.openai(key);
    const notFound = await client.chat.completions
      .create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);
    const badRouting = await client.chat.completions
      .create({
        model: 'smart',
        messages: [{ role: 'user', content: 'x' }],
        routing: { strategy: 'fastest' },
      } as any)
      .catch((e: unknown) => e);
    expect(badRouting).toBeInstanceOf(OpenAI.BadRequestError);
    expect((badRouting as any).param).toBe('routing.strategy');
    const unauth = await h
      .openai('dash_sk_bogus-bogus-bogus-bogus-bogus')
      .chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(unauth).toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe('Anthropic surface errors', () => {
  it.each(cases)('$name → $status $anthropicType', async (c) => {
    const body = c.body().replace('"model":"smart"', '"model":"smart","max_tokens":10');
    const res = await post('messages', body, c.headers);
    expect(res.status).toBe(c.status);
    const json = (await res.json()) as any;
    expect(json).toMatchObject({
      type: 'error',
      error: { type: c.anthropicType, message: expect.stringContaining(c.code) },
    });
  });

  it('maps to the Anthropic SDK error classes', async () => {
    const err = await h
      .anthropic(key)
      .messages.create({ model: 'no-such-model', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    const unauth = await h
      .anthropic('nope')
      .messages.create({ model: 'smart', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(unauth).toBeInstanceOf(Anthropic.AuthenticationError);
    const res = await post('messages', messages({ messages: [] }));
    expect(res.status).toBe(400);
  });
});

describe('keys', () => {
  it('stores only a hash of the key, and a revoked key stops working at once', async () => {
    const minted = await mintVirtualKey(h.db.database.db, {
      userId: 'bob',
      tenantId: 'acme',
      sessionId: 's-9',
    });
    const rows = (await h.db.database.db.execute(
      `select key_hash, prefix from proxy_keys where id = '${minted.id}'`,
    )) as any;
    const row = (rows.rows ?? rows)[0];
    expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.key_hash).not.toContain(minted.key.slice(8));
    expect(minted.key.startsWith(row.prefix)).toBe(true);
    const client = h.openai(minted.key);
    const ok = await client.chat.completions.create({
      model: 'smart',
      messages: [{ role: 'user', content: '[rehearsal:echo] a' }],
    });
    expect(ok.choices[0]!.message.content).toBe('echo: a');
    expect(await revokeVirtualKey(h.db.database.db, minted.id)).toBe(true);
    expect(await revokeVirtualKey(h.db.database.db, minted.id)).toBe(false);
    const after = await client.chat.completions
      .create({ model: 'smart', messages: [{ role: 'user', content: 'b' }] })
      .catch((e: unknown) => e);
    expect(after).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('refuses an expired key', async () => {
    const expired = await h.mint({ expiresAt: new Date(Date.now() - 1000) });
    const res = await post('chat/completions', chat(), { authorization: `Bearer ${expired}` });
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.message).toMatch(/expired/);
  });

  it('accepts an HS256 JWT signed with DASH_JWT_SECRET and attributes the call to its claims', async () => {
    const token = await sign(
      { sub: 'carol', tenant: 'globex', intent_id: 'intent-jwt', exp: Math.floor(Date.now() / 1000) + 60 },
      JWT_SECRET,
      'HS256',
    );
    const { response } = await h
      .anthropic(token)
      .messages.create({
        model: 'smart',
        max_tokens: 20,
        messages: [{ role: 'user', content: '[rehearsal:echo] jwt' }],
      })
      .withResponse();
    const [row] = await h.audit(response.headers.get('x-request-id')!);
    expect(row).toMatchObject({
      authKind: 'jwt',
      userId: 'carol',
      tenantId: 'globex',
      intentId: 'intent-jwt',
      status: 200,
    });
    const forged = await sign(
      { sub: 'mallory', exp: Math.floor(Date.now() / 1000) + 60 },
      'another-secret-entirely-0000000000',
      'HS256',
    );
    const res = await post('chat/completions', chat(), { authorization: `Bearer ${forged}` });
    expect(res.status).toBe(401);
    const eternal = await sign({ sub: 'carol', tenant: 'globex' }, JWT_SECRET, 'HS256');
    const noExp = await post('chat/completions', chat(), { authorization: `Bearer ${eternal}` });
    expect(noExp.status).toBe(401);
    const expired = await sign(
      { sub: 'carol', exp: Math.floor(Date.now() / 1000) - 10 },
      JWT_SECRET,
      'HS256',
    );
    expect((await post('chat/completions', chat(), { authorization: `Bearer ${expired}` })).status).toBe(401);
  });
});
