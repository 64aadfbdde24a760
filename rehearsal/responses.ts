// The OpenAI Responses wire format (POST /v1/responses), which Codex speaks: request
// normalisation over `input` items and answers as the typed SSE event sequence Codex parses
// (response.created … output_item.added/…delta/…done … response.completed with usage), or as one
// JSON response object when not streaming. Scenario tool calls are translated to the command tool
// the client offers (see tool-dialects.ts).
import type { ServerResponse } from 'node:http';
import { textOf } from './openai.js';
import { sleep, type Output } from './output.js';
import type { NormalizedRequest, Selection } from './select.js';
import { fill, tokensOf } from './select.js';
import { toCodex } from './tool-dialects.js';

export interface ResponsesItem {
  type?: string;
  role?: string;
  content?: unknown;
  name?: string;
  arguments?: string;
  call_id?: string;
  output?: unknown;
}

export interface ResponsesRequest {
  model?: string;
  instructions?: string;
  input?: string | ResponsesItem[];
  tools?: { type?: string; name?: string }[];
  stream?: boolean;
}

/** Items the model produced; anything else in `input` came from the client. */
const ASSISTANT_ITEMS = new Set([
  'function_call',
  'custom_tool_call',
  'local_shell_call',
  'reasoning',
  'web_search_call',
]);
const isAssistantItem = (item: ResponsesItem) =>
  ASSISTANT_ITEMS.has(item.type ?? '') || (item.type === 'message' && item.role === 'assistant');

// Codex sends context it gathered (<environment_context>, <user_instructions>, …) as user messages
// made of one or more tagged blocks; they are not the user's words.
const CONTEXT_ONLY = /^\s*(?:<([a-z_]+)>[\s\S]*?<\/\1>\s*)+$/;
const isUserTurn = (item: ResponsesItem) =>
  (item.type === 'message' || item.type === undefined) &&
  item.role === 'user' &&
  !CONTEXT_ONLY.test(textOf(item.content));

export function normalizeResponses(body: ResponsesRequest): NormalizedRequest & { promptChars: number } {
  const items: ResponsesItem[] =
    typeof body.input === 'string'
      ? [{ type: 'message', role: 'user', content: body.input }]
      : Array.isArray(body.input)
        ? body.input
        : [];
  let lastUserIdx = -1;
  items.forEach((item, i) => {
    if (isUserTurn(item)) lastUserIdx = i;
  });
  // One model response can hold several items (text, parallel calls): a turn is a run of them.
  let turns = 0;
  let inTurn = false;
  for (const item of items.slice(lastUserIdx + 1)) {
    const assistant = isAssistantItem(item);
    if (assistant && !inTurn) turns++;
    inTurn = assistant;
  }
  const system = [
    body.instructions ?? '',
    ...items
      .filter((i) => i.type === 'message' && (i.role === 'system' || i.role === 'developer'))
      .map((i) => textOf(i.content)),
  ]
    .filter(Boolean)
    .join('\n');
  return {
    system,
    lastUser: lastUserIdx >= 0 ? textOf(items[lastUserIdx]!.content) : '',
    assistantTurnsSinceUser: turns,
    hasTools: Array.isArray(body.tools) && body.tools.length > 0,
    promptChars:
      (body.instructions ?? '').length +
      JSON.stringify(items).length +
      JSON.stringify(body.tools ?? []).length,
  };
}

export async function answerResponses(
  res: ServerResponse,
  body: ResponsesRequest,
  sel: Selection,
  out: Output,
  promptChars: number,
  seq: number,
): Promise<{ input: number; output: number }> {
  const id = `resp_rehearsal_${seq}`;
  const model = body.model ?? 'rehearsal-1';
  const offered = new Set(
    (body.tools ?? []).map((t) => t?.name).filter((n): n is string => typeof n === 'string'),
  );
  const calls = out.tools
    .map((t) => toCodex(fill(t, sel.user), offered))
    .map((t, i) => ({
      type: 'function_call' as const,
      id: `fc_rehearsal_${seq}_${i}`,
      call_id: `call_${seq}_${i}`,
      name: t.name,
      arguments: JSON.stringify(t.arguments),
      status: 'completed' as const,
    }));
  const message = out.text
    ? {
        type: 'message' as const,
        id: `msg_rehearsal_${seq}`,
        role: 'assistant' as const,
        status: 'completed' as const,
        content: [{ type: 'output_text' as const, text: out.text, annotations: [] }],
      }
    : undefined;
  const output = [...(message ? [message] : []), ...calls];
  const outChars = out.text.length + calls.reduce((n, c) => n + c.arguments.length, 0);
  const inputTokens = tokensOf(promptChars);
  const outputTokens = tokensOf(outChars);
  const usage = {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + outputTokens,
  };
  const response = (status: 'in_progress' | 'completed', items: unknown[], u: typeof usage | null) => ({
    id,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    model,
    output: items,
    usage: u,
    error: null,
    incomplete_details: null,
  });
  const result = { input: inputTokens, output: outputTokens };

  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(response('completed', output, usage)));
    return result;
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  let closed = false;
  res.on('close', () => (closed = true));
  let sequence = 0;
  const send = (type: string, data: object) => {
    if (!closed)
      res.write(
        `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`,
      );
  };
  send('response.created', { response: response('in_progress', [], null) });
  send('response.in_progress', { response: response('in_progress', [], null) });
  let outputIndex = 0;
  if (message) {
    const item = { item_id: message.id, output_index: outputIndex, content_index: 0 };
    send('response.output_item.added', {
      output_index: outputIndex,
      item: { ...message, status: 'in_progress', content: [] },
    });
    send('response.content_part.added', {
      ...item,
      part: { type: 'output_text', text: '', annotations: [] },
    });
    for (let i = 0; i < out.text.length && !closed; i += out.chunkSize) {
      send('response.output_text.delta', { ...item, delta: out.text.slice(i, i + out.chunkSize) });
      if (out.delayPerChunkMs) await sleep(out.delayPerChunkMs);
    }
    send('response.output_text.done', { ...item, text: out.text });
    send('response.content_part.done', { ...item, part: message.content[0] });
    send('response.output_item.done', { output_index: outputIndex, item: message });
    outputIndex++;
  }
  for (const call of calls) {
    const half = call.arguments.length >> 1;
    const ref = { item_id: call.id, output_index: outputIndex };
    send('response.output_item.added', {
      output_index: outputIndex,
      item: { ...call, arguments: '', status: 'in_progress' },
    });
    send('response.function_call_arguments.delta', { ...ref, delta: call.arguments.slice(0, half) });
    send('response.function_call_arguments.delta', { ...ref, delta: call.arguments.slice(half) });
    send('response.function_call_arguments.done', { ...ref, arguments: call.arguments });
    send('response.output_item.done', { output_index: outputIndex, item: call });
    outputIndex++;
  }
  if (closed) return result;
  send('response.completed', { response: response('completed', output, usage) });
  res.end();
  return result;
}
