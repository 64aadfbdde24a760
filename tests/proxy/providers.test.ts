// The Gemini codec checked against the payload shapes of Google's generateContent documentation,
// for what the rehearsal server does not produce (thoughts, cached and blocked prompts, safety
// stops; end to end through the rehearsal Gemini endpoint in google.test.ts), and the offline
// setup where the rehearsal server is the only provider; the OpenAI stream encoder's bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGoogleResponse, encodeGoogleRequest, googleStreamDecoder } from '../../providers/google.js';
import { costOf } from '../../providers/models.js';
import { openAiStreamEncoder } from '../../providers/openai.js';
import { sseData } from '../../providers/sse.js';
import type { ChatRequest, StreamEvent } from '../../providers/types.js';
import { startRehearsalServer, type RehearsalServer } from '../../rehearsal/server.js';
import { mintVirtualKey } from '../../proxy/auth.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { startProxyServer, type ProxyServer } from './harness.js';
import OpenAI from 'openai';

describe('Gemini codec', () => {
  const req: ChatRequest = {
    model: 'gemini-2.5-flash',
    system: 'be brief',
    messages: [
      { role: 'user', text: 'weather in Paris?' },
      {
        role: 'assistant',
        text: '',
        toolCalls: [{ id: 'call_1', name: 'weather', arguments: '{"city":"Paris"}' }],
      },
      { role: 'tool', toolCallId: 'call_1', text: 'sunny' },
      { role: 'user', text: 'and tomorrow?' },
    ],
    tools: [
      {
        name: 'weather',
        description: 'forecast',
        parameters: { type: 'object', properties: { city: { type: 'string' } } },
      },
    ],
    toolChoice: 'auto',
    maxTokens: 200,
    temperature: 0.2,
    stream: false,
    includeUsage: false,
  };

  it('encodes roles, tool calls, tool results by function name, tools and generation config', () => {
    const body = encodeGoogleRequest(req);
    expect(body.systemInstruction).toEqual({ parts: [{ text: 'be brief' }] });
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'weather in Paris?' }] },
      { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Paris' } } }] },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'weather', response: { output: 'sunny' } } },
          { text: 'and tomorrow?' },
        ],
      },
    ]);
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          { name: 'weather', description: 'forecast', parametersJsonSchema: req.tools[0]!.parameters },
        ],
      },
    ]);
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
    expect(body.generationConfig).toEqual({ maxOutputTokens: 200, temperature: 0.2 });
  });

  it('sends a failed tool result under "error" and never an empty model turn', () => {
    const body = encodeGoogleRequest({
      ...req,
      messages: [
        { role: 'user', text: 'go' },
        { role: 'assistant', text: '' },
        {
          role: 'assistant',
          text: '',
          toolCalls: [{ id: 'call_9', name: 'files.read', arguments: '{"path":"a"}' }],
        },
        { role: 'tool', toolCallId: 'call_9', text: 'ENOENT', isError: true },
      ],
    });
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'go' }] },
      { role: 'model', parts: [{ functionCall: { name: 'files.read', args: { path: 'a' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'files.read', response: { error: 'ENOENT' } } }] },
    ]);
  });

  it('counts thinking tokens as output, leaves thought parts out of the answer, and mints call ids other providers accept', () => {
    const r = decodeGoogleResponse({
      candidates: [
        {
          content: {
            parts: [
              { text: 'planning…', thought: true },
              { text: 'Calling.' },
              { functionCall: { name: 'files.read', args: {} } },
              { functionCall: { name: 'files.read', args: { path: 'b' } } },
            ],
          },
          finishReason: 'STOP',
        },
      ],
      usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 10, thoughtsTokenCount: 250 },
    });
    expect(r.text).toBe('Calling.');
    expect(r.usage).toEqual({ input: 100, output: 260, cacheRead: 0, cacheWrite: 0 });
    const again = decodeGoogleResponse({
      candidates: [{ content: { parts: [{ functionCall: { name: 'files.read', args: {} } }] } }],
    });
    const ids = [...r.toolCalls, ...again.toolCalls].map((t) => t.id);
    expect(new Set(ids).size).toBe(3);
    // Anthropic's tool_use id pattern; a function name may hold dots or colons.
    for (const id of ids) expect(id).toMatch(/^[a-zA-Z0-9_-]+$/);
  });

  it('maps safety stops and a blocked prompt to content_filter', () => {
    expect(decodeGoogleResponse({ candidates: [{ finishReason: 'PROHIBITED_CONTENT' }] }).finish).toBe(
      'content_filter',
    );
    expect(decodeGoogleResponse({ promptFeedback: { blockReason: 'SAFETY' } }).finish).toBe('content_filter');
    expect(decodeGoogleResponse({ candidates: [{ finishReason: 'MAX_TOKENS' }] }).finish).toBe('length');
  });

  it('decodes a response with exclusive usage buckets (cached tokens out of input)', () => {
    const r = decodeGoogleResponse({
      candidates: [
        {
          content: { role: 'model', parts: [{ text: 'Rain, ' }, { text: 'likely.' }] },
          finishReason: 'STOP',
        },
      ],
      usageMetadata: {
        promptTokenCount: 1000,
        candidatesTokenCount: 20,
        cachedContentTokenCount: 600,
        totalTokenCount: 1020,
      },
      modelVersion: 'gemini-2.5-flash',
      responseId: 'r1',
    });
    expect(r).toMatchObject({
      text: 'Rain, likely.',
      finish: 'stop',
      usage: { input: 400, output: 20, cacheRead: 600, cacheWrite: 0 },
    });
    expect(costOf('gemini-2.5-flash', r.usage)).toBeCloseTo((400 * 0.3 + 20 * 2.5 + 600 * 0.075) / 1e6, 12);
    const call = decodeGoogleResponse({
      candidates: [
        {
          content: { parts: [{ functionCall: { name: 'weather', args: { city: 'Oslo' } } }] },
          finishReason: 'STOP',
        },
      ],
    });
    expect(call.finish).toBe('tool_calls');
    expect(call.toolCalls).toEqual([
      { id: expect.any(String), name: 'weather', arguments: '{"city":"Oslo"}' },
    ]);
  });

  it('decodes streamed chunks into text, tool and usage events', () => {
    const d = googleStreamDecoder();
    const events = [
      {
        candidates: [{ content: { parts: [{ text: 'Hel' }] } }],
        responseId: 's1',
        modelVersion: 'gemini-2.5-flash',
      },
      { candidates: [{ content: { parts: [{ text: 'lo' }] } }] },
      {
        candidates: [
          {
            content: { parts: [{ functionCall: { name: 'weather', args: { city: 'Rome' } } }] },
            finishReason: 'STOP',
          },
        ],
        usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5 },
      },
    ].flatMap((c) => d.decode(undefined, JSON.stringify(c)));
    expect(events).toEqual([
      { type: 'start', id: 's1', model: 'gemini-2.5-flash' },
      { type: 'text', text: 'Hel' },
      { type: 'text', text: 'lo' },
      { type: 'tool_start', index: 0, id: expect.any(String), name: 'weather' },
      { type: 'tool_args', index: 0, delta: '{"city":"Rome"}' },
      { type: 'finish', reason: 'tool_calls' },
      { type: 'usage', usage: { input: 10, output: 5, cacheRead: 0, cacheWrite: 0 } },
    ]);
  });
});

