// A minimal, non-streaming chat call for Dash's own model use (the planner). Agents talk to
// models themselves; this is only for calls Dash makes on its own behalf.
import type { LlmSettings } from './config.js';

export interface ChatResult {
  text: string;
  usage: { input: number; output: number };
  model: string;
}

export class LlmHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(message);
    this.name = 'LlmHttpError';
  }
  get retryable(): boolean {
    return this.status === 408 || this.status === 409 || this.status === 429 || this.status >= 500;
  }
}

export async function chat(
  llm: LlmSettings,
  req: { system: string; user: string; model: string; maxTokens?: number; timeoutMs?: number },
): Promise<ChatResult> {
  if (!llm.baseUrl) throw new Error('LLM base URL not configured');
  const signal = AbortSignal.timeout(req.timeoutMs ?? 120_000);
  if (llm.api === 'anthropic') {
    const res = await fetch(`${llm.baseUrl.replace(/\/v1$/, '')}/v1/messages`, {
      method: 'POST',
      signal,
      headers: {
        'content-type': 'application/json',
        'x-api-key': llm.apiKey ?? '',
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({
        model: req.model,
        max_tokens: req.maxTokens ?? 4096,
        system: req.system,
        messages: [{ role: 'user', content: req.user }],
      }),
    });
    const body = (await readJson(res)) as {
      content?: { type: string; text?: string }[];
      usage?: { input_tokens?: number; output_tokens?: number };
      model?: string;
    };
    return {
      text: (body.content ?? [])
        .filter((b) => b.type === 'text')
        .map((b) => b.text ?? '')
        .join(''),
      usage: { input: body.usage?.input_tokens ?? 0, output: body.usage?.output_tokens ?? 0 },
      model: body.model ?? req.model,
    };
  }
  const res = await fetch(`${llm.baseUrl}/chat/completions`, {
    method: 'POST',
    signal,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${llm.apiKey ?? ''}` },
    body: JSON.stringify({
      model: req.model,
      max_tokens: req.maxTokens ?? 4096,
      messages: [
        { role: 'system', content: req.system },
        { role: 'user', content: req.user },
      ],
    }),
  });
  const body = (await readJson(res)) as {
    choices?: { message?: { content?: string | null } }[];
    usage?: { prompt_tokens?: number; completion_tokens?: number };
    model?: string;
  };
  return {
    text: body.choices?.[0]?.message?.content ?? '',
    usage: { input: body.usage?.prompt_tokens ?? 0, output: body.usage?.completion_tokens ?? 0 },
    model: body.model ?? req.model,
  };
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!res.ok) {
    const retryAfter = Number(res.headers.get('retry-after'));
    throw new LlmHttpError(
      res.status,
      `LLM call failed with HTTP ${res.status}: ${text.slice(0, 500)}`,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new LlmHttpError(502, `LLM returned non-JSON: ${text.slice(0, 200)}`, undefined);
  }
}
