// Which model a task's agent uses. A plan may name an alias (smart, fast, cheap, or one configured
// in DASH_PROXY_ALIASES) or a model id. Through the proxy the name is passed as is: the proxy
// resolves aliases with fallback across providers. Talking to one provider directly, an alias
// becomes its first candidate that provider serves; one it cannot serve keeps the default model.
import { findModel } from '../providers/models.js';
import type { LlmSettings } from './config.js';

export function agentModel(
  llm: Pick<LlmSettings, 'kind' | 'model'>,
  requested: string | undefined,
  opts: { viaProxy: boolean; aliases: Record<string, readonly string[]> },
): string {
  if (!requested) return llm.model;
  if (opts.viaProxy) return requested;
  const candidates = opts.aliases[requested];
  if (!candidates) return requested;
  const served = candidates.find((id) => findModel(id)?.provider === llm.kind);
  return served ?? llm.model;
}

/**
 * Whether an agent can be given this model name: an alias, a model in the table, or the configured
 * default. A custom (OpenAI-compatible) endpoint serves names Dash cannot know, so any name goes.
 */
export function isKnownAgentModel(
  llm: { kind: string; model: string },
  name: string,
  aliases: Record<string, readonly string[]>,
): boolean {
  return llm.kind === 'custom' || name === llm.model || name in aliases || findModel(name) !== undefined;
}
