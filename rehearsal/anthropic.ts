// The Anthropic messages wire format: request normalisation and responses, streamed with the
// event sequence the `@anthropic-ai/sdk` expects.
import type { ServerResponse } from 'node:http';
import { textOf } from './openai.js';
import { sleep, type Output } from './output.js';
import type { NormalizedRequest, Selection } from './select.js';
import { fill, tokensOf } from './select.js';
import { claudeCodeCwd, toClaudeCode } from './tool-dialects.js';

interface AnthropicMessage {
  role: string;
  content?: unknown;
}

export interface AnthropicRequest {
  model?: string;
  system?: unknown;
  messages?: AnthropicMessage[];
  tools?: unknown[];
  stream?: boolean;
}

// Claude Code wraps context it attaches to a user turn in <system-reminder> blocks; they are not
// the user's words, so they stay out of rule matching and {{user}}.
const SYSTEM_REMINDER = /<system-reminder>[\s\S]*?<\/system-reminder>/g;

const onlyReminder = (text: unknown) => typeof text === 'string' && !text.replace(SYSTEM_REMINDER, '').trim();

// A user message made only of tool results (plus any reminders the client attached) continues the
// assistant's turn; it is not a new user turn.
const onlyToolResults = (content: unknown) =>
  Array.isArray(content) &&
  content.some((b: { type?: string }) => b?.type === 'tool_result') &&
  content.every(
    (b: { type?: string; text?: unknown }) =>
      b?.type === 'tool_result' || (b?.type === 'text' && onlyReminder(b.text)),
  );

export function normalizeAnthropic(body: AnthropicRequest): NormalizedRequest & { promptChars: number } {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  let lastUserIdx = -1;
  messages.forEach((m, i) => {
    if (m?.role === 'user' && !onlyToolResults(m.content)) lastUserIdx = i;
  });
  const system = textOf(body.system);
  const promptChars =
    system.length +
    messages.reduce((n, m) => n + JSON.stringify(m?.content ?? '').length, 0) +
    JSON.stringify(body.tools ?? []).length;
  return {
    system,
    lastUser:
      lastUserIdx >= 0 ? textOf(messages[lastUserIdx]!.content).replace(SYSTEM_REMINDER, '').trim() : '',
    assistantTurnsSinceUser: messages.slice(lastUserIdx + 1).filter((m) => m?.role === 'assistant').length,
    hasTools: Array.isArray(body.tools) && body.tools.length > 0,
    promptChars,
  };
}

export async function answerAnthropic(
  res: ServerResponse,
  body: AnthropicRequest,
  sel: Selection,
  out: Output,
  promptChars: number,
  seq: number,
): Promise<{ input: number; output: number }> {
  const id = `msg_rehearsal_${seq}`;
  const model = body.model ?? 'rehearsal-1';
  const offered = new Set((body.tools ?? []).map((t) => (t as { name?: string })?.name ?? ''));
  const cwd = out.tools.length
    ? claudeCodeCwd([textOf(body.system), ...(body.messages ?? []).map((m) => textOf(m?.content))].join('\n'))
    : undefined;
  const toolBlocks = out.tools
    .map((t) => toClaudeCode(fill(t, sel.user), offered, cwd))
    .map((t, i) => ({
      type: 'tool_use' as const,
      id: `toolu_${seq}_${i}`,
      name: t.name,
      input: t.arguments,
    }));
  const outChars = out.text.length + toolBlocks.reduce((n, b) => n + JSON.stringify(b.input).length, 0);
  const inputTokens = tokensOf(promptChars);
  const outputTokens = tokensOf(outChars);
  const stopReason = toolBlocks.length ? 'tool_use' : 'end_turn';
  const content = [...(out.text ? [{ type: 'text' as const, text: out.text }] : []), ...toolBlocks];

  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id,
        type: 'message',
        role: 'assistant',
        model,
        content,
        stop_reason: stopReason,
        stop_sequence: null,
        usage: {
          input_tokens: inputTokens,
          output_tokens: outputTokens,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
        },
      }),
    );
    return { input: inputTokens, output: outputTokens };
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  let closed = false;
  res.on('close', () => (closed = true));
  const send = (event: string, data: unknown) => {
    if (!closed)
      res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...(data as object) })}\n\n`);
  };
  send('message_start', {
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: inputTokens,
        output_tokens: 1,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    },
  });
  let index = 0;
  if (out.text) {
    send('content_block_start', { index, content_block: { type: 'text', text: '' } });
    for (let i = 0; i < out.text.length && !closed; i += out.chunkSize) {
      send('content_block_delta', {
        index,
        delta: { type: 'text_delta', text: out.text.slice(i, i + out.chunkSize) },
      });
      if (out.delayPerChunkMs) await sleep(out.delayPerChunkMs);
    }
    send('content_block_stop', { index });
    index++;
  }
  for (const block of toolBlocks) {
    const json = JSON.stringify(block.input);
    const half = json.length >> 1;
    send('content_block_start', {
      index,
      content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
    });
    send('content_block_delta', {
      index,
      delta: { type: 'input_json_delta', partial_json: json.slice(0, half) },
    });
    send('content_block_delta', {
      index,
      delta: { type: 'input_json_delta', partial_json: json.slice(half) },
    });
    send('content_block_stop', { index });
    index++;
  }
  if (closed) return { input: inputTokens, output: outputTokens };
  send('message_delta', {
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens: outputTokens },
  });
  send('message_stop', {});
  res.end();
  return { input: inputTokens, output: outputTokens };
}

export function anthropicError(
  res: ServerResponse,
  status: number,
  message: string,
  retryAfter?: number,
): void {
  const type =
    status === 429
      ? 'rate_limit_error'
      : status === 529
        ? 'overloaded_error'
        : status >= 500
          ? 'api_error'
          : 'invalid_request_error';
  res.writeHead(status, {
    'content-type': 'application/json',
    ...(retryAfter !== undefined && { 'retry-after': String(retryAfter) }),
  });
  res.end(JSON.stringify({ type: 'error', error: { type, message } }));
}
