// What `GET /metrics` reads at scrape time: gauges and workflow durations from the database (so
// every API replica reports the same cluster-wide numbers: aggregate them with max, not sum), the
// agent workers Temporal sees polling, and the LLM proxy's own counters, re-labelled. A source that
// fails or is slow is left out of that scrape and reported by `dash_metrics_source_up`.
import { and, isNotNull, notInArray, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { agentTaskQueueOf } from '../../core/task-queues.js';
import * as s from '../../drizzle/schema.js';
import type { ProxyRuntime } from '../../proxy/runtime.js';
import type { ApiDeps } from '../context.js';
import { histogramSamples, parseSamples, type Family, type Sample } from './registry.js';

const SOURCE_TIMEOUT_MS = 3_000;

/** Agent session statuses that are not final (the workflow's SessionStatus minus the end states). */
export const ACTIVE_SESSION_STATUSES = [
  'starting',
  'running',
  'pausing',
  'paused',
  'checking',
  'reviewing',
  'committing',
  'rate_limited',
] as const;
const ENDED_SESSION_STATUSES = ['completed', 'failed', 'aborted', 'cancelled'];
const ENDED_INTENT_STATUSES = ['completed', 'failed', 'budget_exceeded', 'cancelled'] as const;

/** Intents and sessions run for seconds to hours. */
export const WORKFLOW_SECONDS = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400] as const;

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      t.unref();
    }),
  ]);

/** Sessions not yet ended, by status; every known status is present, zero when none. */
async function sessionsActive(deps: ApiDeps): Promise<Family> {
  const rows = await deps.database.db
    .select({ status: s.agentSessions.status, n: sql<number>`count(*)`.mapWith(Number) })
    .from(s.agentSessions)
    .where(notInArray(s.agentSessions.status, ENDED_SESSION_STATUSES))
    .groupBy(s.agentSessions.status);
  const counts = new Map<string, number>(ACTIVE_SESSION_STATUSES.map((st) => [st, 0]));
  const known = new Set<string>(ACTIVE_SESSION_STATUSES);
  for (const r of rows) {
    // A status this build does not know (a newer worker) is counted, under a bounded label.
    const label = known.has(r.status) ? r.status : 'other';
    counts.set(label, (counts.get(label) ?? 0) + r.n);
  }
  return {
    name: 'dash_sessions_active',
    type: 'gauge',
    help: 'Agent sessions that have not ended (agent_sessions rows not completed, failed, aborted or cancelled), by status.',
    samples: [...counts].map(([status, value]) => ({ labels: { status }, value })),
  };
}

/**
 * Work accepted but not started: intents still `queued` (planning has not begun), and `pending`
 * tasks of intents that have not ended (waiting for their dependencies, a concurrency slot, plan
 * approval, or a worker). Tasks of an ended intent never start, so they do not count.
 */
async function queueDepth(deps: ApiDeps): Promise<Family> {
  const { db } = deps.database;
  const [intents] = await db
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(s.intents)
    .where(sql`${s.intents.status} = 'queued'`);
  const [tasks] = await db
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(s.tasks)
    .innerJoin(s.intents, sql`${s.intents.id} = ${s.tasks.intentId}`)
    .where(and(sql`${s.tasks.status} = 'pending'`, notInArray(s.intents.status, [...ENDED_INTENT_STATUSES])));
  return {
    name: 'dash_queue_depth',
    type: 'gauge',
    help: 'Work waiting to start: kind="intent" is intents still queued for planning, kind="task" is pending tasks of intents that have not ended.',
    samples: [
      { labels: { kind: 'intent' }, value: intents?.n ?? 0 },
      { labels: { kind: 'task' }, value: tasks?.n ?? 0 },
    ],
  };
}

/** Bucket counts, sum and count of (end - start) in seconds over the rows that have ended. */
async function durations(
  deps: ApiDeps,
  table: typeof s.intents | typeof s.agentSessions,
  start: PgColumn,
  end: PgColumn,
) {
  const d = sql`greatest(extract(epoch from (${end} - ${start}))::float8, 0)`;
  const cols: Record<string, SQL.Aliased<number>> = {};
  WORKFLOW_SECONDS.forEach((b, i) => {
    cols[`b${i}`] = sql<number>`count(*) filter (where ${d} <= ${sql.raw(String(b))})`
      .mapWith(Number)
      .as(`b${i}`);
  });
  const [row] = await deps.database.db
    .select({
      ...cols,
      sum: sql<number>`coalesce(sum(${d}), 0)`.mapWith(Number).as('sum'),
      count: sql<number>`count(*)`.mapWith(Number).as('count'),
    })
    .from(table)
    .where(isNotNull(end));
  const r = (row ?? {}) as Record<string, number>;
  return { counts: WORKFLOW_SECONDS.map((_, i) => r[`b${i}`] ?? 0), sum: r.sum ?? 0, count: r.count ?? 0 };
}

