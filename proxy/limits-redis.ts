// The limit store in Redis: one Lua script per admission checks and takes from every bucket and
// budget atomically, so any number of API replicas enforce one limit together. Keys share the
// `{dash-limits}` hash tag so a script's keys live in one cluster slot. If Redis is unreachable
// the proxy fails closed (503) rather than silently multiplying limits by the replica count.
// Settlements are not a round trip of their own: they are queued, merged per key, and sent in the
// same pipeline as this process's next admission (before it, so that admission sees them), or after
// SETTLE_FLUSH_MS when no admission comes, which bounds how late other replicas see them.
//
// Local leases keep the Redis round trip off most requests: for buckets large enough (a lease of
// at most LEASE_SHARE of the capacity or LEASE_MS of refill must cover LEASE_MIN_COSTS requests
// like this one), the first request takes a lease from Redis for the request's buckets in one
// script call, and the following requests are admitted from it in process; it is topped up in the
// background when half spent, and what is left goes back to Redis after LEASE_MS without use.
// Leased tokens are taken out of the shared buckets, so replicas together still never admit more
// than the limit; the price is that tokens parked in one replica's lease (at most one lease per
// key and replica) are unavailable to the others for up to LEASE_MS. Small buckets (a key with a
// few requests a minute), requests with dollar budgets and a bucket near its limit (a lease is
// refused) are admitted exactly, one script call each, as before.
import { Redis } from 'ioredis';
import type { AdmitResult, Adjustment, BucketSpec, BudgetSpec, LimitStore } from './limits.js';
import { ProxyError } from './errors.js';

const ADMIT = `
local now = tonumber(ARGV[1])
local nb = tonumber(ARGV[2])
local ng = #KEYS - nb
local levels = {}
local failed = 0
local wait = 0
for i = 1, nb do
  local o = 2 + (i - 1) * 3
  local cap, rate, cost = tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3])
  if cost > cap then cost = cap end
  local h = redis.call('HMGET', KEYS[i], 't', 'ts')
  local t, ts = tonumber(h[1]), tonumber(h[2])
  if t == nil then t = cap; ts = now end
  t = math.min(cap, t + math.max(0, now - ts) * rate)
  levels[i] = t
  if failed == 0 and t < cost then failed = i; wait = math.ceil((cost - t) / rate) end
end
local g0 = 2 + nb * 3
if failed == 0 then
  for j = 1, ng do
    local o = g0 + (j - 1) * 3
    local spent = tonumber(redis.call('GET', KEYS[nb + j]) or '0')
    if spent + tonumber(ARGV[o + 2]) > tonumber(ARGV[o + 1]) then failed = nb + j; break end
  end
end
local out = {failed == 0 and 1 or 0, failed, wait}
if failed == 0 then
  for i = 1, nb do
    local o = 2 + (i - 1) * 3
    local cap, rate, cost = tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3])
    if cost > cap then cost = cap end
    levels[i] = levels[i] - cost
    redis.call('HSET', KEYS[i], 't', tostring(levels[i]), 'ts', tostring(now))
    redis.call('PEXPIRE', KEYS[i], math.ceil(cap / rate) + 60000)
  end
  for j = 1, ng do
    local o = g0 + (j - 1) * 3
    redis.call('INCRBYFLOAT', KEYS[nb + j], ARGV[o + 2])
    redis.call('EXPIRE', KEYS[nb + j], tonumber(ARGV[o + 3]))
  end
end
for i = 1, nb do out[#out + 1] = tostring(levels[i]) end
return out
`;

const ADJUST = `
local now = tonumber(ARGV[1])
local nb = tonumber(ARGV[2])
for i = 1, nb do
  local o = 2 + (i - 1) * 3
  local cap, rate, delta = tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3])
  local h = redis.call('HMGET', KEYS[i], 't', 'ts')
  local t, ts = tonumber(h[1]), tonumber(h[2])
  if t == nil then t = cap; ts = now end
  t = math.min(cap, t + math.max(0, now - ts) * rate + delta)
  redis.call('HSET', KEYS[i], 't', tostring(t), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[i], math.ceil(cap / rate) + 60000)
end
local g0 = 2 + nb * 3
for j = 1, #KEYS - nb do
  local o = g0 + (j - 1) * 2
  redis.call('INCRBYFLOAT', KEYS[nb + j], ARGV[o + 1])
  redis.call('EXPIRE', KEYS[nb + j], tonumber(ARGV[o + 2]))
end
return 1
`;

const tag = (key: string) => `{dash-limits}:${key}`;

/** At most this long between a settlement and Redis when no admission carries it there. */
export const SETTLE_FLUSH_MS = 20;

/** A lease lives this long after its last grant; then what is left goes back to the buckets. */
export const LEASE_MS = 1000;
/** A lease is at most this share of a bucket's capacity... */
const LEASE_SHARE = 0.02;
/** ...and leasing is used only when a lease covers at least this many requests of this cost. */
const LEASE_MIN_COSTS = 4;

