// A Google model behind the proxy, end to end: the real `openai` client speaks OpenAI chat
// completions to the proxy, which calls the rehearsal server's Gemini endpoint
// (/v1beta/models/{model}:generateContent, :streamGenerateContent?alt=sse) with the server's key,
// streaming and not, with tool calls and their results; and fallback from a failing first
// provider to Google, every attempt in the audit table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { startRehearsalServer, type RehearsalServer } from '../../rehearsal/server.js';
import { startHarness, type Harness } from './harness.js';

const GOOGLE_KEY = 'AIza-upstream-SECRET-cccccccccccccccc';

let h: Harness;
let gemini: RehearsalServer;
let key: string;

beforeAll(async () => {
  gemini = await startRehearsalServer({ port: 0 });
  h = await startHarness({
    env: {
      DASH_GOOGLE_BASE_URL: gemini.url,
      DASH_GOOGLE_API_KEY: GOOGLE_KEY,
      DASH_PROXY_ALIASES: JSON.stringify({
        anthropic_then_google: ['claude-sonnet-4-5', 'gemini-2.5-pro'],
        openai_then_google: ['gpt-4.1', 'gemini-2.5-flash'],
      }),
    },
  });
  key = await h.mint({ sessionId: 'sess-g', intentId: 'intent-g' });
});
afterAll(async () => {
  await h?.close();
  await gemini?.close();
});

// `additionalProperties` is outside the OpenAPI subset of Gemini's `parameters`: the rehearsal
// endpoint refuses it there as Gemini does, so this also proves the schema goes as JSON Schema.
const writeTool = {
  type: 'function' as const,
  function: {
    name: 'write',
    description: 'write a file',
    parameters: {
      type: 'object',
      properties: { path: { type: 'string' }, content: { type: 'string' } },
      required: ['path', 'content'],
      additionalProperties: false,
    },
  },
};

const lastGeminiCall = () => gemini.requests.at(-1)!;

describe('an OpenAI-format request served by a Google model', () => {
  it('answers a tool call, then the tool result, through generateContent (not streaming)', async () => {
    const client = h.openai(key);
    const user = { role: 'user' as const, content: '[rehearsal:write-file] hello gemini' };
    const { data, response } = await client.chat.completions
      .create({ model: 'gemini-2.5-flash', messages: [user], tools: [writeTool] })
      .withResponse();
    expect(response.headers.get('x-dash-provider')).toBe('google');
    expect(data.model).toBe('gemini-2.5-flash');
    const choice = data.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls![0]!;
    expect(call.type).toBe('function');
    if (call.type !== 'function') throw new Error('not a function call');
    expect(call.function.name).toBe('write');
    expect(JSON.parse(call.function.arguments)).toEqual({ path: 'rehearsal.txt', content: 'hello gemini\n' });

    // The upstream call: Gemini's path and key header, never the client's virtual key.
    const seen = lastGeminiCall();
    expect(seen).toMatchObject({
      api: 'google',
      path: '/v1beta/models/gemini-2.5-flash:generateContent',
      model: 'gemini-2.5-flash',
      stream: false,
      status: 200,
      authorization: GOOGLE_KEY,
    });
    // usageMetadata became the OpenAI usage, costed at Gemini's price.
    expect(data.usage?.prompt_tokens).toBe(seen.inputTokens);
    expect(data.usage?.completion_tokens).toBe(seen.outputTokens);
    const cost = Number(response.headers.get('x-dash-cost-usd'));
    expect(cost).toBeCloseTo((seen.inputTokens! * 0.3 + seen.outputTokens! * 2.5) / 1e6, 12);
    const [row] = await h.audit(response.headers.get('x-request-id')!);
    expect(row).toMatchObject({
      provider: 'google',
      resolvedModel: 'gemini-2.5-flash',
      status: 200,
      sessionId: 'sess-g',
      intentId: 'intent-g',
      inputTokens: seen.inputTokens,
      outputTokens: seen.outputTokens,
    });
    expect(row!.costUsd).toBeCloseTo(cost, 8);

    // The result goes back as a functionResponse matched by name; the model's next step answers.
    const next = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      tools: [writeTool],
      messages: [
        user,
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: 'wrote 13 bytes' },
      ],
    });
    expect(next.choices[0]!.message.content).toBe('done');
    expect(next.choices[0]!.finish_reason).toBe('stop');
    expect(lastGeminiCall()).toMatchObject({ step: 1, rule: 'write-file', status: 200 });
  });

  it('streams a tool call through streamGenerateContent, with usage and cost in the last chunk', async () => {
    const stream = await h.openai(key).chat.completions.create({
      model: 'gemini-2.5-flash',
      stream: true,
      stream_options: { include_usage: true },
      tools: [writeTool],
      messages: [{ role: 'user', content: '[rehearsal:write-file] streamed call' }],
    });
    const calls = new Map<number, { id?: string; name?: string; args: string }>();
    let finish: string | null | undefined;
    let usage: (OpenAI.CompletionUsage & { cost_usd?: number }) | undefined;
    for await (const c of stream) {
      for (const t of c.choices[0]?.delta.tool_calls ?? []) {
        const acc = calls.get(t.index) ?? { args: '' };
        if (t.id) acc.id = t.id;
        if (t.function?.name) acc.name = t.function.name;
        acc.args += t.function?.arguments ?? '';
        calls.set(t.index, acc);
      }
      finish = c.choices[0]?.finish_reason ?? finish;
      if (c.usage) usage = c.usage;
    }
    expect(finish).toBe('tool_calls');
    expect([...calls.values()]).toEqual([
      { id: expect.stringMatching(/^call_g/), name: 'write', args: expect.any(String) },
    ]);
    expect(JSON.parse(calls.get(0)!.args)).toEqual({ path: 'rehearsal.txt', content: 'streamed call\n' });
    const seen = lastGeminiCall();
    expect(seen).toMatchObject({
      path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
      stream: true,
      authorization: GOOGLE_KEY,
    });
    // Every Gemini chunk carries running usage; the last one is the answer's.
    expect(usage?.prompt_tokens).toBe(seen.inputTokens);
    expect(usage?.completion_tokens).toBe(seen.outputTokens);
    expect(usage?.cost_usd).toBeGreaterThan(0);
  });

  it('streams text, and the same Gemini answer reaches the Anthropic SDK', async () => {
    // Several Gemini chunks (16 characters each); PII redaction's hold-back window may merge them.
    const sentence = 'a sentence long enough to arrive in several Gemini chunks';
    const stream = await h.openai(key).chat.completions.create({
      model: 'gemini-2.5-flash',
      stream: true,
      messages: [{ role: 'user', content: `[rehearsal:echo] ${sentence}` }],
    });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe(`echo: ${sentence}`);

    const msg = await h
      .anthropic(key)
      .messages.stream({
        model: 'gemini-2.5-flash',
        max_tokens: 200,
        messages: [{ role: 'user', content: `[rehearsal:echo] ${sentence}` }],
        headers: { 'cache-control': 'no-cache' },
      })
      .finalMessage();
    expect(msg.content).toEqual([{ type: 'text', text: `echo: ${sentence}` }]);
    expect(msg.usage.output_tokens).toBe(lastGeminiCall().outputTokens);
  });
});

