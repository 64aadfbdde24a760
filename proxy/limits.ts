// Rate limits and budgets behind one store interface. Token buckets keep fractional tokens (the
// refill is continuous); budgets are spend counters per period. One `admit` checks every bucket
// and budget of a request and takes from all of them, or from none: in process here, as one Lua
// script in Redis (limits-redis.ts) so that API replicas share the limits exactly.
export interface BucketSpec {
  key: string;
  capacity: number;
  refillPerMs: number;
  cost: number;
}

export interface BudgetSpec {
  key: string;
  limit: number;
  cost: number;
  ttlSec: number;
}

export interface AdmitResult {
  ok: boolean;
  /** Index of the refusing spec: buckets first, then budgets. -1 when admitted. */
  failed: number;
  waitMs: number;
  /** Tokens left in each bucket after this admission (before it, when refused). */
  remaining: number[];
}

export interface Adjustment {
  buckets: { key: string; capacity: number; refillPerMs: number; delta: number }[];
  budgets: { key: string; delta: number; ttlSec: number }[];
}

export interface LimitStore {
  admit(buckets: BucketSpec[], budgets: BudgetSpec[]): Promise<AdmitResult>;
  /** The same, decided in process without a promise; undefined when the store must ask elsewhere. */
  admitNow?(buckets: BucketSpec[], budgets: BudgetSpec[]): AdmitResult | undefined;
  /** Settles a reservation: positive bucket delta refunds tokens, budget delta adds spend. */
  adjust(a: Adjustment): Promise<void>;
  close(): Promise<void>;
}

export class MemoryLimitStore implements LimitStore {
  private buckets = new Map<string, { tokens: number; at: number }>();
  private spent = new Map<string, { usd: number; expires: number }>();

  private level(b: { key: string; capacity: number; refillPerMs: number }, now: number) {
    const s = this.buckets.get(b.key);
    if (!s) return b.capacity;
    return Math.min(b.capacity, s.tokens + Math.max(0, now - s.at) * b.refillPerMs);
  }

  private spend(key: string, now: number) {
    const s = this.spent.get(key);
    return s && s.expires > now ? s.usd : 0;
  }

  async admit(buckets: BucketSpec[], budgets: BudgetSpec[]): Promise<AdmitResult> {
    return this.admitNow(buckets, budgets);
  }

  admitNow(buckets: BucketSpec[], budgets: BudgetSpec[]): AdmitResult {
    const now = Date.now();
    const levels = buckets.map((b) => this.level(b, now));
    const costs = buckets.map((b) => Math.min(b.cost, b.capacity));
    for (const [i, b] of buckets.entries())
      if (levels[i]! < costs[i]!)
        return {
          ok: false,
          failed: i,
          waitMs: Math.ceil((costs[i]! - levels[i]!) / b.refillPerMs),
          remaining: levels,
        };
    for (const [j, g] of budgets.entries())
      if (this.spend(g.key, now) + g.cost > g.limit)
        return { ok: false, failed: buckets.length + j, waitMs: 0, remaining: levels };
    buckets.forEach((b, i) => this.buckets.set(b.key, { tokens: levels[i]! - costs[i]!, at: now }));
    for (const g of budgets)
      this.spent.set(g.key, { usd: this.spend(g.key, now) + g.cost, expires: now + g.ttlSec * 1000 });
    if (this.buckets.size > 100_000) this.buckets.clear();
    return { ok: true, failed: -1, waitMs: 0, remaining: levels.map((l, i) => l - costs[i]!) };
  }

  async adjust(a: Adjustment): Promise<void> {
    const now = Date.now();
    for (const b of a.buckets)
      this.buckets.set(b.key, { tokens: Math.min(b.capacity, this.level(b, now) + b.delta), at: now });
    for (const g of a.budgets)
      this.spent.set(g.key, { usd: this.spend(g.key, now) + g.delta, expires: now + g.ttlSec * 1000 });
  }

  async close(): Promise<void> {}
}