describe('OpenAI stream encoder', () => {
  it('writes each chunk exactly as the generic SSE form of the same object', () => {
    const model = 'gpt-"4.1"';
    const encoder = openAiStreamEncoder(model, true);
    const events: StreamEvent[] = [
      { type: 'start', id: 'chatcmpl-"é"\u2028', model: 'upstream-model' },
      { type: 'text', text: 'hé "quoted"\n' },
      { type: 'tool_start', index: 3, id: 'call_1', name: 'weather' },
      { type: 'tool_args', index: 3, delta: '{"city":' },
      { type: 'finish', reason: 'tool_calls' },
    ];
    const frames = events.map((e) => encoder.encode(e));
    const created = (JSON.parse(frames[0]!.slice('data: '.length)) as { created: number }).created;
    const generic = (delta: unknown, finish: string | null) =>
      sseData({
        id: 'chatcmpl-"é"\u2028',
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
    expect(frames).toEqual([
      generic({ role: 'assistant', content: '' }, null),
      generic({ content: 'hé "quoted"\n' }, null),
      generic(
        {
          tool_calls: [
            { index: 0, id: 'call_1', type: 'function', function: { name: 'weather', arguments: '' } },
          ],
        },
        null,
      ),
      generic({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }, null),
      generic({}, 'tool_calls'),
    ]);
  });
});

describe('offline: the rehearsal server as the only provider', () => {
  let upstream: RehearsalServer;
  let db: TestDatabase;
  let proxy: ProxyServer;
  beforeAll(async () => {
    upstream = await startRehearsalServer({ port: 0 });
    db = await createTestDatabase('postgres');
    proxy = await startProxyServer(db, { DASH_PROXY_REHEARSAL_URL: `${upstream.url}/v1` });
  });
  afterAll(async () => {
    await proxy?.close();
    await upstream?.close();
    await db?.drop();
  });

  it('resolves every alias to a rehearsal model and accounts its rehearsal price', async () => {
    const { key } = await mintVirtualKey(db.database.db, { userId: 'offline' });
    const client = new OpenAI({ baseURL: `${proxy.url}/proxy/v1`, apiKey: key, maxRetries: 0 });
    const smart = await client.chat.completions.create({
      model: 'smart',
      messages: [{ role: 'user', content: '[rehearsal:echo] offline' }],
    });
    const fast = await client.chat.completions.create({
      model: 'fast',
      messages: [{ role: 'user', content: '[rehearsal:echo] offline' }],
    });
    expect([smart.model, fast.model]).toEqual(['rehearsal-1', 'rehearsal-fast']);
    expect(smart.choices[0]!.message.content).toBe('echo: offline');
    expect((smart.usage as any).cost_usd).toBeGreaterThan((fast.usage as any).cost_usd);
    const err = await client.chat.completions
      .create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
  });
});
