// The model table: prices in dollars per million tokens by bucket, and capabilities the router
// filters on. The rehearsal models carry real models' prices so that cost accounting is exercised
// end to end offline; their figures are labelled as rehearsal figures. Prices as published by the
// providers for their standard tier (cache write = 5-minute write for Anthropic).
export interface ModelPrice {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export interface ModelCapabilities {
  tools: boolean;
  streaming: boolean;
}

export interface ModelInfo {
  id: string;
  provider: 'rehearsal' | 'anthropic' | 'openai' | 'google' | 'custom';
  contextWindow: number;
  maxTokens: number;
  price: ModelPrice;
  capabilities: ModelCapabilities;
}

const full: ModelCapabilities = { tools: true, streaming: true };

export const MODELS: readonly ModelInfo[] = [
  {
    id: 'rehearsal-1',
    provider: 'rehearsal',
    contextWindow: 128_000,
    maxTokens: 8_192,
    price: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
    capabilities: full,
  },
  {
    id: 'rehearsal-fast',
    provider: 'rehearsal',
    contextWindow: 128_000,
    maxTokens: 8_192,
    price: { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
    capabilities: full,
  },
  {
    id: 'claude-opus-4-1',
    provider: 'anthropic',
    contextWindow: 200_000,
    maxTokens: 32_000,
    price: { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
    capabilities: full,
  },
  {
    id: 'claude-sonnet-4-5',
    provider: 'anthropic',
    contextWindow: 200_000,
    maxTokens: 16_384,
    price: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
    capabilities: full,
  },
  {
    id: 'claude-haiku-4-5',
    provider: 'anthropic',
    contextWindow: 200_000,
    maxTokens: 16_384,
    price: { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
    capabilities: full,
  },
  {
    id: 'gpt-4.1',
    provider: 'openai',
    contextWindow: 1_000_000,
    maxTokens: 32_768,
    price: { input: 2, output: 8, cacheRead: 0.5, cacheWrite: 0 },
    capabilities: full,
  },
  {
    id: 'gpt-4.1-mini',
    provider: 'openai',
    contextWindow: 1_000_000,
    maxTokens: 32_768,
    price: { input: 0.4, output: 1.6, cacheRead: 0.1, cacheWrite: 0 },
    capabilities: full,
  },
  {
    id: 'gpt-4o-mini',
    provider: 'openai',
    contextWindow: 128_000,
    maxTokens: 16_384,
    price: { input: 0.15, output: 0.6, cacheRead: 0.075, cacheWrite: 0 },
    capabilities: full,
  },
  {
    id: 'gemini-2.5-pro',
    provider: 'google',
    contextWindow: 1_048_576,
    maxTokens: 65_536,
    price: { input: 1.25, output: 10, cacheRead: 0.31, cacheWrite: 0 },
    capabilities: full,
  },
  {
    id: 'gemini-2.5-flash',
    provider: 'google',
    contextWindow: 1_048_576,
    maxTokens: 65_536,
    price: { input: 0.3, output: 2.5, cacheRead: 0.075, cacheWrite: 0 },
    capabilities: full,
  },
];

/** Default aliases: the chain of each is Anthropic, OpenAI, Google (the fallback order). */
export const DEFAULT_ALIASES: Readonly<Record<string, readonly string[]>> = {
  smart: ['claude-sonnet-4-5', 'gpt-4.1', 'gemini-2.5-pro', 'rehearsal-1'],
  fast: ['claude-haiku-4-5', 'gpt-4.1-mini', 'gemini-2.5-flash', 'rehearsal-fast'],
  cheap: ['gpt-4o-mini', 'gemini-2.5-flash', 'claude-haiku-4-5', 'rehearsal-fast'],
};

const byId = new Map(MODELS.map((m) => [m.id, m]));

export const findModel = (id: string): ModelInfo | undefined => byId.get(id);

export function modelInfo(id: string): ModelInfo {
  return (
    byId.get(id) ?? {
      id,
      provider: 'custom',
      contextWindow: 128_000,
      maxTokens: 8_192,
      price: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
      capabilities: full,
    }
  );
}

export interface TokenUsage {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

/** Cost in dollars of exclusive usage buckets. */
export function costOf(modelId: string, usage: TokenUsage): number {
  const { price } = modelInfo(modelId);
  return (
    (usage.input * price.input +
      usage.output * price.output +
      (usage.cacheRead ?? 0) * price.cacheRead +
      (usage.cacheWrite ?? 0) * price.cacheWrite) /
    1_000_000
  );
}
