// Fallback across providers before the first byte (429 with Retry-After, 5xx, timeouts), provider
// cooldowns, and the rule that a stream failing after its first byte is not retried.
import { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
let key: string;

beforeAll(async () => {
  h = await startHarness({
    env: {
      DASH_PROXY_ALIASES: JSON.stringify({
        chain: ['claude-sonnet-4-5', 'claude-haiku-4-5', 'gpt-4.1'],
        openai_pair: ['gpt-4.1', 'gpt-4.1-mini'],
      }),
      DASH_PROXY_TTFT_TIMEOUT_MS: '400',
    },
    scenarios: [
      {
        name: 'proxy-faults',
        rules: [
          {
            name: 'drop-mid-stream',
            when: { user: '^\\[rehearsal:drop-mid-stream\\]' },
            steps: [
              { text: 'one two three four five six seven eight nine ten', chunkSize: 4, failAfterChunks: 3 },
            ],
          },
        ],
      },
    ],
  });
  key = await h.mint();
});
afterAll(async () => {
  await h?.close();
});

describe('fallback before the first byte', () => {
  it('goes from a 500 and a 429 on the Anthropic provider to the OpenAI provider; the audit has all three attempts', async () => {
    h.upstreamA.injectFault({ status: 500, count: 1, match: { model: 'claude-sonnet-4-5' } });
    h.upstreamA.injectFault({
      status: 429,
      count: 1,
      retryAfterSeconds: 30,
      match: { model: 'claude-haiku-4-5' },
    });
    const { data, response } = await h
      .anthropic(key)
      .messages.create({
        model: 'chain',
        max_tokens: 100,
        messages: [{ role: 'user', content: '[rehearsal:echo] carry on' }],
      })
      .withResponse();
    expect(data.content).toEqual([{ type: 'text', text: 'echo: carry on' }]);
    expect(response.headers.get('x-dash-provider')).toBe('openai');
    expect(response.headers.get('x-dash-attempts')).toBe('3');
    const rows = await h.audit(response.headers.get('x-request-id')!);
    expect(rows.map((r) => [r.attempt, r.provider, r.resolvedModel, r.status, r.errorCode])).toEqual([
      [1, 'anthropic', 'claude-sonnet-4-5', 500, 'upstream_server_error'],
      [2, 'anthropic', 'claude-haiku-4-5', 429, 'upstream_rate_limited'],
      [3, 'openai', 'gpt-4.1', 200, null],
    ]);
    expect(rows[2]!.costUsd).toBeGreaterThan(0);
    expect(rows[0]!.costUsd).toBe(0);
  });

  it('honours Retry-After: the cooling provider is skipped, without a call, until it expires', async () => {
    const before = h.upstreamA.requests.length;
    const stream = await h.openai(key).chat.completions.create({
      model: 'chain',
      stream: true,
      messages: [{ role: 'user', content: '[rehearsal:echo] while cooling' }],
    });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('echo: while cooling');
    expect(h.upstreamA.requests.length).toBe(before);
    const health = (await (await fetch(`${h.proxy.url}/proxy/health`)).json()) as any;
    expect(health.providers.anthropic.cooling_down_ms).toBeGreaterThan(0);
    expect(health.providers.openai.cooling_down_ms).toBe(0);
  });

  it('refuses with 429 and Retry-After when every candidate is cooling down, without calling upstream', async () => {
    const before = h.upstreamA.requests.length;
    const err = await h
      .openai(key)
      .chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).status).toBe(429);
    expect((err as APIError).code).toBe('providers_cooling_down');
    expect(Number((err as APIError).headers?.get('retry-after'))).toBeGreaterThan(0);
    expect(h.upstreamA.requests.length).toBe(before);
  });

  it('falls back when the first candidate does not answer within the first-token timeout', async () => {
    h.upstreamB.injectFault({ status: 500, count: 1, latencyMs: 3000, match: { model: 'gpt-4.1' } });
    const { data, response } = await h
      .openai(key)
      .chat.completions.create({
        model: 'openai_pair',
        messages: [{ role: 'user', content: '[rehearsal:echo] too slow' }],
      })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe('echo: too slow');
    expect(data.model).toBe('gpt-4.1-mini');
    const rows = await h.audit(response.headers.get('x-request-id')!);
    expect(rows.map((r) => [r.resolvedModel, r.status, r.errorCode])).toEqual([
      ['gpt-4.1', 504, 'upstream_timeout'],
      ['gpt-4.1-mini', 200, null],
    ]);
  });
});

describe('after the first byte', () => {
  it('ends the stream with an error event and does not retry on another candidate', async () => {
    const before = h.upstreamB.requests.length;
    const stream = await h.openai(key).chat.completions.create({
      model: 'openai_pair',
      stream: true,
      messages: [{ role: 'user', content: '[rehearsal:drop-mid-stream] go' }],
    });
    let text = '';
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect(String((err as APIError).message)).toMatch(/upstream stream/);
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toBe('one two three four five six seven eight nine ten');
    const calls = h.upstreamB.requests.slice(before);
    expect(calls.map((r) => r.model)).toEqual(['gpt-4.1']);
    const rows = await h.audit();
    const last = rows.filter((r) => r.requestedModel === 'openai_pair').at(-1)!;
    expect(last).toMatchObject({
      resolvedModel: 'gpt-4.1',
      status: 502,
      errorCode: 'upstream_stream_failed',
    });
  });

  it('does the same on the Anthropic surface: an error event, one upstream call', async () => {
    const before = h.upstreamB.requests.length;
    const err = await h
      .anthropic(key)
      .messages.stream({
        model: 'openai_pair',
        max_tokens: 50,
        messages: [{ role: 'user', content: '[rehearsal:drop-mid-stream] go' }],
      })
      .finalMessage()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String(err)).toMatch(/upstream stream/);
    expect(h.upstreamB.requests.length - before).toBe(1);
  });

  it('records a client that hangs up mid-stream as client_closed (499) with the usage so far', async () => {
    const ctl = new AbortController();
    const { data: stream, response } = await h
      .openai(key)
      .chat.completions.create(
        { model: 'gpt-4.1', stream: true, messages: [{ role: 'user', content: '[rehearsal:slow-text] go' }] },
        { signal: ctl.signal, headers: { 'cache-control': 'no-store' } },
      )
      .withResponse();
    const requestId = response.headers.get('x-request-id')!;
    const it = stream[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    ctl.abort();
    let row: any;
    for (let i = 0; i < 50 && !row; i++) {
      row = (await h.audit(requestId)).find((r) => r.errorCode === 'client_closed');
      if (!row) await new Promise((r) => setTimeout(r, 100));
    }
    expect(row).toMatchObject({ status: 499, resolvedModel: 'gpt-4.1', errorCode: 'client_closed' });
  });
});
