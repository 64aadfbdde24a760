// Admission control for one request: requests and tokens per minute per key and per user, and
// dollar budgets per key-day, user-day, user-month and intent. Tokens and dollars are reserved
// from an estimate before the call and settled with the real usage after it, so a request that
// would cross a budget is refused before any money is spent.
import type { Principal } from './auth.js';
import { ProxyError } from './errors.js';
import type { Adjustment, AdmitResult, BucketSpec, BudgetSpec, LimitStore } from './limits.js';
import type { ProxySettings } from './settings.js';

export interface Reservation {
  buckets: BucketSpec[];
  budgets: BudgetSpec[];
  tokens: number;
  usd: number;
  headers: Record<string, string>;
}

const MINUTE = 60_000;
const DAY_S = 86_400;

// The day and month strings of budget keys, recomputed only when the UTC day changes.
let dayCache = { n: -1, day: '', month: '' };
function period(now: Date) {
  const n = Math.floor(now.getTime() / (DAY_S * 1000));
  if (n !== dayCache.n) {
    const iso = now.toISOString();
    dayCache = { n, day: iso.slice(0, 10), month: iso.slice(0, 7) };
  }
  return dayCache;
}

// A principal from the key cache is the same object for every request in its cache window, so its
// limit keys are built once.
const keysOf = new WeakMap<
  Principal,
  { user: string; rpmKey: string; tpmKey: string; rpmUser: string; tpmUser: string }
>();
function limitKeys(p: Principal) {
  let k = keysOf.get(p);
  if (!k) {
    const user = `${p.tenantId}:${p.userId}`;
    k = {
      user,
      rpmKey: `rpm:key:${p.keyId}`,
      tpmKey: `tpm:key:${p.keyId}`,
      rpmUser: `rpm:user:${user}`,
      tpmUser: `tpm:user:${user}`,
    };
    keysOf.set(p, k);
  }
  return k;
}

function secondsUntil(period: 'day' | 'month', now: Date): number {
  const end = new Date(now);
  if (period === 'day') end.setUTCHours(24, 0, 0, 0);
  else end.setUTCMonth(end.getUTCMonth() + 1, 1);
  if (period === 'month') end.setUTCHours(0, 0, 0, 0);
  return Math.max(1, Math.ceil((end.getTime() - now.getTime()) / 1000));
}

/** What one request takes from the limit store, before the store answers. */
interface Ask {
  now: Date;
  keyRpm: number;
  keyTpm: number;
  buckets: BucketSpec[];
  budgets: (BudgetSpec & { period: 'day' | 'month' | 'intent' })[];
  estimate: { tokens: number; usd: number };
}

function ask(p: Principal, s: ProxySettings['limits'], estimate: { tokens: number; usd: number }): Ask {
  const now = new Date();
  const keys = limitKeys(p);
  const user = keys.user;
  const { day, month } = period(now);
  const keyRpm = p.rpm ?? s.keyRpm;
  const keyTpm = p.tpm ?? s.keyTpm;
  const bucket = (key: string, perMinute: number, cost: number): BucketSpec => ({
    key,
    capacity: perMinute,
    refillPerMs: perMinute / MINUTE,
    cost,
  });
  const buckets = [
    bucket(keys.rpmKey, keyRpm, 1),
    bucket(keys.tpmKey, keyTpm, estimate.tokens),
    bucket(keys.rpmUser, s.userRpm, 1),
    bucket(keys.tpmUser, s.userTpm, estimate.tokens),
  ];
  const budgets: Ask['budgets'] = [];
  const budget = (key: string, limit: number | null | undefined, period: 'day' | 'month' | 'intent') => {
    if (limit === null || limit === undefined) return;
    const ttlSec = period === 'day' ? 2 * DAY_S : period === 'month' ? 32 * DAY_S : 90 * DAY_S;
    budgets.push({ key, limit, cost: estimate.usd, ttlSec, period });
  };
  budget(`usd:key-day:${p.keyId}:${day}`, p.dailyBudgetUsd, 'day');
  budget(`usd:key-month:${p.keyId}:${month}`, p.monthlyBudgetUsd, 'month');
  budget(`usd:user-day:${user}:${day}`, s.userDailyUsd, 'day');
  budget(`usd:user-month:${user}:${month}`, s.userMonthlyUsd, 'month');
  if (p.intentId) budget(`usd:intent:${p.intentId}`, p.intentBudgetUsd, 'intent');
  return { now, keyRpm, keyTpm, buckets, budgets, estimate };
}

