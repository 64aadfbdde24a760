// The OpenAI chat-completions wire format, both as the proxy's client-facing surface (decode the
// request, encode the answer and its SSE chunks) and as an upstream (encode, decode, stream).
import { z } from 'zod';
import { sseData } from './sse.js';
import type {
  ChatMessage,
  ChatRequest,
  ChatResponse,
  FinishReason,
  ProviderAdapter,
  StreamDecoder,
  StreamEvent,
  ToolCall,
  ToolChoice,
  Usage,
} from './types.js';

const TextPart = z.object({ type: z.literal('text'), text: z.string() });
const Content = z.union([z.string(), z.array(TextPart)]).nullish();
const ToolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string(), arguments: z.string() }),
});
const Message = z.discriminatedUnion('role', [
  z.object({ role: z.enum(['system', 'developer']), content: Content }),
  z.object({ role: z.literal('user'), content: Content }),
  z.object({
    role: z.literal('assistant'),
    content: Content,
    tool_calls: z.array(ToolCallSchema).optional(),
  }),
  z.object({ role: z.literal('tool'), content: Content, tool_call_id: z.string() }),
]);

export const OpenAiChatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(Message).min(1),
  tools: z
    .array(
      z.object({
        type: z.literal('function'),
        function: z.object({
          name: z.string().min(1),
          description: z.string().optional(),
          parameters: z.record(z.string(), z.unknown()).optional(),
        }),
      }),
    )
    .optional(),
  tool_choice: z
    .union([
      z.enum(['auto', 'none', 'required']),
      z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) }),
    ])
    .optional(),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  stop: z.union([z.string(), z.array(z.string())]).optional(),
  seed: z.number().int().optional(),
  stream: z.boolean().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
});
export type OpenAiChatRequest = z.infer<typeof OpenAiChatRequestSchema>;

const textOf = (c: z.infer<typeof Content>): string =>
  typeof c === 'string' ? c : Array.isArray(c) ? c.map((p) => p.text).join('') : '';

export function decodeOpenAiRequest(body: OpenAiChatRequest): ChatRequest {
  const system: string[] = [];
  const messages: ChatMessage[] = [];
  for (const m of body.messages) {
    if (m.role === 'user') messages.push({ role: 'user', text: textOf(m.content) });
    else if (m.role === 'tool')
      messages.push({ role: 'tool', text: textOf(m.content), toolCallId: m.tool_call_id });
    else if (m.role !== 'assistant') system.push(textOf(m.content));
    else
      messages.push({
        role: 'assistant',
        text: textOf(m.content),
        ...(m.tool_calls?.length && {
          toolCalls: m.tool_calls.map((t) => ({
            id: t.id,
            name: t.function.name,
            arguments: t.function.arguments,
          })),
        }),
      });
  }
  const tc = body.tool_choice;
  const toolChoice: ToolChoice | undefined =
    tc === undefined ? undefined : typeof tc === 'string' ? tc : { name: tc.function.name };
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  return {
    model: body.model,
    system: system.length ? system.join('\n\n') : undefined,
    messages,
    tools: (body.tools ?? []).map((t) => ({
      name: t.function.name,
      ...(t.function.description !== undefined && { description: t.function.description }),
      parameters: t.function.parameters ?? { type: 'object', properties: {} },
    })),
    ...(toolChoice !== undefined && { toolChoice }),
    ...(maxTokens !== undefined && { maxTokens }),
    ...(body.temperature !== undefined && { temperature: body.temperature }),
    ...(body.top_p !== undefined && { topP: body.top_p }),
    ...(body.stop !== undefined && { stop: typeof body.stop === 'string' ? [body.stop] : body.stop }),
    ...(body.seed !== undefined && { seed: body.seed }),
    stream: body.stream === true,
    includeUsage: body.stream_options?.include_usage === true,
    ...(extras(body) && { openAiExtras: extras(body) }),
  };
}

const EXTRA_PARAMS = [
  'response_format',
  'frequency_penalty',
  'presence_penalty',
  'logit_bias',
  'parallel_tool_calls',
  'reasoning_effort',
  'user',
] as const;

function extras(body: Record<string, unknown>): Record<string, unknown> | undefined {
  const found = EXTRA_PARAMS.filter((k) => body[k] !== undefined);
  return found.length ? Object.fromEntries(found.map((k) => [k, body[k]])) : undefined;
}

