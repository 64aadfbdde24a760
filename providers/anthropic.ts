// The Anthropic messages wire format, both as the proxy's client-facing surface and as an
// upstream. Anthropic's usage buckets are already exclusive (input excludes cache reads/writes).
import { z } from 'zod';
import { sseEvent } from './sse.js';
import type { CostedUsage } from './openai.js';
import type {
  ChatMessage,
  ChatRequest,
  ChatResponse,
  FinishReason,
  ProviderAdapter,
  StreamDecoder,
  StreamEvent,
  ToolChoice,
  Usage,
} from './types.js';

const TextBlock = z.object({ type: z.literal('text'), text: z.string() });
const ToolUseBlock = z.object({
  type: z.literal('tool_use'),
  id: z.string(),
  name: z.string(),
  input: z.unknown(),
});
const ToolResultBlock = z.object({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(TextBlock)]).optional(),
  is_error: z.boolean().optional(),
});
// Thinking blocks in the history (sent back by clients such as Claude Code) carry nothing another
// model can use; they are accepted and left out.
const ThinkingBlock = z.looseObject({ type: z.enum(['thinking', 'redacted_thinking']) });
const Block = z.discriminatedUnion('type', [TextBlock, ToolUseBlock, ToolResultBlock, ThinkingBlock]);

export const AnthropicMessagesRequestSchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().positive().optional(),
  system: z.union([z.string(), z.array(TextBlock)]).optional(),
  messages: z
    .array(z.object({ role: z.enum(['user', 'assistant']), content: z.union([z.string(), z.array(Block)]) }))
    .min(1),
  tools: z
    .array(
      z.object({
        name: z.string().min(1),
        description: z.string().optional(),
        input_schema: z.record(z.string(), z.unknown()),
      }),
    )
    .optional(),
  tool_choice: z
    .object({ type: z.enum(['auto', 'any', 'tool', 'none']), name: z.string().optional() })
    .optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
});
export type AnthropicMessagesRequest = z.infer<typeof AnthropicMessagesRequestSchema>;

const joinText = (blocks: { text: string }[]) => blocks.map((b) => b.text).join('');

export function decodeAnthropicRequest(body: AnthropicMessagesRequest): ChatRequest {
  const messages: ChatMessage[] = [];
  for (const m of body.messages) {
    if (typeof m.content === 'string') {
      messages.push({ role: m.role, text: m.content });
      continue;
    }
    const text = joinText(m.content.filter((b) => b.type === 'text'));
    if (m.role === 'user') {
      for (const b of m.content)
        if (b.type === 'tool_result')
          messages.push({
            role: 'tool',
            toolCallId: b.tool_use_id,
            text: typeof b.content === 'string' ? b.content : joinText(b.content ?? []),
            ...(b.is_error && { isError: true }),
          });
      if (text || !m.content.some((b) => b.type === 'tool_result')) messages.push({ role: 'user', text });
    } else {
      const calls = m.content.flatMap((b) =>
        b.type === 'tool_use' ? [{ id: b.id, name: b.name, arguments: JSON.stringify(b.input ?? {}) }] : [],
      );
      messages.push({ role: 'assistant', text, ...(calls.length && { toolCalls: calls }) });
    }
  }
  const tc = body.tool_choice;
  const toolChoice: ToolChoice | undefined =
    tc === undefined
      ? undefined
      : tc.type === 'any'
        ? 'required'
        : tc.type === 'tool'
          ? { name: tc.name ?? '' }
          : tc.type;
  return {
    model: body.model,
    system: typeof body.system === 'string' ? body.system : body.system ? joinText(body.system) : undefined,
    messages,
    tools: (body.tools ?? []).map((t) => ({
      name: t.name,
      ...(t.description !== undefined && { description: t.description }),
      parameters: t.input_schema,
    })),
    ...(toolChoice !== undefined && { toolChoice }),
    ...(body.max_tokens !== undefined && { maxTokens: body.max_tokens }),
    ...(body.temperature !== undefined && { temperature: body.temperature }),
    ...(body.top_p !== undefined && { topP: body.top_p }),
    ...(body.stop_sequences !== undefined && { stop: body.stop_sequences }),
    stream: body.stream === true,
    includeUsage: true,
  };
}

const parseArgs = (json: string): unknown => {
  try {
    return JSON.parse(json || '{}');
  } catch {
    return {};
  }
};

