// Some agent clients add turns and decorations of their own around the user's words. They are not
// the user's words, so scenario selection and {{user}} see the request without them. OpenClaw:
// a user turn made only of an <<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>> block after the real prompt,
// and a "[Wed 2026-11-25 06:46 UTC] " prefix and "\n\nRuntime: agent=…" footer on the prompt.
import type { OpenAiRequest } from './openai.js';

const OPENCLAW_CONTEXT =
  /^\s*<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>[\s\S]*<<<END_OPENCLAW_INTERNAL_CONTEXT>>>\s*$/;
const OPENCLAW_STAMP = /^\[[A-Z][a-z]{2} \d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})? [A-Za-z+\-0-9:]+\] /;
const OPENCLAW_FOOTER = /\n\nRuntime: agent=[^\n]*$/;

const textOf = (content: unknown): string | undefined =>
  typeof content === 'string'
    ? content
    : Array.isArray(content) && content.every((p: { type?: string }) => p?.type === 'text')
      ? content.map((p: { text?: string }) => p.text ?? '').join('')
      : undefined;

/** The chat-completions request as the scenario author would write it: client additions removed. */
export function withoutClientContext(body: OpenAiRequest): OpenAiRequest {
  if (!Array.isArray(body.messages)) return body;
  const messages = body.messages
    .filter((m) => !(m?.role === 'user' && OPENCLAW_CONTEXT.test(textOf(m.content) ?? '')))
    .map((m) =>
      m?.role === 'user' && typeof m.content === 'string' && OPENCLAW_FOOTER.test(m.content)
        ? { ...m, content: m.content.replace(OPENCLAW_STAMP, '').replace(OPENCLAW_FOOTER, '') }
        : m,
    );
  return { ...body, messages };
}
