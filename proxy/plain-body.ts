// The common request shapes, recognised without zod: text-only messages and the usual sampling
// parameters, nothing else. A body that passes is one the surface's zod schema accepts unchanged
// (checked against it by tests/proxy/plain-body.test.ts), so it is decoded as it is; anything
// else, including every body zod would refuse, goes through the schema and its error messages.
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const inRange = (v: unknown, min: number, max: number) =>
  v === undefined || (typeof v === 'number' && v >= min && v <= max);
const positiveInt = (v: unknown) => v === undefined || (Number.isSafeInteger(v) && (v as number) > 0);
const optionalBool = (v: unknown) => v === undefined || typeof v === 'boolean';

const OPENAI_KEYS = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
]);
const OPENAI_ROLES = new Set(['system', 'developer', 'user', 'assistant']);

/** An OpenAI chat body of string messages and plain parameters only. */
export function isPlainOpenAiChat(b: Record<string, unknown>): boolean {
  for (const k in b) if (!OPENAI_KEYS.has(k)) return false;
  if (typeof b.model !== 'string' || !b.model) return false;
  if (!plainMessages(b.messages, OPENAI_ROLES)) return false;
  const so = b.stream_options;
  if (so !== undefined && so !== null) {
    if (!isObject(so)) return false;
    for (const k in so) if (k !== 'include_usage') return false;
    if (!optionalBool(so.include_usage)) return false;
  }
  return (
    optionalBool(b.stream) &&
    positiveInt(b.max_tokens) &&
    positiveInt(b.max_completion_tokens) &&
    inRange(b.temperature, 0, 2) &&
    inRange(b.top_p, 0, 1)
  );
}

const ANTHROPIC_KEYS = new Set([
  'model',
  'messages',
  'system',
  'max_tokens',
  'stream',
  'temperature',
  'top_p',
]);
const ANTHROPIC_ROLES = new Set(['user', 'assistant']);

/** An Anthropic messages body of string contents and plain parameters only. */
export function isPlainAnthropicMessages(b: Record<string, unknown>): boolean {
  for (const k in b) if (!ANTHROPIC_KEYS.has(k)) return false;
  if (typeof b.model !== 'string' || !b.model) return false;
  if (!plainMessages(b.messages, ANTHROPIC_ROLES)) return false;
  return (
    (b.system === undefined || typeof b.system === 'string') &&
    optionalBool(b.stream) &&
    positiveInt(b.max_tokens) &&
    inRange(b.temperature, 0, 1) &&
    inRange(b.top_p, 0, 1)
  );
}

function plainMessages(messages: unknown, roles: Set<string>): boolean {
  if (!Array.isArray(messages) || !messages.length) return false;
  for (const m of messages) {
    if (!isObject(m)) return false;
    for (const k in m) if (k !== 'role' && k !== 'content') return false;
    if (typeof m.role !== 'string' || !roles.has(m.role) || typeof m.content !== 'string') return false;
  }
  return true;
}
