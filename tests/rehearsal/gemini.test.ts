// The rehearsal server's Gemini endpoint on the wire: generateContent and streamGenerateContent
// answers, the requests Gemini refuses, and errors as google.rpc.Status with RetryInfo.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSse } from '../../providers/sse.js';
import { startRehearsalServer, type RehearsalServer } from '../../rehearsal/server.js';

let server: RehearsalServer;

beforeAll(async () => {
  server = await startRehearsalServer({ port: 0 });
});
afterAll(async () => {
  await server?.close();
});

const call = (model: string, method: string, body: unknown) =>
  fetch(`${server.url}/v1beta/models/${model}:${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': 'g-key' },
    body: JSON.stringify(body),
  });

const user = (text: string) => ({ role: 'user', parts: [{ text }] });

describe('Gemini generateContent', () => {
  it('answers text with usageMetadata and the model from the path', async () => {
    const res = await call('gemini-2.5-flash', 'generateContent', {
      contents: [user('[rehearsal:echo] hi')],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.candidates[0]).toMatchObject({
      content: { role: 'model', parts: [{ text: 'echo: hi' }] },
      finishReason: 'STOP',
    });
    expect(body.modelVersion).toBe('gemini-2.5-flash');
    const u = body.usageMetadata;
    expect(u.totalTokenCount).toBe(u.promptTokenCount + u.candidatesTokenCount);
    expect(server.requests.at(-1)).toMatchObject({ api: 'google', authorization: 'g-key', stream: false });
  });

  it('answers a function call, and counts a functionResponse turn as the same model turn', async () => {
    const tools = [{ functionDeclarations: [{ name: 'write', parametersJsonSchema: { type: 'object' } }] }];
    const first = (await (
      await call('gemini-2.5-pro', 'generateContent', { contents: [user('[rehearsal:write-file] x')], tools })
    ).json()) as any;
    const part = first.candidates[0].content.parts[0];
    expect(part).toEqual({
      functionCall: { name: 'write', args: { path: 'rehearsal.txt', content: 'x\n' } },
    });
    const second = (await (
      await call('gemini-2.5-pro', 'generateContent', {
        contents: [
          user('[rehearsal:write-file] x'),
          { role: 'model', parts: [part] },
          { role: 'user', parts: [{ functionResponse: { name: 'write', response: { output: 'ok' } } }] },
        ],
        tools,
      })
    ).json()) as any;
    expect(second.candidates[0].content.parts).toEqual([{ text: 'done' }]);
  });

  it('streams SSE chunks with running usage and the finish reason on the last', async () => {
    const res = await call('gemini-2.5-flash', 'streamGenerateContent?alt=sse', {
      contents: [user('[rehearsal:echo] a longer sentence in several chunks')],
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const chunks: any[] = [];
    for await (const m of parseSse(res.body!)) chunks.push(JSON.parse(m.data));
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.map((c) => c.candidates[0].content.parts[0].text).join('')).toBe(
      'echo: a longer sentence in several chunks',
    );
    expect(chunks.slice(0, -1).every((c) => !c.candidates[0].finishReason)).toBe(true);
    expect(chunks.at(-1).candidates[0].finishReason).toBe('STOP');
    const counts = chunks.map((c) => c.usageMetadata.candidatesTokenCount);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBe(server.requests.at(-1)!.outputTokens);
  });

  it('refuses what Gemini refuses: empty parts, JSON Schema keywords in `parameters`', async () => {
    const empty = await call('gemini-2.5-flash', 'generateContent', {
      contents: [user('hi'), { role: 'model', parts: [] }],
    });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as any).error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    const schema = await call('gemini-2.5-flash', 'generateContent', {
      contents: [user('hi')],
      tools: [
        {
          functionDeclarations: [{ name: 'w', parameters: { type: 'object', additionalProperties: false } }],
        },
      ],
    });
    expect(schema.status).toBe(400);
    expect(((await schema.json()) as any).error.message).toMatch(/additionalProperties/);
  });

  it('answers an injected 429 as RESOURCE_EXHAUSTED with the delay in RetryInfo', async () => {
    server.injectFault({ status: 429, count: 1, retryAfterSeconds: 7, match: { api: 'google' } });
    const res = await call('gemini-2.5-flash', 'generateContent', { contents: [user('hi')] });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(((await res.json()) as any).error).toEqual({
      code: 429,
      message: 'rehearsal injected 429',
      status: 'RESOURCE_EXHAUSTED',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' }],
    });
  });
});