describe('fallback to Google', () => {
  it('goes from a 500 on the Anthropic provider to Gemini; the audit has both attempts', async () => {
    h.upstreamA.injectFault({ status: 500, count: 1, match: { model: 'claude-sonnet-4-5' } });
    const { data, response } = await h
      .openai(key)
      .chat.completions.create({
        model: 'anthropic_then_google',
        tools: [writeTool],
        messages: [{ role: 'user', content: '[rehearsal:write-file] after a 500' }],
      })
      .withResponse();
    expect(data.model).toBe('gemini-2.5-pro');
    expect(data.choices[0]!.message.tool_calls?.[0]).toMatchObject({ function: { name: 'write' } });
    expect(response.headers.get('x-dash-provider')).toBe('google');
    expect(response.headers.get('x-dash-attempts')).toBe('2');
    const rows = await h.audit(response.headers.get('x-request-id')!);
    expect(rows.map((r) => [r.attempt, r.provider, r.resolvedModel, r.status, r.errorCode])).toEqual([
      [1, 'anthropic', 'claude-sonnet-4-5', 500, 'upstream_server_error'],
      [2, 'google', 'gemini-2.5-pro', 200, null],
    ]);
    expect(rows[0]!.costUsd).toBe(0);
    expect(rows[1]!.costUsd).toBeGreaterThan(0);
    expect(rows[1]!.intentId).toBe('intent-g');
  });

  it('goes from a 429 on the OpenAI provider to Gemini on a stream; the audit has both attempts', async () => {
    h.upstreamB.injectFault({ status: 429, count: 1, retryAfterSeconds: 1, match: { model: 'gpt-4.1' } });
    const { data: stream, response } = await h
      .openai(key)
      .chat.completions.create({
        model: 'openai_then_google',
        stream: true,
        messages: [{ role: 'user', content: '[rehearsal:echo] after a 429' }],
      })
      .withResponse();
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('echo: after a 429');
    expect(response.headers.get('x-dash-provider')).toBe('google');
    const rows = await h.audit(response.headers.get('x-request-id')!);
    expect(rows.map((r) => [r.attempt, r.provider, r.resolvedModel, r.status, r.errorCode])).toEqual([
      [1, 'openai', 'gpt-4.1', 429, 'upstream_rate_limited'],
      [2, 'google', 'gemini-2.5-flash', 200, null],
    ]);
    expect(lastGeminiCall()).toMatchObject({ stream: true, status: 200 });
  });

  it("cools Google down for the delay in a Gemini 429's RetryInfo (Google sends no Retry-After header)", async () => {
    gemini.injectFault({ status: 429, count: 1, retryAfterSeconds: 20, match: { api: 'google' } });
    const err = await h
      .openai(key)
      .chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: '[rehearsal:echo] quota' }],
      })
      .catch((e: unknown) => e);
    expect((err as { status?: number }).status).toBe(429);
    const health = (await (await fetch(`${h.proxy.url}/proxy/health`)).json()) as {
      providers: Record<string, { cooling_down_ms: number }>;
    };
    expect(health.providers.google!.cooling_down_ms).toBeGreaterThan(15_000);
    expect(health.providers.google!.cooling_down_ms).toBeLessThanOrEqual(20_000);
  });
});
