// Routing strategies and options in the request body, and GET /api/v1/usage aggregating the audit.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    env: {
      DASH_PROXY_ALIASES: JSON.stringify({
        duo: ['claude-sonnet-4-5', 'gpt-4.1'],
        trio: ['claude-opus-4-1', 'claude-haiku-4-5', 'gpt-4.1'],
      }),
    },
  });
});
afterAll(async () => {
  await h?.close();
});

const ask = (key: string, model: string, content: string, routing?: Record<string, unknown>) =>
  h
    .openai(key)
    .chat.completions.create(
      { model, messages: [{ role: 'user', content }], ...(routing && { routing }) } as any,
      {
        headers: { 'cache-control': 'no-store' },
      },
    )
    .withResponse();

describe('routing', () => {
  it('fixed order takes the alias order; cost takes the cheapest capable model', async () => {
    const key = await h.mint();
    const fixed = await ask(key, 'trio', '[rehearsal:echo] fixed');
    expect(fixed.data.model).toBe('claude-opus-4-1');
    const cheap = await ask(key, 'trio', '[rehearsal:echo] cheap', { strategy: 'cost' });
    expect(cheap.data.model).toBe('claude-haiku-4-5');
    // A cost limit below Opus's estimate skips Opus even in fixed order.
    const limited = await ask(key, 'trio', '[rehearsal:echo] limited', { cost_limit: 0.01 });
    expect(limited.data.model).toBe('claude-haiku-4-5');
  });

  it('latency tries a model it has not measured yet before the measured one', async () => {
    const key = await h.mint();
    const first = await ask(key, 'duo', '[rehearsal:echo] l1', { strategy: 'latency' });
    const second = await ask(key, 'duo', '[rehearsal:echo] l2', { strategy: 'latency' });
    expect(new Set([first.data.model, second.data.model])).toEqual(new Set(['claude-sonnet-4-5', 'gpt-4.1']));
  });

  it('fallback_allowed: false makes one attempt only', async () => {
    const key = await h.mint();
    const calls = h.upstreamB.requests.length;
    h.upstreamA.injectFault({ status: 503, count: 1, match: { model: 'claude-sonnet-4-5' } });
    const err = await ask(key, 'duo', '[rehearsal:echo] no fallback', { fallback_allowed: false }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect(h.upstreamB.requests.length).toBe(calls);
  });
});

describe('GET /api/v1/usage', () => {
  // The usage report is the control API's: it takes a key of scope read of the keys' tenant.
  let readerKey: string | undefined;
  const reader = async () => ({
    headers: {
      authorization: `Bearer ${(readerKey ??= await h.mint({ userId: 'usage-reader', scope: 'read' }))}`,
    },
  });

  it('aggregates tokens and cost by user, intent, swarm, model and day from the audit rows', async () => {
    const ann = await h.mint({ userId: 'ann-usage', intentId: 'intent-u1', swarmId: 'swarm-u1' });
    const bo = await h.mint({ userId: 'bo-usage', intentId: 'intent-u2', swarmId: 'swarm-u2' });
    const costs: Record<string, number> = { 'ann-usage': 0, 'bo-usage': 0 };
    for (const [key, user, n] of [
      [ann, 'ann-usage', 3],
      [bo, 'bo-usage', 2],
    ] as const)
      for (let i = 0; i < n; i++) {
        const r = await ask(key, 'gpt-4.1', `[rehearsal:echo] usage ${user} ${i}`);
        costs[user]! += Number(r.response.headers.get('x-dash-cost-usd'));
      }
    const res = await fetch(
      `${h.proxy.url}/api/v1/usage?group_by=user,intent,swarm,model,day&model=gpt-4.1`,
      await reader(),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    const rows = body.rows.filter((r: any) => r.user.endsWith('-usage'));
    const today = new Date().toISOString().slice(0, 10);
    expect(rows).toEqual([
      expect.objectContaining({
        user: 'ann-usage',
        intent: 'intent-u1',
        swarm: 'swarm-u1',
        model: 'gpt-4.1',
        day: today,
        requests: 3,
      }),
      expect.objectContaining({
        user: 'bo-usage',
        intent: 'intent-u2',
        swarm: 'swarm-u2',
        model: 'gpt-4.1',
        day: today,
        requests: 2,
      }),
    ]);
    expect(rows[0].cost_usd).toBeCloseTo(costs['ann-usage']!, 6);
    expect(rows[1].cost_usd).toBeCloseTo(costs['bo-usage']!, 6);
    expect(rows[0].input_tokens).toBeGreaterThan(0);

    const byIntent = (await (
      await fetch(`${h.proxy.url}/api/v1/usage?group_by=intent&intent=intent-u2`, await reader())
    ).json()) as any;
    expect(byIntent.rows).toEqual([expect.objectContaining({ intent: 'intent-u2', requests: 2 })]);
  });

  it('rejects an invalid query with 400', async () => {
    for (const q of ['group_by=colour', 'from=yesterday', 'unknown=1']) {
      const res = await fetch(`${h.proxy.url}/api/v1/usage?${q}`, await reader());
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error.code).toBe('validation_failed');
    }
  });
});

describe('GET /proxy/metrics', () => {
  it('exposes attempts, tokens, cost and durations in Prometheus format, with no user ids', async () => {
    const key = await h.mint({ userId: 'metrics-user-42' });
    await ask(key, 'gpt-4.1', '[rehearsal:echo] metrics');
    h.upstreamA.injectFault({ status: 500, count: 1, match: { model: 'claude-sonnet-4-5' } });
    await ask(key, 'duo', '[rehearsal:echo] metrics after a 500');
    const res = await fetch(`${h.proxy.url}/proxy/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
    expect(
      value(
        /^dash_proxy_attempts_total\{surface="openai",provider="openai",model="gpt-4.1",status="2xx",error=""\} (\d+)$/m,
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value(/^dash_proxy_attempts_total\{[^}]*provider="anthropic"[^}]*status="5xx"[^}]*\} (\d+)$/m),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value(/^gen_ai_client_token_usage_total\{provider="openai",model="gpt-4.1",type="input"\} (\d+)$/m),
    ).toBeGreaterThan(0);
    expect(
      value(/^dash_proxy_cost_usd_total\{provider="openai",model="gpt-4.1"\} ([\d.e-]+)$/m),
    ).toBeGreaterThan(0);
    expect(text).toMatch(
      /^gen_ai_server_request_duration_seconds_count\{surface="openai",provider="openai",stream="false"\} \d+$/m,
    );
    expect(text).not.toContain('metrics-user-42');
    expect(text).not.toContain('ann-usage');
  });
});
