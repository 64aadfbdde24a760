// The proxy with the real `openai` and `@anthropic-ai/sdk` clients: both surfaces, streaming and
// not, tool calls, each served by an upstream of either wire format, with cost and audit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, UPSTREAM_KEYS, type Harness } from './harness.js';

let h: Harness;
let key: string;

beforeAll(async () => {
  h = await startHarness();
  key = await h.mint({ sessionId: 'sess-1', swarmId: 'swarm-1', intentId: 'intent-1' });
});
afterAll(async () => {
  await h?.close();
});

const writeTool = {
  type: 'function' as const,
  function: {
    name: 'write',
    description: 'write a file',
    parameters: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } } },
  },
};

describe('OpenAI surface', () => {
  it('answers through the Anthropic-format upstream with cost in a header and an audit row', async () => {
    const { data, response } = await h
      .openai(key)
      .chat.completions.create({
        model: 'smart',
        messages: [{ role: 'user', content: '[rehearsal:echo] hi there' }],
      })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('echo: hi there');
    expect(data.model).toBe('claude-sonnet-4-5');
    expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
    const cost = Number(response.headers.get('x-dash-cost-usd'));
    expect(cost).toBeGreaterThan(0);
    expect(response.headers.get('x-dash-provider')).toBe('anthropic');
    // The upstream saw the server's key, never the client's.
    const seen = h.upstreamA.requests.at(-1)!;
    expect(seen.api).toBe('anthropic');
    expect(seen.authorization).toBe(UPSTREAM_KEYS.anthropic);
    const rows = await h.audit(response.headers.get('x-request-id')!);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      attempt: 1,
      provider: 'anthropic',
      resolvedModel: 'claude-sonnet-4-5',
      requestedModel: 'smart',
      userId: 'alice',
      tenantId: 'acme',
      sessionId: 'sess-1',
      swarmId: 'swarm-1',
      intentId: 'intent-1',
      status: 200,
      cacheHit: false,
    });
    expect(rows[0]!.costUsd).toBeCloseTo(cost, 8);
    expect(rows[0]!.inputTokens).toBe(data.usage!.prompt_tokens);
  });

  it('streams text with a usage chunk that carries the cost', async () => {
    const stream = await h.openai(key).chat.completions.create({
      model: 'gpt-4.1',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: '[rehearsal:echo] a sentence long enough for several chunks' }],
    });
    let text = '';
    let usage: any;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe('echo: a sentence long enough for several chunks');
    expect(usage.completion_tokens).toBeGreaterThan(0);
    expect(usage.cost_usd).toBeGreaterThan(0);
    expect(h.upstreamB.requests.at(-1)).toMatchObject({ api: 'openai', stream: true, model: 'gpt-4.1' });
  });

  it('returns tool calls, streamed and not, from an Anthropic upstream, and takes tool results back', async () => {
    const client = h.openai(key);
    const messages: any[] = [{ role: 'user', content: '[rehearsal:write-file] note this' }];
    const first = await client.chat.completions.create({
      model: 'claude-sonnet-4-5',
      messages,
      tools: [writeTool],
    });
    const call = first.choices[0]!.message.tool_calls![0]! as any;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.function.name).toBe('write');
    expect(JSON.parse(call.function.arguments)).toEqual({ path: 'rehearsal.txt', content: 'note this\n' });

    const streamed = await client.chat.completions
      .stream({ model: 'claude-sonnet-4-5', messages, tools: [writeTool] })
      .finalChatCompletion();
    const sc = streamed.choices[0]!.message.tool_calls![0]! as any;
    expect(streamed.choices[0]!.finish_reason).toBe('tool_calls');
    expect(JSON.parse(sc.function.arguments)).toEqual({ path: 'rehearsal.txt', content: 'note this\n' });

    messages.push(first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'ok' });
    const second = await client.chat.completions.create({
      model: 'claude-sonnet-4-5',
      messages,
      tools: [writeTool],
    });
    expect(second.choices[0]!.message.content).toBe('done');
    // The upstream got the tool result as an Anthropic tool_result turn: step 1 of the rule.
    expect(h.upstreamA.requests.at(-1)!.step).toBe(1);
  });

  it('returns parallel tool calls streamed from an Anthropic upstream with dense indexes', async () => {
    const r = await h
      .openai(key)
      .chat.completions.stream({
        model: 'claude-sonnet-4-5',
        messages: [{ role: 'user', content: '[rehearsal:parallel-tools] go' }],
        tools: [writeTool],
      })
      .finalChatCompletion();
    const calls = r.choices[0]!.message.tool_calls as any[];
    expect(calls.map((c) => JSON.parse(c.function.arguments).path)).toEqual(['a.txt', 'b.txt']);
  });
});

