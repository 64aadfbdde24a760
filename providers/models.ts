// Prices in dollars per million tokens. The rehearsal model carries a Sonnet-class price so that
// cost accounting is exercised end to end offline; its figures are labelled as rehearsal figures.
export interface ModelPrice {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export interface ModelInfo {
  id: string;
  provider: 'rehearsal' | 'anthropic' | 'openai' | 'custom';
  contextWindow: number;
  maxTokens: number;
  price: ModelPrice;
}

const table: ModelInfo[] = [
  {
    id: 'rehearsal-1',
    provider: 'rehearsal',
    contextWindow: 128_000,
    maxTokens: 8_192,
    price: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  },
  {
    id: 'claude-sonnet-4-5',
    provider: 'anthropic',
    contextWindow: 200_000,
    maxTokens: 16_384,
    price: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  },
  {
    id: 'gpt-4.1',
    provider: 'openai',
    contextWindow: 1_000_000,
    maxTokens: 32_768,
    price: { input: 2, output: 8, cacheRead: 0.5, cacheWrite: 0 },
  },
];

export function modelInfo(id: string): ModelInfo {
  return (
    table.find((m) => m.id === id) ?? {
      id,
      provider: 'custom',
      contextWindow: 128_000,
      maxTokens: 8_192,
      price: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    }
  );
}

export function costOf(modelId: string, usage: { input: number; output: number }): number {
  const { price } = modelInfo(modelId);
  return (usage.input * price.input + usage.output * price.output) / 1_000_000;
}
