// The rehearsal LLM against the real `openai` and `@anthropic-ai/sdk` clients: both wire formats,
// streaming and not, tool calls, step progression, templating and injected faults.
import fs from 'node:fs';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRehearsalServer, type RehearsalServer } from '../../rehearsal/server.js';
import { isPortFree } from '../../temporal-dev/dev-server.js';
import { tempDir } from '../helpers/repo.js';

let server: RehearsalServer;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  server = await startRehearsalServer({
    port: 0,
    scenarios: [
      {
        name: 'wire',
        rules: [
          {
            name: 'json-echo',
            when: { user: '^json:' },
            steps: [{ text: '{"said": "{{user_json}}", "slug": "{{user_slug}}"}' }],
          },
          {
            name: 'flaky-rule',
            when: { user: 'scripted failure' },
            steps: [{ fault: { status: 503, retryAfterSeconds: 2 } }],
          },
        ],
      },
    ],
  });
  openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'k-openai', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: server.url, apiKey: 'k-anthropic', maxRetries: 0 });
});

afterAll(async () => {
  await server?.close();
});

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'write',
    description: 'write a file',
    parameters: { type: 'object', properties: { path: { type: 'string' } } },
  },
};

describe('OpenAI chat completions', () => {
  it('answers a text request with usage', async () => {
    const r = await openai.chat.completions.create({
      model: 'rehearsal-1',
      messages: [{ role: 'user', content: '[rehearsal:echo] hello there' }],
    });
    expect(r.choices[0]?.message.content).toBe('echo: hello there');
    expect(r.choices[0]?.finish_reason).toBe('stop');
    expect(r.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(r.usage?.total_tokens).toBe((r.usage?.prompt_tokens ?? 0) + (r.usage?.completion_tokens ?? 0));
  });

  it('streams text in chunks, with a usage chunk only when asked for', async () => {
    const withUsage = await openai.chat.completions.create({
      model: 'rehearsal-1',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: '[rehearsal:echo] a longer sentence that spans several chunks' }],
    });
    let text = '';
    let usage: unknown;
    let chunks = 0;
    for await (const c of withUsage) {
      chunks++;
      text += c.choices[0]?.delta.content ?? '';
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe('echo: a longer sentence that spans several chunks');
    expect(chunks).toBeGreaterThan(4);
    expect(usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
    const noUsage = await openai.chat.completions.create({
      model: 'rehearsal-1',
      stream: true,
      messages: [{ role: 'user', content: '[rehearsal:echo] x' }],
    });
    for await (const c of noUsage) expect(c.usage ?? undefined).toBeUndefined();
  });

  it('returns tool calls, reassembles streamed arguments, and advances a step per assistant turn', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: '[rehearsal:write-file] note this' },
    ];
    const stream = openai.chat.completions.stream({ model: 'rehearsal-1', messages, tools: [weatherTool] });
    const first = await stream.finalChatCompletion();
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.type === 'function' && call.function.name).toBe('write');
    expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({
      path: 'rehearsal.txt',
      content: 'note this\n',
    });
    messages.push(first.choices[0]!.message, { role: 'tool', tool_call_id: call!.id, content: 'ok' });
    const second = await openai.chat.completions.create({
      model: 'rehearsal-1',
      messages,
      tools: [weatherTool],
    });
    expect(second.choices[0]?.message.content).toBe('done');
    expect(server.requests.slice(-2).map((r) => r.step)).toEqual([0, 1]);
  });

  it('returns parallel tool calls in one turn', async () => {
    const r = await openai.chat.completions.create({
      model: 'rehearsal-1',
      messages: [{ role: 'user', content: '[rehearsal:parallel-tools] go' }],
      tools: [weatherTool],
    });
    expect(r.choices[0]?.message.tool_calls).toHaveLength(2);
  });

  it('escapes {{user_json}} so JSON answers stay valid', async () => {
    const r = await openai.chat.completions.create({
      model: 'rehearsal-1',
      messages: [{ role: 'user', content: 'json: say "hi"\nand Bye' }],
    });
    expect(JSON.parse(r.choices[0]!.message.content!)).toEqual({
      said: 'json: say "hi"\nand Bye',
      slug: 'json-say-hi-and-bye',
    });
  });

  it('injects a 429 with Retry-After for `count` requests, then answers', async () => {
    server.injectFault({ status: 429, count: 1, retryAfterSeconds: 7, match: { userContains: 'limited' } });
    const err = await openai.chat.completions
      .create({ model: 'rehearsal-1', messages: [{ role: 'user', content: '[rehearsal:echo] limited' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after')).toBe('7');
    const ok = await openai.chat.completions.create({
      model: 'rehearsal-1',
      messages: [{ role: 'user', content: '[rehearsal:echo] limited' }],
    });
    expect(ok.choices[0]?.message.content).toBe('echo: limited');
  });

  it('injects a 500 only for the matching model', async () => {
    server.injectFault({ status: 500, count: 5, match: { model: 'broken-model' } });
    await expect(
      openai.chat.completions.create({ model: 'broken-model', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    const ok = await openai.chat.completions.create({
      model: 'rehearsal-1',
      messages: [{ role: 'user', content: '[rehearsal:echo] fine' }],
    });
    expect(ok.choices[0]?.message.content).toBe('echo: fine');
    server.clearFaults();
  });

  it('answers a scripted fault step and malformed JSON in the OpenAI error shape', async () => {
    await expect(
      openai.chat.completions.create({
        model: 'rehearsal-1',
        messages: [{ role: 'user', content: 'scripted failure' }],
      }),
    ).rejects.toMatchObject({
      status: 503,
    });
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      body: '{"model": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { type: 'invalid_request_error', message: expect.stringMatching(/Malformed JSON/) },
    });
  });

  it('lists models', async () => {
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toContain('rehearsal-1');
  });
});

describe('Anthropic messages', () => {
  it('answers text with usage, streaming and not', async () => {
    const r = await anthropic.messages.create({
      model: 'rehearsal-1',
      max_tokens: 100,
      messages: [{ role: 'user', content: '[rehearsal:echo] hi claude' }],
    });
    expect(r.content).toHaveLength(1);
    expect(r.content[0]).toMatchObject({ type: 'text', text: 'echo: hi claude' });
    expect(r.stop_reason).toBe('end_turn');
    expect(r.usage.input_tokens).toBeGreaterThan(0);
    const streamed = await anthropic.messages
      .stream({
        model: 'rehearsal-1',
        max_tokens: 100,
        messages: [{ role: 'user', content: '[rehearsal:echo] streamed words here' }],
      })
      .finalMessage();
    expect(streamed.content[0]).toMatchObject({ type: 'text', text: 'echo: streamed words here' });
    expect(streamed.usage.output_tokens).toBeGreaterThan(1);
  });

  it('returns tool_use blocks with streamed JSON input, and steps on after a tool result', async () => {
    const tools = [
      { name: 'write', description: 'write', input_schema: { type: 'object' as const, properties: {} } },
    ];
    const first = await anthropic.messages
      .stream({
        model: 'rehearsal-1',
        max_tokens: 100,
        tools,
        messages: [{ role: 'user', content: '[rehearsal:write-file] claude note' }],
      })
      .finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((b) => b.type === 'tool_use');
    expect(use).toMatchObject({ name: 'write', input: { path: 'rehearsal.txt', content: 'claude note\n' } });
    const second = await anthropic.messages.create({
      model: 'rehearsal-1',
      max_tokens: 100,
      tools,
      messages: [
        { role: 'user', content: '[rehearsal:write-file] claude note' },
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: use!.type === 'tool_use' ? use!.id : '', content: 'ok' },
          ],
        },
      ],
    });
    expect(second.content[0]).toMatchObject({ type: 'text', text: 'done' });
  });

  it('uses the Anthropic error shape for faults and malformed JSON', async () => {
    server.injectFault({ status: 529, count: 1, match: { api: 'anthropic' } });
    await expect(
      anthropic.messages.create({
        model: 'rehearsal-1',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toMatchObject({
      status: 529,
    });
    const res = await fetch(`${server.url}/v1/messages`, { method: 'POST', body: 'nope' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });
});

describe('scenarios and lifecycle', () => {
  it('rejects a bad scenario file, naming it', async () => {
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, 'broken.json'),
      JSON.stringify({ name: 'b', rules: [{ name: 'r', steps: [{ txet: 'typo' }] }] }),
    );
    await expect(startRehearsalServer({ port: 0, scenariosDir: dir })).rejects.toThrow(
      /broken\.json is invalid/,
    );
  });

  it('validates fault requests on the admin route', async () => {
    const bad = await fetch(`${server.url}/__rehearsal/faults`, {
      method: 'POST',
      body: JSON.stringify({ status: 'x' }),
    });
    expect(bad.status).toBe(400);
    const ok = await fetch(`${server.url}/__rehearsal/faults`, {
      method: 'POST',
      body: JSON.stringify({ status: 500, count: 1, match: { userContains: 'zz-never' } }),
    });
    expect(ok.status).toBe(201);
  });

  it('frees its port on close', async () => {
    const s = await startRehearsalServer({ port: 0 });
    await s.close();
    expect(await isPortFree(s.port)).toBe(true);
  });
});
