// Google's Gemini generateContent wire format, as an upstream only. Gemini has no tool-call ids:
// calls are matched to results by function name, so ids are minted here and mapped back.
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
        functionResponse: { name: names.get(m.toolCallId ?? '') ?? 'tool', response: { content: m.text } },
      });
    else
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
          functionDeclarations: req.tools.map((t) => ({
            name: t.name,
            description: t.description,
            parameters: t.parameters,
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
  usageMetadata?: {
    promptTokenCount?: number;
    candidatesTokenCount?: number;
    cachedContentTokenCount?: number;
  };
  error?: { message?: string };
}

// promptTokenCount includes cached content; the buckets are exclusive.
const usageOf = (u: GeminiChunk['usageMetadata']): Usage => {
  const cached = u?.cachedContentTokenCount ?? 0;
  return {
    input: Math.max(0, (u?.promptTokenCount ?? 0) - cached),
    output: u?.candidatesTokenCount ?? 0,
    cacheRead: cached,
    cacheWrite: 0,
  };
};

const finishOf = (r: string | undefined, hasCalls: boolean): FinishReason =>
  hasCalls ? 'tool_calls' : r === 'MAX_TOKENS' ? 'length' : r === 'SAFETY' ? 'content_filter' : 'stop';

export function decodeGoogleResponse(body: unknown): ChatResponse {
  const b = body as GeminiChunk;
  const parts = b.candidates?.[0]?.content?.parts ?? [];
  const calls = parts
    .filter((p) => p.functionCall)
    .map((p, i) => ({
      id: `call_g${i}_${p.functionCall!.name}`,
      name: p.functionCall!.name,
      arguments: JSON.stringify(p.functionCall!.args ?? {}),
    }));
  return {
    id: b.responseId ?? 'gemini-unknown',
    model: b.modelVersion ?? '',
    text: parts.map((p) => p.text ?? '').join(''),
    toolCalls: calls,
    finish: finishOf(b.candidates?.[0]?.finishReason, calls.length > 0),
    usage: usageOf(b.usageMetadata),
  };
}

export function googleStreamDecoder(): StreamDecoder {
  let started = false;
  let calls = 0;
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
        if (p.text) out.push({ type: 'text', text: p.text });
        if (p.functionCall) {
          const index = calls++;
          out.push({
            type: 'tool_start',
            index,
            id: `call_g${index}_${p.functionCall.name}`,
            name: p.functionCall.name,
          });
          out.push({ type: 'tool_args', index, delta: JSON.stringify(p.functionCall.args ?? {}) });
        }
      }
      if (cand?.finishReason) out.push({ type: 'finish', reason: finishOf(cand.finishReason, calls > 0) });
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