/** Anthropic wants user/assistant alternation: tool results and the next user text share a turn. */
export function encodeAnthropicRequest(req: ChatRequest, model: string, defaultMaxTokens: number) {
  const messages: { role: 'user' | 'assistant'; content: unknown[] }[] = [];
  const userTurn = () => {
    const last = messages.at(-1);
    if (last?.role === 'user') return last.content;
    const turn = { role: 'user' as const, content: [] as unknown[] };
    messages.push(turn);
    return turn.content;
  };
  for (const m of req.messages) {
    if (m.role === 'tool')
      userTurn().push({
        type: 'tool_result',
        tool_use_id: m.toolCallId,
        content: m.text,
        ...(m.isError && { is_error: true }),
      });
    else if (m.role === 'user') userTurn().push({ type: 'text', text: m.text });
    else
      messages.push({
        role: 'assistant',
        content: [
          ...(m.text ? [{ type: 'text', text: m.text }] : []),
          ...(m.toolCalls ?? []).map((t) => ({
            type: 'tool_use',
            id: t.id,
            name: t.name,
            input: parseArgs(t.arguments),
          })),
        ],
      });
  }
  const tc = req.toolChoice;
  return {
    model,
    max_tokens: req.maxTokens ?? defaultMaxTokens,
    ...(req.system !== undefined && { system: req.system }),
    messages,
    ...(req.tools.length && {
      tools: req.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters })),
    }),
    ...(tc !== undefined && {
      tool_choice:
        tc === 'required'
          ? { type: 'any' }
          : typeof tc === 'string'
            ? { type: tc }
            : { type: 'tool', name: tc.name },
    }),
    ...(req.temperature !== undefined && { temperature: Math.min(1, req.temperature) }),
    ...(req.topP !== undefined && { top_p: req.topP }),
    ...(req.stop !== undefined && { stop_sequences: req.stop }),
    ...(req.stream && { stream: true }),
  };
}

interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

const usageOf = (u: AnthropicUsage | undefined): Partial<Usage> => ({
  ...(u?.input_tokens !== undefined && { input: u.input_tokens }),
  ...(u?.output_tokens !== undefined && { output: u.output_tokens }),
  ...(u?.cache_read_input_tokens != null && { cacheRead: u.cache_read_input_tokens }),
  ...(u?.cache_creation_input_tokens != null && { cacheWrite: u.cache_creation_input_tokens }),
});

const finishOf = (r: string | null | undefined): FinishReason =>
  r === 'max_tokens'
    ? 'length'
    : r === 'tool_use'
      ? 'tool_calls'
      : r === 'refusal'
        ? 'content_filter'
        : 'stop';

interface AnthropicMessage {
  id?: string;
  model?: string;
  content?: { type: string; text?: string; id?: string; name?: string; input?: unknown }[];
  stop_reason?: string | null;
  usage?: AnthropicUsage;
}

export function decodeAnthropicResponse(body: unknown): ChatResponse {
  const b = body as AnthropicMessage;
  const content = b.content ?? [];
  return {
    id: b.id ?? 'msg_unknown',
    model: b.model ?? '',
    text: content.map((c) => (c.type === 'text' ? (c.text ?? '') : '')).join(''),
    toolCalls: content
      .filter((c) => c.type === 'tool_use')
      .map((c) => ({ id: c.id ?? '', name: c.name ?? '', arguments: JSON.stringify(c.input ?? {}) })),
    finish: finishOf(b.stop_reason),
    usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, ...usageOf(b.usage) },
  };
}

interface AnthropicStreamData {
  message?: AnthropicMessage;
  index?: number;
  content_block?: { type: string; id?: string; name?: string };
  delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string | null };
  usage?: AnthropicUsage;
  error?: { message?: string };
}

export function anthropicStreamDecoder(): StreamDecoder {
  return {
    decode(event, data) {
      const d = JSON.parse(data) as AnthropicStreamData & { type?: string };
      const type = event ?? d.type;
      switch (type) {
        case 'message_start':
          return [
            { type: 'start', id: d.message?.id ?? 'msg_unknown', model: d.message?.model ?? '' },
            { type: 'usage', usage: { ...usageOf(d.message?.usage), output: 0 } },
          ];
        case 'content_block_start':
          return d.content_block?.type === 'tool_use'
            ? [
                {
                  type: 'tool_start',
                  index: d.index ?? 0,
                  id: d.content_block.id ?? '',
                  name: d.content_block.name ?? '',
                },
              ]
            : [];
        case 'content_block_delta':
          if (d.delta?.type === 'text_delta' && d.delta.text) return [{ type: 'text', text: d.delta.text }];
          if (d.delta?.type === 'input_json_delta' && d.delta.partial_json)
            return [{ type: 'tool_args', index: d.index ?? 0, delta: d.delta.partial_json }];
          return [];
        case 'message_delta': {
          const out: StreamEvent[] = [{ type: 'usage', usage: usageOf(d.usage) }];
          if (d.delta?.stop_reason) out.unshift({ type: 'finish', reason: finishOf(d.delta.stop_reason) });
          return out;
        }
        case 'error':
          return [{ type: 'error', message: d.error?.message ?? 'upstream stream error' }];
        default:
          return [];
      }
    },
  };
}

