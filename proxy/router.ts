// From a requested model or alias to an ordered list of candidates: the alias's models, cut to
// providers that are configured, to models able to serve the request (tools, streaming, context,
// cost limit), then ordered by the strategy. The same list is the fallback chain.
import { z } from 'zod';
import { anthropicAdapter } from '../providers/anthropic.js';
import { googleAdapter } from '../providers/google.js';
import { findModel, modelInfo, type ModelInfo } from '../providers/models.js';
import { openAiAdapter } from '../providers/openai.js';
import { rehearsalAdapter } from '../providers/rehearsal.js';
import type { ChatRequest, ProviderAdapter, ProviderName } from '../providers/types.js';
import { badRequest, ProxyError } from './errors.js';
import type { ProxySettings } from './settings.js';

export const RoutingSchema = z
  .object({
    fallback_allowed: z.boolean().default(true),
    /** Dollars: candidates whose estimated cost for this request is higher are skipped. */
    cost_limit: z.number().positive().optional(),
    strategy: z.enum(['fixed', 'cost', 'latency']).default('fixed'),
  })
  .strict();
export type Routing = z.infer<typeof RoutingSchema>;

export interface Candidate {
  model: ModelInfo;
  provider: ProviderName;
  adapter: ProviderAdapter;
  estimatedUsd: number;
}

const ADAPTERS: Record<ProviderName, ProviderAdapter> = {
  anthropic: anthropicAdapter((m) => Math.min(modelInfo(m).maxTokens, 8192)),
  openai: openAiAdapter('openai'),
  google: googleAdapter(),
  rehearsal: rehearsalAdapter(),
};

/** Per-provider cooldowns (from Retry-After) and a moving average of time to first token per model. */
export class ProviderHealth {
  private cooldown = new Map<ProviderName, number>();
  private ttft = new Map<string, number>();

  coolDown(provider: ProviderName, ms: number) {
    const until = Date.now() + ms;
    if ((this.cooldown.get(provider) ?? 0) < until) this.cooldown.set(provider, until);
  }

  /** Milliseconds left in a provider's cooldown, 0 when it may be called. */
  coolingFor(provider: ProviderName): number {
    return Math.max(0, (this.cooldown.get(provider) ?? 0) - Date.now());
  }

  observeTtft(model: string, ms: number) {
    const prev = this.ttft.get(model);
    this.ttft.set(model, prev === undefined ? ms : prev * 0.7 + ms * 0.3);
  }

  ttftOf(model: string): number | undefined {
    return this.ttft.get(model);
  }
}

/** A rough token count: four characters a token, which is what budgets reserve against. */
export function estimateInputTokens(req: ChatRequest): number {
  let chars = req.system?.length ?? 0;
  for (const m of req.messages) {
    chars += m.text.length + 8;
    for (const t of m.toolCalls ?? []) chars += t.name.length + t.arguments.length;
  }
  for (const t of req.tools) chars += JSON.stringify(t).length;
  return Math.ceil(chars / 4);
}

export const DEFAULT_OUTPUT_ESTIMATE = 1024;

export function estimateUsd(model: ModelInfo, inputTokens: number, outputTokens: number): number {
  return (inputTokens * model.price.input + outputTokens * model.price.output) / 1_000_000;
}

export function resolveCandidates(
  req: ChatRequest,
  routing: Routing,
  settings: ProxySettings,
  health: ProviderHealth,
): Candidate[] {
  const alias = settings.aliases[req.model];
  const direct = findModel(req.model);
  if (!alias && !direct)
    throw new ProxyError(
      404,
      'model_not_found',
      `The model '${req.model}' does not exist or is not served by this proxy.`,
      {},
      'model',
    );
  const models = (alias ?? [req.model]).map((id) => findModel(id)).filter((m): m is ModelInfo => !!m);
  const served = models.filter((m) => m.provider !== 'custom' && settings.providers[m.provider].enabled);
  if (!served.length)
    throw new ProxyError(
      404,
      'model_not_found',
      `No configured provider serves '${req.model}'; set the provider's API key.`,
      {},
      'model',
    );
  const inputTokens = estimateInputTokens(req);
  const outputTokens = req.maxTokens ?? DEFAULT_OUTPUT_ESTIMATE;
  const capable = served.filter(
    (m) =>
      (!req.tools.length || m.capabilities.tools) &&
      (!req.stream || m.capabilities.streaming) &&
      inputTokens + Math.min(outputTokens, m.maxTokens) <= m.contextWindow,
  );
  if (!capable.length)
    throw badRequest(
      'no_capable_model',
      `No model behind '${req.model}' can serve this request (tools, streaming or context size).`,
    );
  let candidates: Candidate[] = capable.map((m) => ({
    model: m,
    provider: m.provider as ProviderName,
    adapter: ADAPTERS[m.provider as ProviderName],
    estimatedUsd: estimateUsd(m, inputTokens, outputTokens),
  }));
  if (routing.cost_limit !== undefined) {
    const limit = routing.cost_limit;
    candidates = candidates.filter((c) => c.estimatedUsd <= limit);
    if (!candidates.length)
      throw badRequest(
        'cost_limit_exceeded',
        `Every model behind '${req.model}' is estimated above routing.cost_limit ($${limit}).`,
        'routing.cost_limit',
      );
  }
  if (routing.strategy === 'cost') candidates.sort((a, b) => a.estimatedUsd - b.estimatedUsd);
  // Models never measured go first, so the average gets data for every candidate.
  if (routing.strategy === 'latency')
    candidates.sort((a, b) => (health.ttftOf(a.model.id) ?? -1) - (health.ttftOf(b.model.id) ?? -1));
  return routing.fallback_allowed ? candidates : candidates.slice(0, 1);
}
