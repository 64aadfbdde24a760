// /api/v1/usage: tokens and dollars from the proxy's audit rows, grouped by any of user, intent,
// swarm, session, model, provider, tenant and day, over a time window.
import { and, count, eq, gte, lt, sql, sum, type SQL } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { proxyRequests as r } from '../../drizzle/proxy-schema.js';
import type { ProxyRuntime } from '../../proxy/runtime.js';
import type { ApiDeps } from '../context.js';
import { validate } from '../validate.js';
import { tenantOf, type AuthEnv } from '../auth.js';

const dimensions = {
  tenant: r.tenantId,
  user: r.userId,
  intent: r.intentId,
  swarm: r.swarmId,
  session: r.sessionId,
  model: r.resolvedModel,
  provider: r.provider,
  day: sql<string>`to_char(${r.at} at time zone 'UTC', 'YYYY-MM-DD')`,
} as const;
type Dimension = keyof typeof dimensions;

// PostgreSQL refuses NUL in a text parameter: a filter with one is a bad request, not a 500.
const filter = z
  .string()
  .min(1)
  .refine((v) => !v.includes('\0'), 'must not contain NUL (\\u0000) characters')
  .optional();

export const UsageQuery = z
  .object({
    group_by: z
      .string()
      .default('user,model,day')
      .transform((v) => [
        ...new Set(
          v
            .split(',')
            .map((d) => d.trim())
            .filter(Boolean),
        ),
      ])
      .pipe(
        z
          .array(z.enum(Object.keys(dimensions) as [Dimension, ...Dimension[]]))
          .min(1)
          .max(8),
      ),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    tenant: filter,
    user: filter,
    intent: filter,
    swarm: filter,
    session: filter,
    model: filter,
  })
  .strict();

export function usageRoutes(deps: ApiDeps, proxy: ProxyRuntime) {
  return new Hono<AuthEnv>().get('/', validate('query', UsageQuery), async (c) => {
    const q = c.req.valid('query');
    await proxy.audit.flush();
    // A tenant sees its own spending only; `tenant=` can narrow that, never widen it.
    const where: SQL[] = [eq(r.tenantId, tenantOf(c))];
    if (q.from) where.push(gte(r.at, new Date(q.from)));
    if (q.to) where.push(lt(r.at, new Date(q.to)));
    if (q.tenant) where.push(eq(r.tenantId, q.tenant));
    if (q.user) where.push(eq(r.userId, q.user));
    if (q.intent) where.push(eq(r.intentId, q.intent));
    if (q.swarm) where.push(eq(r.swarmId, q.swarm));
    if (q.session) where.push(eq(r.sessionId, q.session));
    if (q.model) where.push(eq(r.resolvedModel, q.model));
    const groups = q.group_by.map((d) => dimensions[d]);
    const rows = await deps.database.db
      .select({
        ...Object.fromEntries(q.group_by.map((d) => [d, dimensions[d]])),
        requests: sql<number>`count(distinct ${r.requestId})::int`,
        attempts: count(),
        failed_attempts: sql<number>`count(*) filter (where ${r.status} >= 400)::int`,
        cache_hits: sql<number>`count(*) filter (where ${r.cacheHit})::int`,
        input_tokens: sum(r.inputTokens).mapWith(Number),
        output_tokens: sum(r.outputTokens).mapWith(Number),
        cache_read_tokens: sum(r.cacheReadTokens).mapWith(Number),
        cache_write_tokens: sum(r.cacheWriteTokens).mapWith(Number),
        cost_usd: sum(r.costUsd).mapWith(Number),
      })
      .from(r)
      .where(where.length ? and(...where) : undefined)
      .groupBy(...groups)
      .orderBy(...groups);
    const total = rows.reduce((n, row) => n + (row.cost_usd ?? 0), 0);
    return c.json({ group_by: q.group_by, rows, total_cost_usd: total });
  });
}
