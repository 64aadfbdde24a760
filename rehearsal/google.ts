// Google's Gemini generateContent wire format (POST /v1beta/models/{model}:generateContent and
// :streamGenerateContent?alt=sse): request normalisation over `contents`, answers as one
// GenerateContentResponse or as SSE chunks of it. As Gemini does: the model is in the path, a
// function call comes whole in one part (several parallel calls in one content), every streamed
// chunk carries the running usageMetadata, the last one the finishReason (STOP, also for calls),
// and errors are google.rpc.Status bodies with the retry delay in RetryInfo, not in a header.
import type { ServerResponse } from 'node:http';
import { sleep, type Output } from './output.js';
import type { NormalizedRequest, Selection } from './select.js';
import { fill, tokensOf } from './select.js';

interface GeminiPart {
  text?: string;
  thought?: boolean;
  functionCall?: { name?: string; args?: unknown };
  functionResponse?: { name?: string; response?: unknown };
}

interface GeminiContent {
  role?: string;
  parts?: GeminiPart[];
}

export interface GeminiRequest {
  contents?: GeminiContent[];
  systemInstruction?: GeminiContent;
  tools?: { functionDeclarations?: unknown[] }[];
  generationConfig?: Record<string, unknown>;
}

/** `/v1beta/models/gemini-2.5-flash:streamGenerateContent` → the model and whether it streams. */
export function geminiRoute(url: string): { model: string; stream: boolean } | undefined {
  const m = /^\/(?:v1beta|v1)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(url);
  if (!m) return undefined;
  return { model: decodeURIComponent(m[1]!), stream: m[2] === 'streamGenerateContent' };
}

// JSON Schema keywords outside the OpenAPI subset that `parameters` takes: Gemini refuses a
// request using them there (`parametersJsonSchema` takes them).
const NOT_OPENAPI = ['additionalProperties', '$schema', '$defs', '$ref', 'const'];

function openApiViolation(schema: unknown, at: string): string | undefined {
  if (!schema || typeof schema !== 'object') return undefined;
  for (const [k, v] of Object.entries(schema)) {
    if (NOT_OPENAPI.includes(k)) return `Unknown name "${k}" at '${at}': Cannot find field.`;
    const deeper = openApiViolation(v, `${at}.${k}`);
    if (deeper) return deeper;
  }
  return undefined;
}

/** The request errors Gemini answers with 400 INVALID_ARGUMENT, so a bad encoding fails here too. */
export function geminiRequestError(body: GeminiRequest): string | undefined {
  const contents = Array.isArray(body.contents) ? body.contents : [];
  if (!contents.length) return '* GenerateContentRequest.contents: contents is not specified';
  const empty = contents.findIndex((c) => !partsOf(c).length);
  if (empty >= 0)
    return `* GenerateContentRequest.contents[${empty}].parts: contents.parts must not be empty.`;
  const bad = contents.findIndex((c) => c?.role !== undefined && c.role !== 'user' && c.role !== 'model');
  if (bad >= 0) return `Please use a valid role: user, model.`;
  for (const [i, t] of (Array.isArray(body.tools) ? body.tools : []).entries())
    for (const [j, d] of (t?.functionDeclarations ?? []).entries()) {
      const decl = d as { parameters?: unknown; parametersJsonSchema?: unknown };
      if (decl.parameters !== undefined && decl.parametersJsonSchema !== undefined)
        return `tools[${i}].function_declarations[${j}]: parameters and parameters_json_schema are mutually exclusive`;
      const v = openApiViolation(decl.parameters, `tools[${i}].function_declarations[${j}].parameters`);
      if (v) return `Invalid JSON payload received. ${v}`;
    }
  return undefined;
}

const partsOf = (c: GeminiContent | undefined): GeminiPart[] => (Array.isArray(c?.parts) ? c.parts : []);

const textOfParts = (parts: GeminiPart[]) =>
  parts.map((p) => (typeof p?.text === 'string' && !p.thought ? p.text : '')).join('');

// A user content made only of function responses carries tool results: it continues the model's
// turn, it is not a new user turn.
const isUserTurn = (c: GeminiContent) =>
  (c?.role ?? 'user') === 'user' && partsOf(c).some((p) => typeof p?.text === 'string');