/** The upstream body: usage is always requested on streams, since cost depends on it. */
export function encodeOpenAiRequest(req: ChatRequest, model: string): Record<string, unknown> {
  const messages: unknown[] = [];
  if (req.system !== undefined) messages.push({ role: 'system', content: req.system });
  for (const m of req.messages) {
    if (m.role === 'user') messages.push({ role: 'user', content: m.text });
    else if (m.role === 'tool') messages.push({ role: 'tool', tool_call_id: m.toolCallId, content: m.text });
    else
      messages.push({
        role: 'assistant',
        content: m.text || (m.toolCalls?.length ? null : ''),
        ...(m.toolCalls?.length && {
          tool_calls: m.toolCalls.map((t) => ({
            id: t.id,
            type: 'function',
            function: { name: t.name, arguments: t.arguments },
          })),
        }),
      });
  }
  const tc = req.toolChoice;
  return {
    model,
    messages,
    ...(req.tools.length && {
      tools: req.tools.map((t) => ({
        type: 'function',
        function: { name: t.name, description: t.description, parameters: t.parameters },
      })),
    }),
    ...(tc !== undefined && {
      tool_choice: typeof tc === 'string' ? tc : { type: 'function', function: { name: tc.name } },
    }),
    ...(req.maxTokens !== undefined && { max_tokens: req.maxTokens }),
    ...(req.temperature !== undefined && { temperature: req.temperature }),
    ...(req.topP !== undefined && { top_p: req.topP }),
    ...(req.stop !== undefined && { stop: req.stop }),
    ...(req.seed !== undefined && { seed: req.seed }),
    ...req.openAiExtras,
    ...(req.stream && { stream: true, stream_options: { include_usage: true } }),
  };
}

interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
}

// OpenAI's prompt_tokens include the cached ones; the buckets are exclusive.
const usageOf = (u: OpenAiUsage | undefined | null): Usage => {
  const cached = u?.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    input: Math.max(0, (u?.prompt_tokens ?? 0) - cached),
    output: u?.completion_tokens ?? 0,
    cacheRead: cached,
    cacheWrite: 0,
  };
};

const finishOf = (r: string | null | undefined): FinishReason =>
  r === 'length'
    ? 'length'
    : r === 'tool_calls' || r === 'function_call'
      ? 'tool_calls'
      : r === 'content_filter'
        ? 'content_filter'
        : 'stop';

interface OpenAiCompletion {
  id?: string;
  model?: string;
  choices?: {
    message?: {
      content?: string | null;
      tool_calls?: { id: string; function: { name: string; arguments: string } }[];
    };
    finish_reason?: string | null;
  }[];
  usage?: OpenAiUsage;
}

export function decodeOpenAiResponse(body: unknown): ChatResponse {
  const b = body as OpenAiCompletion;
  const choice = b.choices?.[0];
  return {
    id: b.id ?? 'chatcmpl-unknown',
    model: b.model ?? '',
    text: choice?.message?.content ?? '',
    toolCalls: (choice?.message?.tool_calls ?? []).map((t) => ({
      id: t.id,
      name: t.function.name,
      arguments: t.function.arguments,
    })),
    finish: finishOf(choice?.finish_reason),
    usage: usageOf(b.usage),
  };
}

interface OpenAiChunk {
  id?: string;
  model?: string;
  choices?: {
    delta?: {
      content?: string | null;
      tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[];
    };
    finish_reason?: string | null;
  }[];
  usage?: OpenAiUsage | null;
  error?: { message?: string };
}

export function openAiStreamDecoder(): StreamDecoder {
  let started = false;
  return {
    decode(_event, data) {
      if (data === '[DONE]') return [];
      const chunk = JSON.parse(data) as OpenAiChunk;
      const out: StreamEvent[] = [];
      if (chunk.error) return [{ type: 'error', message: chunk.error.message ?? 'upstream stream error' }];
      if (!started) {
        started = true;
        out.push({ type: 'start', id: chunk.id ?? 'chatcmpl-unknown', model: chunk.model ?? '' });
      }
      const choice = chunk.choices?.[0];
      if (choice?.delta?.content) out.push({ type: 'text', text: choice.delta.content });
      for (const t of choice?.delta?.tool_calls ?? []) {
        if (t.id !== undefined)
          out.push({ type: 'tool_start', index: t.index, id: t.id, name: t.function?.name ?? '' });
        if (t.function?.arguments)
          out.push({ type: 'tool_args', index: t.index, delta: t.function.arguments });
      }
      if (choice?.finish_reason) out.push({ type: 'finish', reason: finishOf(choice.finish_reason) });
      if (chunk.usage) out.push({ type: 'usage', usage: usageOf(chunk.usage) });
      return out;
    },
  };
}

