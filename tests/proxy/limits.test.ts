// Limits: requests and tokens per minute per key, dollar budgets reserved before the call, and two
// API processes sharing Redis that enforce one limit together.
import crypto from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harnessEnv, startHarness, startProxyServer, type Harness, type ProxyServer } from './harness.js';

// Database 15, so the test's keys stay apart from a development instance's.
const REDIS_URL = process.env.DASH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
const uniqueUser = () => `user-${crypto.randomBytes(4).toString('hex')}`;
const ask = (client: OpenAI, text = '[rehearsal:echo] hi', extra: Record<string, unknown> = {}) =>
  client.chat.completions
    .create({ model: 'gpt-4.1', messages: [{ role: 'user', content: text }], ...extra })
    .withResponse()
    .then(
      (r) => ({ ok: true as const, headers: r.response.headers, data: r.data }),
      (e: unknown) => ({ ok: false as const, error: e as InstanceType<typeof OpenAI.APIError> }),
    );

describe('in-process limits', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers 429 with Retry-After once a key is over its requests per minute, without calling upstream', async () => {
    const client = h.openai(await h.mint({ userId: uniqueUser(), rpm: 3 }));
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await ask(client);
      expect(r.ok).toBe(true);
      if (r.ok) remaining.push(r.headers.get('x-ratelimit-remaining-requests')!);
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const calls = h.upstreamB.requests.length;
    const refused = await ask(client);
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused.error.code).toBe('rate_limit_exceeded');
    expect(Number(refused.error.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.error.headers?.get('x-ratelimit-limit-requests')).toBe('3');
    expect(h.upstreamB.requests.length).toBe(calls);
  });

  it('counts tokens per minute: a key whose bucket is spent is refused on tokens', async () => {
    const client = h.openai(await h.mint({ userId: uniqueUser(), tpm: 600 }));
    const first = await ask(client, `[rehearsal:echo] ${'w'.repeat(1200)}`, { max_tokens: 300 });
    expect(first.ok).toBe(true);
    const second = await ask(client, `[rehearsal:echo] ${'w'.repeat(1200)}`, { max_tokens: 300 });
    expect(second.ok).toBe(false);
    if (!second.ok) expect(second.error.message).toMatch(/tokens per minute/);
  });
});

describe('an unreachable limit store', () => {
  it('fails closed with 503 instead of admitting without limits', async () => {
    const h = await startHarness({ env: { DASH_REDIS_URL: 'redis://127.0.0.1:1' } });
    try {
      const calls = h.upstreamB.requests.length;
      const r = await ask(h.openai(await h.mint({ userId: uniqueUser() })));
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.status).toBe(503);
        expect(r.error.code).toBe('limits_unavailable');
      }
      expect(h.upstreamB.requests.length).toBe(calls);
    } finally {
      await h.close();
    }
  });
});

describe('limits shared through Redis', () => {
  let h: Harness;
  let second: ProxyServer;
  beforeAll(async () => {
    h = await startHarness({ env: { DASH_REDIS_URL: REDIS_URL } });
    second = await startProxyServer(
      h.db,
      harnessEnv(h.upstreamA, h.upstreamB, { DASH_REDIS_URL: REDIS_URL }),
    );
  });
  afterAll(async () => {
    await second?.close();
    await h?.close();
  });

  it('two API processes enforce one requests-per-minute limit together', async () => {
    expect(h.proxy.runtime.limitStoreKind).toBe('redis');
    const key = await h.mint({ userId: uniqueUser(), rpm: 4 });
    const one = h.openai(key);
    const two = new OpenAI({ baseURL: `${second.url}/proxy/v1`, apiKey: key, maxRetries: 0 });
    const outcomes: boolean[] = [];
    for (let i = 0; i < 6; i++) outcomes.push((await ask(i % 2 === 0 ? one : two)).ok);
    // Each process alone would have allowed all six (4 per minute each).
    expect(outcomes).toEqual([true, true, true, true, false, false]);
  });

  it('concurrent requests through both processes never exceed the limit', async () => {
    const key = await h.mint({ userId: uniqueUser(), rpm: 5 });
    const one = h.openai(key);
    const two = new OpenAI({ baseURL: `${second.url}/proxy/v1`, apiKey: key, maxRetries: 0 });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => ask(i % 2 ? one : two)));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
  });

  it('a budget stops spending within one request: the request that would cross it is refused before the call', async () => {
    const intentId = `intent-${crypto.randomBytes(4).toString('hex')}`;
    const budget = 0.025;
    const key = await h.mint({ userId: uniqueUser(), intentId, intentBudgetUsd: budget });
    const client = h.openai(key);
    // About 1,000 tokens in and out at gpt-4.1 prices: about $0.01 a request.
    const big = `[rehearsal:echo] ${'lorem ipsum '.repeat(330)}`;
    const outcomes: (string | number)[] = [];
    const calls = h.upstreamB.requests.length;
    for (let i = 0; i < 4; i++) {
      const r = await ask(client, `${big} ${i}`, { max_tokens: 1100 });
      outcomes.push(r.ok ? Number(r.headers.get('x-dash-cost-usd')) : String(r.error.code));
    }
    expect(outcomes.slice(2)).toEqual(['budget_exceeded', 'budget_exceeded']);
    expect(h.upstreamB.requests.length - calls).toBe(2);
    const spent = (await h.audit()).filter((r) => r.intentId === intentId).reduce((n, r) => n + r.costUsd, 0);
    expect(spent).toBeGreaterThan(0.015);
    expect(spent).toBeLessThanOrEqual(budget);
  });
});