export const anthropicAdapter = (defaultMaxTokens: (model: string) => number): ProviderAdapter => ({
  name: 'anthropic',
  wire: 'anthropic',
  buildRequest: (req, model, endpoint) => ({
    url: `${endpoint.baseUrl}/v1/messages`,
    headers: {
      'content-type': 'application/json',
      'anthropic-version': '2023-06-01',
      ...(endpoint.apiKey && { 'x-api-key': endpoint.apiKey }),
    },
    body: JSON.stringify(encodeAnthropicRequest(req, model, defaultMaxTokens(model))),
  }),
  decodeResponse: decodeAnthropicResponse,
  streamDecoder: anthropicStreamDecoder,
});

// ---- surface encoders ----

const wireUsage = (u: CostedUsage) => ({
  input_tokens: u.input,
  output_tokens: u.output,
  cache_read_input_tokens: u.cacheRead,
  cache_creation_input_tokens: u.cacheWrite,
  cost_usd: u.costUsd,
});

const wireStop = (f: FinishReason) =>
  f === 'length'
    ? 'max_tokens'
    : f === 'tool_calls'
      ? 'tool_use'
      : f === 'content_filter'
        ? 'refusal'
        : 'end_turn';

export function encodeAnthropicResponse(r: ChatResponse, model: string, usage: CostedUsage) {
  return {
    id: r.id.startsWith('msg_') ? r.id : `msg_${r.id}`,
    type: 'message',
    role: 'assistant',
    model,
    content: [
      ...(r.text ? [{ type: 'text', text: r.text }] : []),
      ...r.toolCalls.map((t) => ({
        type: 'tool_use',
        id: t.id,
        name: t.name,
        input: parseArgs(t.arguments),
      })),
    ],
    stop_reason: wireStop(r.finish),
    stop_sequence: null,
    usage: wireUsage(usage),
  };
}

/** Turns stream events into Anthropic's block-structured events. */
export function anthropicStreamEncoder(model: string) {
  let open: { kind: 'text' | 'tool'; index: number; source?: number } | undefined;
  let next = 0;
  let stop: FinishReason = 'stop';
  const close = () => {
    if (!open) return '';
    const s = sseEvent('content_block_stop', { type: 'content_block_stop', index: open.index });
    open = undefined;
    return s;
  };
  return {
    encode(e: StreamEvent): string {
      switch (e.type) {
        case 'start':
          return sseEvent('message_start', {
            type: 'message_start',
            message: {
              id: e.id.startsWith('msg_') ? e.id : `msg_${e.id}`,
              type: 'message',
              role: 'assistant',
              model,
              content: [],
              stop_reason: null,
              stop_sequence: null,
              usage: { input_tokens: 0, output_tokens: 0 },
            },
          });
        case 'text': {
          let out = '';
          if (open?.kind !== 'text') {
            out += close();
            open = { kind: 'text', index: next++ };
            out += sseEvent('content_block_start', {
              type: 'content_block_start',
              index: open.index,
              content_block: { type: 'text', text: '' },
            });
          }
          return (
            out +
            sseEvent('content_block_delta', {
              type: 'content_block_delta',
              index: open.index,
              delta: { type: 'text_delta', text: e.text },
            })
          );
        }
        case 'tool_start': {
          const out = close();
          open = { kind: 'tool', index: next++, source: e.index };
          return (
            out +
            sseEvent('content_block_start', {
              type: 'content_block_start',
              index: open.index,
              content_block: { type: 'tool_use', id: e.id, name: e.name, input: {} },
            })
          );
        }
        case 'tool_args':
          return open?.kind === 'tool'
            ? sseEvent('content_block_delta', {
                type: 'content_block_delta',
                index: open.index,
                delta: { type: 'input_json_delta', partial_json: e.delta },
              })
            : '';
        case 'finish':
          stop = e.reason;
          return '';
        case 'usage':
          return '';
        case 'error':
          return (
            close() + sseEvent('error', { type: 'error', error: { type: 'api_error', message: e.message } })
          );
      }
    },
    end(usage: CostedUsage): string {
      return (
        close() +
        sseEvent('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: wireStop(stop), stop_sequence: null },
          usage: wireUsage(usage),
        }) +
        sseEvent('message_stop', { type: 'message_stop' })
      );
    },
  };
}

export function anthropicErrorBody(type: string, message: string) {
  return { type: 'error', error: { type, message } };
}
