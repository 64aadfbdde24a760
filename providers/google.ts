// Google's Gemini generateContent wire format, as an upstream only. Gemini has no tool-call ids:
// calls are matched to results by function name, so ids are minted here (unique per call, and in
// the character set every other provider accepts) and mapped back to names from the history.
import { randomBytes } from 'node:crypto';
import type {
  ChatRequest,
  ChatResponse,
  FinishReason,
  ProviderAdapter,
  StreamDecoder,
  StreamEvent,
  Usage,
} from './types.js';

interface Part {
  text?: string;
  /** A thought summary (only with includeThoughts): never part of the answer. */
  thought?: boolean;
  functionCall?: { name: string; args?: unknown };
  functionResponse?: { name: string; response: unknown };
}

export function encodeGoogleRequest(req: ChatRequest) {
  const names = new Map<string, string>();
  for (const m of req.messages) for (const t of m.toolCalls ?? []) names.set(t.id, t.name);
  const contents: { role: 'user' | 'model'; parts: Part[] }[] = [];
  const turn = (role: 'user' | 'model') => {
    const last = contents.at(-1);
    if (last?.role === role) return last.parts;
    const t = { role, parts: [] as Part[] };
    contents.push(t);
    return t.parts;
  };
  for (const m of req.messages) {
    if (m.role === 'user') turn('user').push({ text: m.text });
    else if (m.role === 'tool')
      turn('user').push({
        functionResponse: {
          name: names.get(m.toolCallId ?? '') ?? 'tool',
          // The documented keys: "output" for a result, "error" for a failed call.
          response: m.isError ? { error: m.text } : { output: m.text },
        },
      });
    else if (m.text || m.toolCalls?.length)
      // An empty model turn would be refused ("contents.parts must not be empty").
      turn('model').push(
        ...(m.text ? [{ text: m.text }] : []),
        ...(m.toolCalls ?? []).map((t) => ({ functionCall: { name: t.name, args: safeJson(t.arguments) } })),
      );
  }
  const tc = req.toolChoice;
  return {
    contents,
    ...(req.system !== undefined && { systemInstruction: { parts: [{ text: req.system }] } }),
    ...(req.tools.length && {
      tools: [
        {
          // parametersJsonSchema takes JSON Schema as clients write it (additionalProperties,
          // $schema, anyOf…); `parameters` is an OpenAPI subset that refuses those keywords.
          functionDeclarations: req.tools.map((t) => ({
            name: t.name,
            description: t.description,
            parametersJsonSchema: t.parameters,
          })),
        },
      ],
    }),
    ...(tc !== undefined && {
      toolConfig: {
        functionCallingConfig:
          typeof tc === 'string'
            ? { mode: tc === 'required' ? 'ANY' : tc.toUpperCase() }
            : { mode: 'ANY', allowedFunctionNames: [tc.name] },
      },
    }),
    generationConfig: {
      ...(req.maxTokens !== undefined && { maxOutputTokens: req.maxTokens }),
      ...(req.temperature !== undefined && { temperature: req.temperature }),
      ...(req.topP !== undefined && { topP: req.topP }),
      ...(req.stop !== undefined && { stopSequences: req.stop }),
      ...(req.seed !== undefined && { seed: req.seed }),
    },
  };
}

const safeJson = (s: string): unknown => {
  try {
    return JSON.parse(s || '{}');
  } catch {
    return {};
  }
};

interface GeminiChunk {
  responseId?: string;
  modelVersion?: string;
  candidates?: { content?: { parts?: Part[] }; finishReason?: string }[];
  /** Set instead of candidates when the prompt itself was blocked. */
  promptFeedback?: { blockReason?: string };
  usageMetadata?: {
    promptTokenCount?: number;
    candidatesTokenCount?: number;
    cachedContentTokenCount?: number;
    /** Thinking tokens: billed as output, but not in candidatesTokenCount. */
    thoughtsTokenCount?: number;
    /** The prompt of built-in tool use: billed as input, not in promptTokenCount. */
    toolUsePromptTokenCount?: number;
  };
  error?: { message?: string };
}

