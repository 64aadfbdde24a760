// The OpenAI chat-completions wire format: request normalisation and responses, streamed as SSE
// the way the `openai` SDK and Pi parse them (tool-call arguments split across chunks, usage in a
// final chunk with no choices).
import type { ServerResponse } from 'node:http';
import type { NormalizedRequest, Selection } from './select.js';
import { fill, tokensOf } from './select.js';
import { sleep, type Output } from './output.js';

interface OpenAiMessage {
  role: string;
  content?: unknown;
  tool_calls?: unknown[];
}

export interface OpenAiRequest {
  model?: string;
  messages?: OpenAiMessage[];
  tools?: unknown[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

export const textOf = (content: unknown): string =>
  typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content.map((p: { text?: string }) => (typeof p?.text === 'string' ? p.text : '')).join('')
      : '';

export function normalizeOpenAi(body: OpenAiRequest): NormalizedRequest & { promptChars: number } {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  let lastUserIdx = -1;
  messages.forEach((m, i) => {
    if (m?.role === 'user') lastUserIdx = i;
  });
  const system = messages
    .filter((m) => m?.role === 'system' || m?.role === 'developer')
    .map((m) => textOf(m.content))
    .join('\n');
  const promptChars =
    messages.reduce((n, m) => n + textOf(m?.content).length + JSON.stringify(m?.tool_calls ?? '').length, 0) +
    JSON.stringify(body.tools ?? []).length;
  return {
    system,
    lastUser: lastUserIdx >= 0 ? textOf(messages[lastUserIdx]!.content) : '',
    assistantTurnsSinceUser: messages.slice(lastUserIdx + 1).filter((m) => m?.role === 'assistant').length,
    hasTools: Array.isArray(body.tools) && body.tools.length > 0,
    promptChars,
  };
}

export async function answerOpenAi(
  res: ServerResponse,
  body: OpenAiRequest,
  sel: Selection,
  out: Output,
  promptChars: number,
  seq: number,
): Promise<void> {
  const id = `chatcmpl-rehearsal-${seq}`;
  const created = Math.floor(Date.now() / 1000);
  const model = body.model ?? 'rehearsal-1';
  const calls = out.tools.map((t, i) => ({
    id: `call_${seq}_${i}`,
    type: 'function' as const,
    function: { name: t.name, arguments: JSON.stringify(fill(t.arguments, sel.user)) },
  }));
  const outChars = out.text.length + calls.reduce((n, c) => n + c.function.arguments.length, 0);
  const usage = {
    prompt_tokens: tokensOf(promptChars),
    completion_tokens: tokensOf(outChars),
    total_tokens: 0,
  };
  usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  const finish = calls.length ? 'tool_calls' : 'stop';

  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: calls.length && !out.text ? null : out.text,
              ...(calls.length && { tool_calls: calls }),
            },
            finish_reason: finish,
          },
        ],
        usage,
      }),
    );
    return;
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  let closed = false;
  res.on('close', () => (closed = true));
  const send = (o: unknown) => {
    if (!closed) res.write(`data: ${JSON.stringify(o)}\n\n`);
  };
  const chunk = (delta: unknown, finish_reason: string | null = null) =>
    send({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason }],
    });
  chunk({ role: 'assistant', content: '' });
  for (let i = 0, n = 0; i < out.text.length && !closed; i += out.chunkSize) {
    chunk({ content: out.text.slice(i, i + out.chunkSize) });
    // A scripted mid-stream failure: the connection drops after some content went out.
    // Destroyed a moment later, so the chunks already written leave the corked socket first.
    if (++n === out.failAfterChunks) {
      closed = true;
      setTimeout(() => res.destroy(), 10);
    }
    if (out.delayPerChunkMs) await sleep(out.delayPerChunkMs);
  }
  calls.forEach((c, index) => {
    const args = c.function.arguments;
    const half = args.length >> 1;
    chunk({
      tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.function.name, arguments: '' } }],
    });
    chunk({ tool_calls: [{ index, function: { arguments: args.slice(0, half) } }] });
    chunk({ tool_calls: [{ index, function: { arguments: args.slice(half) } }] });
  });
  if (closed) return;
  chunk({}, finish);
  if (body.stream_options?.include_usage)
    send({ id, object: 'chat.completion.chunk', created, model, choices: [], usage });
  res.end('data: [DONE]\n\n');
}

export function openAiError(res: ServerResponse, status: number, message: string, retryAfter?: number): void {
  const type = status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  res.writeHead(status, {
    'content-type': 'application/json',
    ...(retryAfter !== undefined && { 'retry-after': String(retryAfter) }),
  });
  res.end(JSON.stringify({ error: { message, type, code: null } }));
}