/**
 * Durations of ended intents (created → completed_at: accepted by the API until the workflow
 * recorded its end, planning and merging included) and agent sessions (row created when the session
 * workflow starts → ended_at, pauses included). Derived from the rows at every scrape, so it counts
 * each ended workflow once across restarts and replicas; deleting rows would lower it.
 */
async function workflowDurations(deps: ApiDeps): Promise<Family> {
  const [intent, session] = await Promise.all([
    durations(deps, s.intents, s.intents.createdAt, s.intents.completedAt),
    durations(deps, s.agentSessions, s.agentSessions.createdAt, s.agentSessions.endedAt),
  ]);
  return {
    name: 'dash_workflow_duration_seconds',
    type: 'histogram',
    help: 'Wall time of ended workflows from their database rows: kind="intent" from acceptance to completion, kind="session" from the session start to its end (pauses included).',
    samples: histogramSamples(WORKFLOW_SECONDS, [
      { labels: { kind: 'intent' }, ...intent },
      { labels: { kind: 'session' }, ...session },
    ]),
  };
}

/**
 * Worker processes serving agent runs: distinct poller identities Temporal reports on the agents
 * task queue (activity type). Temporal remembers a poller for a few minutes after its last poll, so
 * a worker that exits leaves this gauge late, and a worker whose agent slots are all busy (and so
 * does not poll) may drop out of it while it works.
 */
async function agentsConnected(deps: ApiDeps): Promise<Family> {
  const res = await deps.temporal.workflowService.describeTaskQueue({
    namespace: deps.config.temporal.namespace,
    taskQueue: { name: agentTaskQueueOf(deps.config.temporal.taskQueue) },
    taskQueueType: 2, // TASK_QUEUE_TYPE_ACTIVITY
  });
  const identities = new Set((res.pollers ?? []).map((p) => p.identity ?? ''));
  return {
    name: 'dash_agents_connected',
    type: 'gauge',
    help: 'Worker processes polling the agents task queue (they run agent sessions), as Temporal reports its pollers.',
    samples: [{ labels: {}, value: identities.size }],
  };
}

/**
 * The proxy's own counters (proxy/metrics.ts, fed by its audit rows), summed to bounded labels:
 * one audit record per upstream attempt (a fallback adds one per provider tried), per request the
 * proxy refused itself, and per cache hit.
 */
function proxyFamilies(proxy: ProxyRuntime): Family[] {
  const outcomes: Record<string, string> = {
    dash_proxy_attempts_total: 'upstream_attempt',
    dash_proxy_refusals_total: 'refused',
    dash_proxy_cache_hits_total: 'cache_hit',
  };
  const requests = new Map<string, Sample>();
  const cost = new Map<string, Sample>();
  for (const p of parseSamples(proxy.metrics.render())) {
    const outcome = outcomes[p.name];
    if (outcome) {
      const labels = { surface: p.labels.surface ?? 'unknown', outcome };
      const k = `${labels.surface}/${outcome}`;
      const cur = requests.get(k) ?? { labels, value: 0 };
      cur.value += p.value;
      requests.set(k, cur);
    } else if (p.name === 'dash_proxy_cost_usd_total') {
      const provider = p.labels.provider ?? 'none';
      const cur = cost.get(provider) ?? { labels: { provider }, value: 0 };
      cur.value += p.value;
      cost.set(provider, cur);
    }
  }
  return [
    {
      name: 'dash_proxy_requests_total',
      type: 'counter',
      help: 'LLM proxy requests in this API process, as the proxy audits them: outcome="upstream_attempt" per provider tried (fallbacks add one), "refused" for limits, budgets and PII blocks, "cache_hit". Requests refused before routing (bad key, unknown model) are only in dash_http_request_duration_seconds.',
      samples: [...requests.values()],
    },
    {
      name: 'dash_proxy_cost_total',
      type: 'counter',
      help: 'US dollars spent through the LLM proxy in this API process, by provider.',
      samples: [...cost.values()],
    },
  ];
}

/** Every scrape-time family; failed sources are reported in dash_metrics_source_up and skipped. */
export async function collectFamilies(deps: ApiDeps, proxy: ProxyRuntime): Promise<Family[]> {
  const sources = {
    database: () => Promise.all([sessionsActive(deps), queueDepth(deps), workflowDurations(deps)]),
    temporal: async () => [await agentsConnected(deps)],
  };
  const results = await Promise.allSettled(
    Object.values(sources).map((read) => withTimeout(read(), SOURCE_TIMEOUT_MS)),
  );
  const families: Family[] = [];
  const up: Sample[] = [];
  Object.keys(sources).forEach((source, i) => {
    const r = results[i]!;
    up.push({ labels: { source }, value: r.status === 'fulfilled' ? 1 : 0 });
    if (r.status === 'fulfilled') families.push(...r.value);
  });
  families.push(...proxyFamilies(proxy), {
    name: 'dash_metrics_source_up',
    type: 'gauge',
    help: 'Whether this scrape could read the source (1) or left its metrics out (0).',
    samples: up,
  });
  return families;
}
