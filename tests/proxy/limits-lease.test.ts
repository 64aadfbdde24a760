// Local leases in the Redis limit store: large buckets are admitted in process from a lease taken
// from Redis in one script call, replicas together never admit more than the limit, an idle lease
// goes back to the shared bucket, and small buckets and budgets stay exact (one call each).
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BucketSpec } from '../../proxy/limits.js';
import { LEASE_MS, RedisLimitStore } from '../../proxy/limits-redis.js';

const REDIS_URL = process.env.DASH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
const MINUTE = 60_000;

let a: RedisLimitStore;
let b: RedisLimitStore;
let redis: Redis;
beforeAll(() => {
  a = new RedisLimitStore(REDIS_URL);
  b = new RedisLimitStore(REDIS_URL);
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  redis?.disconnect();
});

const rpm = (perMinute: number, key = `rpm:key:${crypto.randomBytes(4).toString('hex')}`): BucketSpec => ({
  key,
  capacity: perMinute,
  refillPerMs: perMinute / MINUTE,
  cost: 1,
});
const level = async (key: string) => Number(await redis.hget(`{dash-limits}:${key}`, 't'));
const scriptCalls = (store: RedisLimitStore) =>
  vi.spyOn(store as unknown as { exact: () => unknown }, 'exact');

describe('leases', () => {
  it('admits a large bucket from a local lease: one Redis call for many requests', async () => {
    const bucket = rpm(60_000); // a lease: min(2% of 60,000, 1 s of refill) = 1,000 requests
    const calls = scriptCalls(a);
    for (let i = 0; i < 200; i++) expect((await a.admit([bucket], [])).ok).toBe(true);
    expect(calls).toHaveBeenCalledTimes(1);
    calls.mockRestore();
    // The lease was taken out of the shared bucket at once.
    expect(await level(bucket.key)).toBeLessThanOrEqual(59_000 + 10);
  });

  it('two replicas together never admit more than the bucket holds', async () => {
    const bucket = rpm(400); // a lease of 6 requests
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 600 }, (_, i) => (i % 2 ? a : b).admit([{ ...bucket }], [])),
    );
    const refill = ((Date.now() - started) * 400) / MINUTE;
    const admitted = results.filter((r) => r.ok).length;
    expect(admitted).toBeLessThanOrEqual(400 + Math.ceil(refill));
    // At most one lease per replica parked unused (6 each).
    expect(admitted).toBeGreaterThanOrEqual(400 - 12);
  });

  it('gives an idle lease back to the shared bucket', async () => {
    const bucket = rpm(30_000); // a lease of 500
    expect((await a.admit([bucket], [])).ok).toBe(true);
    expect(await level(bucket.key)).toBeLessThan(29_600);
    await new Promise((r) => setTimeout(r, LEASE_MS * 2 + 100));
    expect(await level(bucket.key)).toBeGreaterThan(29_990);
  });

  it('admits small buckets and requests with budgets exactly, one script call each', async () => {
    const small = rpm(5);
    const calls = scriptCalls(a);
    const outcomes = [];
    for (let i = 0; i < 6; i++) outcomes.push((await a.admit([small], [])).ok);
    expect(outcomes).toEqual([true, true, true, true, true, false]);
    expect(calls).toHaveBeenCalledTimes(6);
    calls.mockClear();
    const big = rpm(60_000);
    const budget = {
      key: `usd:intent:${crypto.randomBytes(4).toString('hex')}`,
      limit: 1,
      cost: 0.1,
      ttlSec: 60,
    };
    for (let i = 0; i < 3; i++) expect((await a.admit([big], [budget])).ok).toBe(true);
    expect(calls).toHaveBeenCalledTimes(3);
    calls.mockRestore();
  });

  it('near the limit, a refused lease makes the key exact instead of refusing what fits', async () => {
    const bucket = rpm(400);
    // Another replica spends the bucket down to 3 requests, exactly.
    await b.admit([{ ...bucket, cost: 397 }], []);
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push((await a.admit([{ ...bucket }], [])).ok);
    expect(outcomes).toEqual([true, true, true, false]);
  });
});