interface Lease {
  buckets: BucketSpec[];
  /** Tokens this process holds per bucket. */
  tokens: number[];
  /** The shared buckets' levels after the last grant (for the remaining-requests headers). */
  levels: number[];
  until: number;
}

/** Lease sizes for these buckets, or undefined when one of them is too small to lease from. */
function leaseSizes(buckets: BucketSpec[]): number[] | undefined {
  const sizes: number[] = [];
  for (const b of buckets) {
    const size = Math.floor(Math.min(b.capacity * LEASE_SHARE, b.refillPerMs * LEASE_MS));
    if (size < b.cost * LEASE_MIN_COSTS || b.cost <= 0) return undefined;
    sizes.push(size);
  }
  return sizes;
}

/** A lease is held per set of buckets. */
function leaseId(buckets: BucketSpec[]): string {
  let id = buckets[0]!.key;
  for (let i = 1; i < buckets.length; i++) id += `\n${buckets[i]!.key}`;
  return id;
}

export class RedisLimitStore implements LimitStore {
  private readonly redis: Redis;
  private pendingBuckets = new Map<string, Adjustment['buckets'][number]>();
  private pendingBudgets = new Map<string, Adjustment['budgets'][number]>();
  private flushTimer: NodeJS.Timeout | undefined;
  private leases = new Map<string, Lease>();
  /** Lease grants in flight, so concurrent requests of one key wait for one round trip. */
  private growing = new Map<string, Promise<boolean>>();
  /** Keys whose buckets refused a lease lately: admitted exactly until then (one call, not two). */
  private refused = new Map<string, number>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(url: string) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableAutoPipelining: true });
    this.redis.on('error', () => undefined);
    this.redis.defineCommand('dashAdmit', { lua: ADMIT });
    this.redis.defineCommand('dashAdjust', { lua: ADJUST });
  }

  private async run(command: 'dashAdmit' | 'dashAdjust', keys: string[], args: (string | number)[]) {
    const fn = (this.redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)[
      command
    ]!;
    try {
      return await fn.call(this.redis, keys.length, ...keys, ...args);
    } catch (err) {
      console.error('[dash proxy] limit store unavailable:', (err as Error).message);
      throw new ProxyError(
        503,
        'limits_unavailable',
        'The rate-limit store is unavailable; try again shortly.',
        {
          'retry-after': '1',
        },
      );
    }
  }

  async admit(buckets: BucketSpec[], budgets: BudgetSpec[]): Promise<AdmitResult> {
    if (!budgets.length) {
      const sizes = leaseSizes(buckets);
      const leased = sizes && (await this.fromLease(buckets, sizes));
      if (leased) return leased;
    }
    return this.exact(buckets, budgets);
  }

  /** An admission from this process's live lease, when it covers the request: no Redis call. */
  admitNow(buckets: BucketSpec[], budgets: BudgetSpec[]): AdmitResult | undefined {
    if (budgets.length) return undefined;
    const sizes = leaseSizes(buckets);
    if (!sizes) return undefined;
    const id = leaseId(buckets);
    if ((this.refused.get(id) ?? 0) > Date.now()) return undefined;
    return this.takeFromLease(id, buckets, sizes);
  }

  /** Admits from this process's lease, taking or topping it up as needed; undefined: go exact. */
  private async fromLease(buckets: BucketSpec[], sizes: number[]): Promise<AdmitResult | undefined> {
    const id = leaseId(buckets);
    const refusedUntil = this.refused.get(id);
    if (refusedUntil !== undefined) {
      if (refusedUntil > Date.now()) return undefined;
      this.refused.delete(id);
    }
    for (let round = 0; round < 2; round++) {
      const taken = this.takeFromLease(id, buckets, sizes);
      if (taken) return taken;
      if (!(await (this.growing.get(id) ?? this.grow(id, buckets, sizes)))) return undefined;
    }
    return undefined;
  }

  private takeFromLease(id: string, buckets: BucketSpec[], sizes: number[]): AdmitResult | undefined {
    const lease = this.live(id);
    if (!lease || !buckets.every((b, i) => lease.tokens[i]! >= b.cost)) return undefined;
    let low = false;
    const remaining = new Array<number>(buckets.length);
    for (let i = 0; i < buckets.length; i++) {
      lease.tokens[i]! -= buckets[i]!.cost;
      remaining[i] = lease.levels[i]! + lease.tokens[i]!;
      if (lease.tokens[i]! < sizes[i]! / 2) low = true;
    }
    // Topped up ahead of need, off this request's path.
    if (low && !this.growing.has(id)) void this.grow(id, buckets, sizes).catch(() => undefined);
    return { ok: true, failed: -1, waitMs: 0, remaining };
  }

  private live(id: string): Lease | undefined {
    const lease = this.leases.get(id);
    if (lease && lease.until <= Date.now()) {
      this.giveBack(id, lease);
      return undefined;
    }
    return lease;
  }

  /** One script call takes a lease's worth from every bucket, or nothing (then: false). */
  private grow(id: string, buckets: BucketSpec[], sizes: number[]): Promise<boolean> {
    const p = this.exact(
      buckets.map((b, i) => ({ ...b, cost: sizes[i]! })),
      [],
    )
      .then((r) => {
        if (!r.ok) {
          if (this.refused.size > 10_000) this.refused.clear();
          this.refused.set(id, Date.now() + LEASE_MS);
          return false;
        }
        const now = Date.now();
        const lease = this.live(id);
        if (lease) {
          for (let i = 0; i < sizes.length; i++) lease.tokens[i]! += sizes[i]!;
          lease.levels = r.remaining;
          lease.until = now + LEASE_MS;
        } else
          this.leases.set(id, { buckets, tokens: [...sizes], levels: r.remaining, until: now + LEASE_MS });
        this.sweeper ??= setInterval(() => this.sweep(), LEASE_MS).unref();
        return true;
      })
      .finally(() => this.growing.delete(id));
    this.growing.set(id, p);
    return p;
  }

  /** What is left of a lease goes back to the shared buckets, queued like a settlement. */
  private giveBack(id: string, lease: Lease) {
    this.leases.delete(id);
    const back = lease.buckets
      .map((b, i) => ({
        key: b.key,
        capacity: b.capacity,
        refillPerMs: b.refillPerMs,
        delta: lease.tokens[i]!,
      }))
      .filter((b) => b.delta > 0);
    if (back.length) void this.adjust({ buckets: back, budgets: [] });
  }

  private sweep() {
    const now = Date.now();
    for (const [id, lease] of this.leases) if (lease.until <= now) this.giveBack(id, lease);
    if (!this.leases.size && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** One admission, exactly: one script call. */
  private async exact(buckets: BucketSpec[], budgets: BudgetSpec[]): Promise<AdmitResult> {
    // Queued settlements go first in the same pipeline (auto-pipelining: one write, one read).
    void this.flushSettlements();
    const keys = [...buckets.map((b) => tag(b.key)), ...budgets.map((g) => tag(g.key))];
    const args = [
      Date.now(),
      buckets.length,
      ...buckets.flatMap((b) => [b.capacity, b.refillPerMs, b.cost]),
      ...budgets.flatMap((g) => [g.limit, g.cost, g.ttlSec]),
    ];
    const [ok, failed, wait, ...levels] = (await this.run('dashAdmit', keys, args)) as [
      number,
      number,
      number,
      ...string[],
    ];
    return { ok: ok === 1, failed: failed - 1, waitMs: wait, remaining: levels.map(Number) };
  }

  /** Queues a settlement; it reaches Redis with the next admission or within SETTLE_FLUSH_MS. */
  async adjust(a: Adjustment): Promise<void> {
    for (const b of a.buckets) {
      const prev = this.pendingBuckets.get(b.key);
      this.pendingBuckets.set(b.key, prev ? { ...b, delta: prev.delta + b.delta } : b);
    }
    for (const g of a.budgets) {
      const prev = this.pendingBudgets.get(g.key);
      this.pendingBudgets.set(g.key, prev ? { ...g, delta: prev.delta + g.delta } : g);
    }
    if (!this.flushTimer && (this.pendingBuckets.size || this.pendingBudgets.size)) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        void this.flushSettlements();
      }, SETTLE_FLUSH_MS);
      this.flushTimer.unref();
    }
  }

  /** Sends the queued settlements as one script call; resolves when Redis has applied them. */
  private flushSettlements(): Promise<void> {
    if (!this.pendingBuckets.size && !this.pendingBudgets.size) return Promise.resolve();
    const a: Adjustment = {
      buckets: [...this.pendingBuckets.values()],
      budgets: [...this.pendingBudgets.values()],
    };
    this.pendingBuckets.clear();
    this.pendingBudgets.clear();
    return this.send(a).catch((err: unknown) =>
      console.error('[dash proxy] settling against the limit store failed:', (err as Error).message),
    );
  }

  private async send(a: Adjustment): Promise<void> {
    const keys = [...a.buckets.map((b) => tag(b.key)), ...a.budgets.map((g) => tag(g.key))];
    const args = [
      Date.now(),
      a.buckets.length,
      ...a.buckets.flatMap((b) => [b.capacity, b.refillPerMs, b.delta]),
      ...a.budgets.flatMap((g) => [g.delta, g.ttlSec]),
    ];
    await this.run('dashAdjust', keys, args);
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const [id, lease] of this.leases) this.giveBack(id, lease);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    await this.flushSettlements();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
