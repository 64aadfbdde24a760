// The exact-match cache: hits without an upstream call (JSON and replayed SSE), isolation per
// tenant, `no-store`, coalesced concurrent misses, fallback answers kept out of the primary's slot,
// and the byte bound with LRU eviction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResponseCache } from '../../proxy/cache.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
let keyA: string;
let keyB: string;

beforeAll(async () => {
  h = await startHarness({
    scenarios: [
      {
        name: 'cache',
        rules: [
          {
            name: 'slow-echo',
            when: { user: '^\\[rehearsal:slow-echo\\]' },
            steps: [{ text: 'slow: {{user}}', latencyMs: 300 }],
          },
        ],
      },
    ],
  });
  keyA = await h.mint({ tenantId: 'tenant-a', userId: 'ann' });
  keyB = await h.mint({ tenantId: 'tenant-b', userId: 'ben' });
});
afterAll(async () => {
  await h?.close();
});

const ask = (key: string, content: string, headers: Record<string, string> = {}) =>
  h
    .openai(key)
    .chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content }] }, { headers })
    .withResponse();

describe('response cache', () => {
  it('serves a second identical request from the cache at no cost, and audits the hit', async () => {
    const calls = h.upstreamB.requests.length;
    const first = await ask(keyA, '[rehearsal:echo] cache me');
    const second = await ask(keyA, '[rehearsal:echo] cache me');
    expect(first.response.headers.get('x-dash-cache')).toBe('miss');
    expect(second.response.headers.get('x-dash-cache')).toBe('hit');
    expect(second.data.choices[0]!.message.content).toBe(first.data.choices[0]!.message.content);
    expect(Number(second.response.headers.get('x-dash-cost-usd'))).toBe(0);
    expect(h.upstreamB.requests.length - calls).toBe(1);
    const [row] = await h.audit(second.response.headers.get('x-request-id')!);
    expect(row).toMatchObject({
      cacheHit: true,
      costUsd: 0,
      attempt: 0,
      resolvedModel: 'gpt-4.1',
      status: 200,
    });
  });

  it('replays a completed stream as SSE, in chunks, on both surfaces', async () => {
    const calls = h.upstreamA.requests.length;
    const read = async () => {
      const { data, response } = await h
        .openai(keyA)
        .chat.completions.create({
          model: 'claude-sonnet-4-5',
          stream: true,
          stream_options: { include_usage: true },
          messages: [{ role: 'user', content: '[rehearsal:echo] a stream worth keeping for later' }],
        })
        .withResponse();
      let text = '';
      let chunks = 0;
      let usage: any;
      for await (const c of data) {
        chunks++;
        text += c.choices[0]?.delta.content ?? '';
        if (c.usage) usage = c.usage;
      }
      return { text, chunks, usage, cache: response.headers.get('x-dash-cache') };
    };
    const first = await read();
    const second = await read();
    expect(first.cache).toBe('miss');
    expect(second).toMatchObject({ cache: 'hit', text: first.text, chunks: first.chunks });
    expect(second.text).toBe('echo: a stream worth keeping for later');
    expect(second.usage.cost_usd).toBe(0);
    expect(second.usage.completion_tokens).toBe(first.usage.completion_tokens);
    expect(h.upstreamA.requests.length - calls).toBe(1);

    const viaAnthropic = () =>
      h
        .anthropic(keyA)
        .messages.stream({
          model: 'gpt-4.1',
          max_tokens: 64,
          messages: [{ role: 'user', content: '[rehearsal:echo] anthropic replay' }],
        })
        .finalMessage();
    const callsB = h.upstreamB.requests.length;
    const a1 = await viaAnthropic();
    const a2 = await viaAnthropic();
    expect(a2.content).toEqual(a1.content);
    expect(h.upstreamB.requests.length - callsB).toBe(1);
  });

  it('keeps streamed and non-streamed answers apart', async () => {
    const calls = h.upstreamB.requests.length;
    await ask(keyA, '[rehearsal:echo] both ways');
    const s = await h.openai(keyA).chat.completions.create({
      model: 'gpt-4.1',
      stream: true,
      messages: [{ role: 'user', content: '[rehearsal:echo] both ways' }],
    });
    for await (const _ of s) void _;
    expect(h.upstreamB.requests.length - calls).toBe(2);
  });

  it('keys on every output-affecting parameter, OpenAI-only ones included', async () => {
    const base = {
      model: 'gpt-4.1',
      messages: [{ role: 'user' as const, content: '[rehearsal:echo] params' }],
    };
    const client = h.openai(keyA);
    const first = await client.chat.completions.create(base).withResponse();
    const json = await client.chat.completions
      .create({ ...base, response_format: { type: 'json_object' } })
      .withResponse();
    const warm = await client.chat.completions.create({ ...base, temperature: 0.1 }).withResponse();
    const again = await client.chat.completions
      .create({ ...base, response_format: { type: 'json_object' } })
      .withResponse();
    expect([first, json, warm, again].map((r) => r.response.headers.get('x-dash-cache'))).toEqual([
      'miss',
      'miss',
      'miss',
      'hit',
    ]);
  });

  it('never serves one tenant the answer cached for another', async () => {
    const calls = h.upstreamB.requests.length;
    const a = await ask(keyA, '[rehearsal:echo] tenant scoped');
    const b = await ask(keyB, '[rehearsal:echo] tenant scoped');
    const b2 = await ask(keyB, '[rehearsal:echo] tenant scoped');
    expect(a.response.headers.get('x-dash-cache')).toBe('miss');
    expect(b.response.headers.get('x-dash-cache')).toBe('miss');
    expect(b2.response.headers.get('x-dash-cache')).toBe('hit');
    expect(h.upstreamB.requests.length - calls).toBe(2);
  });

  it('honours cache-control: no-store (nothing stored) and no-cache (no lookup)', async () => {
    const calls = h.upstreamB.requests.length;
    const first = await ask(keyA, '[rehearsal:echo] private', { 'cache-control': 'no-store' });
    expect(first.response.headers.get('x-dash-cache')).toBe('bypass');
    const second = await ask(keyA, '[rehearsal:echo] private');
    expect(second.response.headers.get('x-dash-cache')).toBe('miss');
    const third = await ask(keyA, '[rehearsal:echo] private', { 'cache-control': 'no-cache' });
    expect(third.response.headers.get('x-dash-cache')).toBe('miss');
    expect(h.upstreamB.requests.length - calls).toBe(3);
  });

  it('coalesces identical misses in flight: one upstream call for five concurrent requests', async () => {
    const calls = h.upstreamB.requests.length;
    const all = await Promise.all(
      Array.from({ length: 5 }, () => ask(keyA, '[rehearsal:slow-echo] together')),
    );
    expect(new Set(all.map((r) => r.data.choices[0]!.message.content))).toEqual(new Set(['slow: together']));
    expect(all.map((r) => r.response.headers.get('x-dash-cache')).sort()).toEqual([
      'hit',
      'hit',
      'hit',
      'hit',
      'miss',
    ]);
    expect(h.upstreamB.requests.length - calls).toBe(1);
  });

  it("does not store a fallback's answer in the primary model's slot", async () => {
    h.upstreamA.injectFault({ status: 500, count: 1, match: { model: 'claude-sonnet-4-5' } });
    const ask2 = () =>
      h
        .openai(keyA)
        .chat.completions.create({
          model: 'smart',
          messages: [{ role: 'user', content: '[rehearsal:echo] primary slot' }],
        })
        .withResponse();
    const first = await ask2();
    expect(first.response.headers.get('x-dash-provider')).toBe('openai');
    const second = await ask2();
    expect(second.response.headers.get('x-dash-cache')).toBe('miss');
    expect(second.response.headers.get('x-dash-provider')).toBe('anthropic');
    const third = await ask2();
    expect(third.response.headers.get('x-dash-cache')).toBe('hit');
  });
});

describe('cache bound', () => {
  it('stays under its byte budget, evicting the least recently used entry', () => {
    const cache = new ResponseCache(4_000, 60_000);
    const answer = (text: string) => ({
      kind: 'json' as const,
      model: 'm',
      provider: 'p',
      response: {
        id: 'x',
        model: 'm',
        text,
        toolCalls: [],
        finish: 'stop' as const,
        usage: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 },
      },
    });
    for (const k of ['a', 'b', 'c', 'd']) cache.set(k, answer(k.repeat(300)));
    expect(cache.size.entries).toBe(4);
    expect(cache.get('a')).toBeDefined(); // a is now the most recent
    cache.set('e', answer('e'.repeat(300)));
    expect(cache.size.bytes).toBeLessThanOrEqual(4_000);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('e')).toBeDefined();
  });
});