/** The reservation for an admitted request; the 429 for a refused one. */
function conclude(a: Ask, r: AdmitResult): Reservation {
  const { buckets, budgets, now } = a;
  const headers: Record<string, string> = {
    'x-ratelimit-limit-requests': String(a.keyRpm),
    'x-ratelimit-remaining-requests': String(Math.max(0, Math.floor(r.remaining[0] ?? 0))),
    'x-ratelimit-limit-tokens': String(a.keyTpm),
    'x-ratelimit-remaining-tokens': String(Math.max(0, Math.floor(r.remaining[1] ?? 0))),
  };
  if (!r.ok) {
    if (r.failed < buckets.length) {
      const what = r.failed % 2 === 0 ? 'requests' : 'tokens';
      const scope = r.failed < 2 ? 'key' : 'user';
      const retry = Math.max(1, Math.ceil(r.waitMs / 1000));
      throw new ProxyError(
        429,
        'rate_limit_exceeded',
        `Rate limit exceeded: ${what} per minute for this ${scope}.`,
        {
          ...headers,
          'retry-after': String(retry),
          [`x-ratelimit-reset-${what}`]: `${retry}s`,
        },
      );
    }
    const b = budgets[r.failed - buckets.length]!;
    throw new ProxyError(
      429,
      'budget_exceeded',
      `Budget exhausted: the ${b.period === 'intent' ? 'intent' : `${b.period}ly`} budget of $${b.limit} would be exceeded by this request.`,
      { ...headers, ...(b.period !== 'intent' && { 'retry-after': String(secondsUntil(b.period, now)) }) },
    );
  }
  return { buckets, budgets, tokens: a.estimate.tokens, usd: a.estimate.usd, headers };
}

export async function admit(
  store: LimitStore,
  p: Principal,
  s: ProxySettings['limits'],
  estimate: { tokens: number; usd: number },
): Promise<Reservation> {
  const a = ask(p, s, estimate);
  return conclude(a, await store.admit(a.buckets, a.budgets));
}

/**
 * The same admission without a promise when the store can decide in process (memory, or a Redis
 * lease that covers the request); undefined when it must ask Redis: then `admit`.
 */
export function admitNow(
  store: LimitStore,
  p: Principal,
  s: ProxySettings['limits'],
  estimate: { tokens: number; usd: number },
): Reservation | undefined {
  if (!store.admitNow) return undefined;
  const a = ask(p, s, estimate);
  const r = store.admitNow(a.buckets, a.budgets);
  return r && conclude(a, r);
}

/** Replaces the reservation with what the request really used. */
export async function settle(store: LimitStore, r: Reservation, actual: { tokens: number; usd: number }) {
  const tokenDelta = r.tokens - actual.tokens;
  const usdDelta = actual.usd - r.usd;
  const a: Adjustment = {
    buckets:
      tokenDelta === 0
        ? []
        : r.buckets
            .filter((b) => b.key.startsWith('tpm:'))
            .map((b) => ({
              key: b.key,
              capacity: b.capacity,
              refillPerMs: b.refillPerMs,
              delta: tokenDelta,
            })),
    budgets: usdDelta === 0 ? [] : r.budgets.map((g) => ({ key: g.key, delta: usdDelta, ttlSec: g.ttlSec })),
  };
  await store.adjust(a);
}