describe('Anthropic surface', () => {
  it('answers through the OpenAI-format upstream, non-streaming', async () => {
    const { data, response } = await h
      .anthropic(key)
      .messages.create({
        model: 'gpt-4.1',
        max_tokens: 256,
        messages: [{ role: 'user', content: '[rehearsal:echo] bonjour' }],
      })
      .withResponse();
    expect(data.content).toEqual([{ type: 'text', text: 'echo: bonjour' }]);
    expect(data.stop_reason).toBe('end_turn');
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect(Number(response.headers.get('x-dash-cost-usd'))).toBeGreaterThan(0);
    expect(h.upstreamB.requests.at(-1)).toMatchObject({
      api: 'openai',
      authorization: `Bearer ${UPSTREAM_KEYS.openai}`,
    });
  });

  it('streams text and tool use from the OpenAI-format upstream, and sends tool results back', async () => {
    const client = h.anthropic(key);
    const tools = [
      {
        name: 'write',
        description: 'write a file',
        input_schema: { type: 'object' as const, properties: {} },
      },
    ];
    let streamedCost: unknown;
    const text = await client.messages
      .stream({
        model: 'gpt-4.1',
        max_tokens: 256,
        messages: [{ role: 'user', content: '[rehearsal:echo] streamed words here' }],
      })
      .on('streamEvent', (e) => {
        if (e.type === 'message_delta') streamedCost = (e.usage as any).cost_usd;
      })
      .finalMessage();
    expect(text.content).toEqual([{ type: 'text', text: 'echo: streamed words here' }]);
    expect(text.usage.output_tokens).toBeGreaterThan(0);
    expect(streamedCost).toBeGreaterThan(0);

    const messages: any[] = [{ role: 'user', content: '[rehearsal:write-file] remember' }];
    const first = await client.messages
      .stream({ model: 'gpt-4.1', max_tokens: 256, messages, tools })
      .finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((b) => b.type === 'tool_use') as any;
    expect(use).toMatchObject({ name: 'write', input: { path: 'rehearsal.txt', content: 'remember\n' } });
    messages.push(
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'ok' }] },
    );
    const second = await client.messages.create({ model: 'gpt-4.1', max_tokens: 256, messages, tools });
    expect(second.content).toEqual([{ type: 'text', text: 'done' }]);
    expect(h.upstreamB.requests.at(-1)!.step).toBe(1);
  });

  it('accepts thinking blocks in the history and leaves them out for another model', async () => {
    const r = await h.anthropic(key).messages.create({
      model: 'gpt-4.1',
      max_tokens: 64,
      messages: [
        { role: 'user', content: 'first' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'let me think', signature: 'sig' },
            { type: 'text', text: 'ok' },
          ],
        },
        { role: 'user', content: '[rehearsal:echo] second' },
      ],
    });
    expect(r.content).toEqual([{ type: 'text', text: 'echo: second' }]);
  });

  it('never passes a provider key on, even when the provider echoes it in an error', async () => {
    h.upstreamB.injectFault({
      status: 400,
      count: 1,
      message: `Incorrect API key provided: ${UPSTREAM_KEYS.openai}.`,
      match: { model: 'gpt-4.1' },
    });
    const res = await fetch(`${h.proxy.url}/proxy/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'x' }] }),
    });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(JSON.parse(text).error.code).toBe('upstream_rejected');
    expect(text).toContain('[redacted]');
    expect(text).not.toContain(UPSTREAM_KEYS.openai);
  });

  it('lists models and aliases, and health names no key', async () => {
    const models = await h.openai(key).models.list();
    const ids = models.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['smart', 'fast', 'cheap', 'claude-sonnet-4-5', 'gpt-4.1']));
    expect(ids).not.toContain('gemini-2.5-pro');
    const health = await fetch(`${h.proxy.url}/proxy/health`);
    const text = await health.text();
    expect(health.status).toBe(200);
    expect(JSON.parse(text).providers.anthropic.enabled).toBe(true);
    for (const k of Object.values(UPSTREAM_KEYS)) expect(text).not.toContain(k);
    expect(JSON.stringify(models)).not.toContain('SECRET');
  });
});