// promptTokenCount includes cached content; the buckets are exclusive. Streamed chunks carry the
// running totals, so the last usage event is the whole answer's.
const usageOf = (u: GeminiChunk['usageMetadata']): Usage => {
  const cached = u?.cachedContentTokenCount ?? 0;
  return {
    input: Math.max(0, (u?.promptTokenCount ?? 0) + (u?.toolUsePromptTokenCount ?? 0) - cached),
    output: (u?.candidatesTokenCount ?? 0) + (u?.thoughtsTokenCount ?? 0),
    cacheRead: cached,
    cacheWrite: 0,
  };
};

const FILTERED = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

// Gemini finishes a function-calling turn with STOP: the calls decide it.
const finishOf = (r: string | undefined, hasCalls: boolean): FinishReason =>
  hasCalls
    ? 'tool_calls'
    : r === 'MAX_TOKENS'
      ? 'length'
      : r !== undefined && FILTERED.has(r)
        ? 'content_filter'
        : 'stop';

/** Ids for the calls of one answer: `call_g<random>_<index>`, unique across turns. */
const callIds = () => {
  const stem = `call_g${randomBytes(6).toString('hex')}_`;
  return (index: number) => `${stem}${index}`;
};

const answerText = (parts: Part[]) => {
  let text = '';
  for (const p of parts) if (p.text && !p.thought) text += p.text;
  return text;
};

export function decodeGoogleResponse(body: unknown): ChatResponse {
  const b = body as GeminiChunk;
  const cand = b.candidates?.[0];
  const parts = cand?.content?.parts ?? [];
  const idOf = callIds();
  const calls = parts
    .filter((p) => p.functionCall)
    .map((p, i) => ({
      id: idOf(i),
      name: p.functionCall!.name,
      arguments: JSON.stringify(p.functionCall!.args ?? {}),
    }));
  return {
    id: b.responseId ?? 'gemini-unknown',
    model: b.modelVersion ?? '',
    text: answerText(parts),
    toolCalls: calls,
    finish:
      !cand && b.promptFeedback?.blockReason
        ? 'content_filter'
        : finishOf(cand?.finishReason, calls.length > 0),
    usage: usageOf(b.usageMetadata),
  };
}

export function googleStreamDecoder(): StreamDecoder {
  let started = false;
  let calls = 0;
  const idOf = callIds();
  return {
    decode(_event, data) {
      const c = JSON.parse(data) as GeminiChunk;
      if (c.error) return [{ type: 'error', message: c.error.message ?? 'upstream stream error' }];
      const out: StreamEvent[] = [];
      if (!started) {
        started = true;
        out.push({ type: 'start', id: c.responseId ?? 'gemini-stream', model: c.modelVersion ?? '' });
      }
      const cand = c.candidates?.[0];
      for (const p of cand?.content?.parts ?? []) {
        if (p.text && !p.thought) out.push({ type: 'text', text: p.text });
        if (p.functionCall) {
          const index = calls++;
          out.push({ type: 'tool_start', index, id: idOf(index), name: p.functionCall.name });
          out.push({ type: 'tool_args', index, delta: JSON.stringify(p.functionCall.args ?? {}) });
        }
      }
      if (cand?.finishReason) out.push({ type: 'finish', reason: finishOf(cand.finishReason, calls > 0) });
      else if (!cand && c.promptFeedback?.blockReason) out.push({ type: 'finish', reason: 'content_filter' });
      if (c.usageMetadata) out.push({ type: 'usage', usage: usageOf(c.usageMetadata) });
      return out;
    },
  };
}

export const googleAdapter = (): ProviderAdapter => ({
  name: 'google',
  wire: 'google',
  buildRequest: (req, model, endpoint) => ({
    url: `${endpoint.baseUrl}/v1beta/models/${encodeURIComponent(model)}:${req.stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
    headers: {
      'content-type': 'application/json',
      ...(endpoint.apiKey && { 'x-goog-api-key': endpoint.apiKey }),
    },
    body: JSON.stringify(encodeGoogleRequest(req)),
  }),
  decodeResponse: decodeGoogleResponse,
  streamDecoder: googleStreamDecoder,
});