export function normalizeGemini(body: GeminiRequest): NormalizedRequest & { promptChars: number } {
  const contents = Array.isArray(body.contents) ? body.contents : [];
  let lastUserIdx = -1;
  contents.forEach((c, i) => {
    if (isUserTurn(c)) lastUserIdx = i;
  });
  const system = textOfParts(partsOf(body.systemInstruction));
  const tools = Array.isArray(body.tools) ? body.tools : [];
  return {
    system,
    lastUser: lastUserIdx >= 0 ? textOfParts(partsOf(contents[lastUserIdx])) : '',
    assistantTurnsSinceUser: contents.slice(lastUserIdx + 1).filter((c) => c?.role === 'model').length,
    hasTools: tools.some((t) => Array.isArray(t?.functionDeclarations) && t.functionDeclarations.length > 0),
    promptChars: system.length + JSON.stringify(contents).length + JSON.stringify(tools).length,
  };
}

export async function answerGemini(
  res: ServerResponse,
  stream: boolean,
  model: string,
  sel: Selection,
  out: Output,
  promptChars: number,
  seq: number,
): Promise<{ input: number; output: number }> {
  const responseId = `gemini-rehearsal-${seq}`;
  const calls = out.tools.map((t) => ({
    functionCall: { name: t.name, args: fill(t.arguments, sel.user) },
  }));
  const outChars =
    out.text.length + calls.reduce((n, c) => n + JSON.stringify(c.functionCall.args).length, 0);
  const input = tokensOf(promptChars);
  const output = tokensOf(outChars);
  const usageMetadata = (candidates: number) => ({
    promptTokenCount: input,
    candidatesTokenCount: candidates,
    totalTokenCount: input + candidates,
  });
  const candidate = (parts: unknown[], finishReason?: string) => ({
    content: { role: 'model', parts },
    ...(finishReason && { finishReason }),
    index: 0,
  });
  const result = { input, output };

  if (!stream) {
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(
      JSON.stringify({
        candidates: [candidate([...(out.text ? [{ text: out.text }] : []), ...calls], 'STOP')],
        usageMetadata: usageMetadata(output),
        modelVersion: model,
        responseId,
      }),
    );
    return result;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let closed = false;
  res.on('close', () => (closed = true));
  let sent = 0;
  const send = (parts: unknown[], finishReason?: string) => {
    if (closed) return;
    res.write(
      `data: ${JSON.stringify({
        candidates: [candidate(parts, finishReason)],
        usageMetadata: usageMetadata(sent),
        modelVersion: model,
        responseId,
      })}\r\n\r\n`,
    );
  };
  let finished = false;
  const textChunks: string[] = [];
  for (let i = 0; i < out.text.length; i += out.chunkSize)
    textChunks.push(out.text.slice(i, i + out.chunkSize));
  for (let n = 0; n < textChunks.length && !closed; n++) {
    const chunk = textChunks[n]!;
    sent = Math.min(output, sent + tokensOf(chunk.length));
    // With no calls to follow, the last text chunk is the final one, as Gemini sends it.
    const last = n === textChunks.length - 1 && !calls.length && out.failAfterChunks === undefined;
    if (last) {
      sent = output;
      finished = true;
    }
    send([{ text: chunk }], last ? 'STOP' : undefined);
    // A scripted mid-stream failure: the connection drops after some content went out.
    if (n + 1 === out.failAfterChunks) {
      closed = true;
      setTimeout(() => res.destroy(), 10);
    }
    if (out.delayPerChunkMs) await sleep(out.delayPerChunkMs);
  }
  if (closed) return result;
  if (!finished) {
    sent = output;
    send(calls.length ? calls : [{ text: '' }], 'STOP');
  }
  res.end();
  return result;
}

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export function geminiError(res: ServerResponse, status: number, message: string, retryAfter?: number): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(
    JSON.stringify({
      error: {
        code: status,
        message,
        status: STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION'),
        ...(retryAfter !== undefined && {
          details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfter}s` }],
        }),
      },
    }),
  );
}