export const openAiAdapter = (name: 'openai' | 'rehearsal'): ProviderAdapter => ({
  name,
  wire: 'openai',
  buildRequest: (req, model, endpoint) => ({
    url: `${endpoint.baseUrl}/chat/completions`,
    headers: {
      'content-type': 'application/json',
      ...(endpoint.apiKey && { authorization: `Bearer ${endpoint.apiKey}` }),
    },
    body: JSON.stringify(encodeOpenAiRequest(req, model)),
  }),
  decodeResponse: decodeOpenAiResponse,
  streamDecoder: openAiStreamDecoder,
});

// ---- surface encoders ----

export interface CostedUsage extends Usage {
  costUsd: number;
}

const wireUsage = (u: CostedUsage) => ({
  prompt_tokens: u.input + u.cacheRead + u.cacheWrite,
  completion_tokens: u.output,
  total_tokens: u.input + u.cacheRead + u.cacheWrite + u.output,
  prompt_tokens_details: { cached_tokens: u.cacheRead },
  cost_usd: u.costUsd,
});

const wireFinish = (f: FinishReason) => f;

const wireToolCalls = (calls: ToolCall[]) =>
  calls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } }));

export function encodeOpenAiResponse(r: ChatResponse, model: string, usage: CostedUsage) {
  return {
    id: r.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: r.toolCalls.length && !r.text ? null : r.text,
          ...(r.toolCalls.length && { tool_calls: wireToolCalls(r.toolCalls) }),
        },
        finish_reason: wireFinish(r.finish),
        logprobs: null,
      },
    ],
    usage: wireUsage(usage),
  };
}

/** Turns stream events into OpenAI chunks; tool indexes are renumbered densely from 0. */
export function openAiStreamEncoder(model: string, includeUsage: boolean) {
  let id = `chatcmpl-dash-${Date.now().toString(36)}`;
  const created = Math.floor(Date.now() / 1000);
  const toolIndex = new Map<number, number>();
  // What `sseData({id, object, created, model, choices: [{index, delta, finish_reason}]})` writes,
  // with the part every chunk of this stream shares serialised once, not once per chunk.
  const opening = () =>
    `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":[{"index":0,"delta":`;
  let shared = opening();
  const chunk = (delta: unknown, finish: string | null = null) =>
    `${shared}${JSON.stringify(delta)},"finish_reason":${JSON.stringify(finish)}}]}\n\n`;
  return {
    encode(e: StreamEvent): string {
      switch (e.type) {
        case 'start':
          id = e.id || id;
          shared = opening();
          return chunk({ role: 'assistant', content: '' });
        case 'text':
          return chunk({ content: e.text });
        case 'tool_start': {
          const index = toolIndex.size;
          toolIndex.set(e.index, index);
          return chunk({
            tool_calls: [{ index, id: e.id, type: 'function', function: { name: e.name, arguments: '' } }],
          });
        }
        case 'tool_args':
          return chunk({
            tool_calls: [{ index: toolIndex.get(e.index) ?? 0, function: { arguments: e.delta } }],
          });
        case 'finish':
          return chunk({}, wireFinish(e.reason));
        case 'usage':
          return '';
        case 'error':
          return sseData({
            error: { message: e.message, type: 'upstream_error', code: 'upstream_stream_failed' },
          });
      }
    },
    end(usage: CostedUsage): string {
      const tail = includeUsage
        ? sseData({
            id,
            object: 'chat.completion.chunk',
            created,
            model,
            choices: [],
            usage: wireUsage(usage),
          })
        : '';
      return `${tail}data: [DONE]\n\n`;
    },
  };
}

export function openAiErrorBody(type: string, code: string, message: string, param: string | null = null) {
  return { error: { message, type, param, code } };
}
