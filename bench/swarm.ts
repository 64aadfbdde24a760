// Benchmark: a 20-task swarm on the rehearsal provider. The planner answers with a three-layer DAG
// (8 roots, 8 tasks on two roots each, 4 on two of those each); each task's Pi agent writes its
// own file, runs one bash command and answers, every merge runs the gate on the merged tree.
// From the workflow histories it reports the intent's wall time against the critical path of the
// DAG (each task weighted by its measured session), the merge queue's throughput and latency,
// Temporal history events per task, and whether every task landed. Timings are never asserted.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { defaultPayloadConverter } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import * as s from '../drizzle/schema.js';
import type { Rule } from '../rehearsal/scenario.js';
import { intentProgressQuery, type IntentWorkflow } from '../workflows/intent-workflow.js';
import { makeBenchRepo, mb, median, peakRss, startBenchStack } from './harness.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const CONCURRENCY = process.env.BENCH_CONCURRENCY ? Number(process.env.BENCH_CONCURRENCY) : undefined;
/** Branches merged and gated together at most (the intent's merge_batch); unset: Dash's default. */
const MERGE_BATCH = process.env.BENCH_MERGE_BATCH ? Number(process.env.BENCH_MERGE_BATCH) : undefined;
/** Latency of every scripted model answer of the agents (a model is never instant). */
const LATENCY_MS = Number(process.env.BENCH_LLM_LATENCY_MS ?? 500);
/** The repository's test, run on every merged tree before it lands; BENCH_GATE= (empty) for none. */
const GATE = process.env.BENCH_GATE ?? 'sh gate.sh';
const GATE_SCRIPT = `# No conflict markers anywhere, and every text file is non-empty.
if grep -rqE '^(<<<<<<<|>>>>>>>|=======)' --exclude-dir=.git --exclude=gate.sh .; then echo "conflict markers left"; exit 1; fi
for f in *.txt; do [ -s "$f" ] || { echo "$f is empty"; exit 1; }; done
echo gate ok
`;

interface BenchTask {
  id: string;
  title: string;
  prompt: string;
  dependsOn: string[];
}
const key = (layer: string, i: number) => `${layer}${String(i).padStart(2, '0')}`;
const roots = Array.from({ length: 8 }, (_, i) => key('r', i + 1));
const mids = Array.from({ length: 8 }, (_, i) => key('m', i + 1));
const leaves = Array.from({ length: 4 }, (_, i) => key('l', i + 1));
const task = (id: string, dependsOn: string[]): BenchTask => ({
  id,
  title: `Task ${id}`,
  prompt: `SWB-TASK-${id}: write ${id}.txt`,
  dependsOn,
});
// Listed in dependency order, which the critical-path pass below relies on.
const PLAN: BenchTask[] = [
  ...roots.map((r) => task(r, [])),
  ...mids.map((m, i) => task(m, [roots[i]!, roots[(i + 1) % 8]!])),
  ...leaves.map((l, i) => task(l, [mids[2 * i]!, mids[2 * i + 1]!])),
];

const SOLO: BenchTask = task('solo', []);

const rules: Rule[] = [
  {
    name: 'swb-plan-solo',
    when: { system: 'Dash planner', user: 'bench swarm of one' },
    steps: [{ text: JSON.stringify({ summary: 'bench solo', tasks: [SOLO] }) }],
  },
  {
    name: 'swb-plan',
    when: { system: 'Dash planner', user: 'bench swarm of twenty' },
    steps: [{ text: JSON.stringify({ summary: 'bench swarm', tasks: PLAN }) }],
  },
  // The agent of each task: its own file (no conflicts), one command, one answer.
  ...PLAN.map((t): Rule => ({
    name: `swb-${t.id}`,
    when: { user: `SWB-TASK-${t.id}:`, hasTools: true },
    steps: [
      {
        tool: { name: 'write', arguments: { path: `${t.id}.txt`, content: `${t.id}\n` } },
        latencyMs: LATENCY_MS,
      },
      { tool: { name: 'bash', arguments: { command: `wc -c ${t.id}.txt` } }, latencyMs: LATENCY_MS },
      { text: `${t.id} done`, latencyMs: LATENCY_MS },
    ],
  })),
];

const bench = await startBenchStack({ scenarios: [{ name: 'bench-swarm', rules }] });
const { client, app, database, temporal } = bench;

type HistoryEvent = NonNullable<
  Awaited<ReturnType<ReturnType<typeof client.workflow.getHandle>['fetchHistory']>>['events']
>[number];
const at = (e: HistoryEvent) =>
  Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
/** The event's kind, from the one attributes field it carries (e.g. activityTaskScheduled). */
const kindOf = (e: HistoryEvent) =>
  Object.entries(e)
    .find(([k, v]) => k.endsWith('EventAttributes') && v)?.[0]
    .replace(/EventAttributes$/, '') ?? 'unknown';

/** Every run of a workflow id, oldest first (a session may continue as new). */
async function historiesOf(workflowId: string): Promise<HistoryEvent[][]> {
  const runs: HistoryEvent[][] = [];
  let runId: string | undefined;
  for (;;) {
    const events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    runs.unshift(events);
    const previous = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!previous) return runs;
    runId = previous;
  }
}

const round = (x: number) => Math.round(x);
const ratio = (a: number, b: number) => +(a / b).toFixed(2);
const seconds = (ms: number) => +(ms / 1000).toFixed(2);

async function startIntent(text: string) {
  const repo = makeBenchRepo();
  // The gate script is part of the repository, as a test suite would be.
  execFileSync(
    'sh',
    ['-c', `cat > gate.sh && git add gate.sh && git -c user.name=b -c user.email=b@b commit -qm gate`],
    { cwd: repo, input: GATE_SCRIPT },
  );
  const t0 = performance.now();
  const res = await app.request('/api/v1/intents', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bench.apiKey}` },
    body: JSON.stringify({
      intent: text,
      repo,
      ...(GATE && { gate: GATE }),
      ...(CONCURRENCY && { concurrency: CONCURRENCY }),
      ...(MERGE_BATCH && { merge_batch: MERGE_BATCH }),
    }),
  });
  if (res.status !== 202) throw new Error(`POST /api/v1/intents: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  return { repo, id, t0 };
}

/** The baseline: one task alone (same agent, gate and merge), its session and the whole intent. */
async function runSolo() {
  const { id, t0 } = await startIntent('bench swarm of one');
  await client.workflow.getHandle<typeof IntentWorkflow>(id).result();
  const wallMs = performance.now() - t0;
  const runs = await historiesOf(`${id}-task-solo`);
  return { wallMs, sessionMs: at(runs.at(-1)!.at(-1)!) - at(runs[0]![0]!) };
}

async function runOnce(run: number, solo: { wallMs: number; sessionMs: number }) {
  const load1 = os.loadavg()[0]!;
  const { repo, id, t0 } = await startIntent('bench swarm of twenty');
  const handle = client.workflow.getHandle<typeof IntentWorkflow>(id);
  const outcome = await handle.result().then(
    (r) => ({ ok: true as const, result: r }),
    (err: unknown) => ({ ok: false as const, error: String((err as Error).cause ?? err) }),
  );
  const wallMs = performance.now() - t0;
  const progress = await handle.query(intentProgressQuery);

  // The intent's history: when each child started, when each merge was scheduled and landed.
  const [intentEvents = []] = await historiesOf(id);
  const children = new Set<string>();
  const mergeOf = new Map<string, { scheduled: number; landed?: number }>();
  const scheduledMerge = new Map<string, string[]>();
  const keyOf = (branch: string) => branch.slice(branch.lastIndexOf('/task-') + '/task-'.length);
  let planned = at(intentEvents[0]!);
  const scheduledType = new Map<string, string>();
  for (const e of intentEvents) {
    const child = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (child?.workflowId) children.add(child.workflowId);
    const sch = e.activityTaskScheduledEventAttributes;
    if (sch) {
      const type = sch.activityType?.name ?? '?';
      scheduledType.set(String(e.eventId), type);
      // One branch, or a batch of branches gated together: each lands when its activity ends.
      if (type === 'mergeIntoIntegration' || type === 'mergeBatchIntoIntegration') {
        const input = defaultPayloadConverter.fromPayload<{ branch?: string; items?: { branch: string }[] }>(
          sch.input!.payloads![0]!,
        );
        const keys = (input.items?.map((i) => i.branch) ?? [input.branch!]).map(keyOf);
        for (const key of keys) mergeOf.set(key, { scheduled: at(e) });
        scheduledMerge.set(String(e.eventId), keys);
      }
    }
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const sid = String(done.scheduledEventId);
      if (scheduledType.get(sid) === 'planIntent') planned = at(e);
      for (const key of scheduledMerge.get(sid) ?? []) mergeOf.get(key)!.landed = at(e);
    }
  }

  // Each session's own history: its measured duration, and its events.
  const session = new Map<string, { start: number; end: number }>();
  const eventsByKind: Record<string, number> = {};
  const count = (events: HistoryEvent[]) => {
    for (const e of events) eventsByKind[kindOf(e)] = (eventsByKind[kindOf(e)] ?? 0) + 1;
  };
  count(intentEvents);
  const sessionEventCounts: number[] = [];
  for (const wid of children) {
    const runs = await historiesOf(wid);
    runs.forEach(count);
    sessionEventCounts.push(runs.reduce((n, r) => n + r.length, 0));
    const first = runs[0]![0]!;
    const last = runs.at(-1)!.at(-1)!;
    session.set(wid.slice(`${id}-task-`.length), { start: at(first), end: at(last) });
  }
  const rows = await database.db.select().from(s.agentSessions).where(eq(s.agentSessions.intentId, id));
  const agentMs = rows.map((r) => r.agentMs ?? 0);

  // Critical path: the longest chain of dependencies, each task weighted by its measured session.
  const dur = (k: string) => {
    const x = session.get(k);
    return x ? x.end - x.start : 0;
  };
  const finish = new Map<string, { ms: number; chain: string[] }>();
  for (const t of PLAN) {
    const longest = t.dependsOn
      .map((d) => finish.get(d)!)
      .reduce((a, b) => (b.ms > a.ms ? b : a), { ms: 0, chain: [] as string[] });
    finish.set(t.id, { ms: longest.ms + dur(t.id), chain: [...longest.chain, t.id] });
  }
  const critical = [...finish.values()].reduce((a, b) => (b.ms > a.ms ? b : a));
  const sumSessions = PLAN.reduce((n, t) => n + dur(t.id), 0);
  const limit = CONCURRENCY ?? bench.config.swarm.concurrency;

  // What the real chain spent: a task becomes ready when its last dependency has landed (the
  // swarm waits for the merge, not just the session), then starts, runs, and waits to land.
  const landed = (k: string) => mergeOf.get(k)?.landed ?? Number.NaN;
  const ready = (t: BenchTask) => Math.max(planned, ...t.dependsOn.map(landed));
  const chain: string[] = [];
  let cur = PLAN.reduce((a, b) => (landed(b.id) > landed(a.id) ? b : a));
  for (;;) {
    chain.unshift(cur.id);
    if (!cur.dependsOn.length) break;
    const binding = cur.dependsOn.reduce((a, b) => (landed(b) > landed(a) ? b : a));
    cur = PLAN.find((t) => t.id === binding)!;
  }
  const segment = { start_wait: 0, session: 0, land_wait: 0 };
  for (const k of chain) {
    const t = PLAN.find((p) => p.id === k)!;
    // NaN when the task did not run or land: a failed swarm still prints what it measured.
    segment.start_wait += (session.get(k)?.start ?? Number.NaN) - ready(t);
    segment.session += dur(k);
    segment.land_wait += landed(k) - (session.get(k)?.end ?? Number.NaN);
  }

  // The merge queue: one merge at a time, in the order sessions finish.
  const merges = PLAN.flatMap((t) => {
    const m = mergeOf.get(t.id);
    const sess = session.get(t.id);
    return m?.landed && sess ? [{ task: t.id, sessionEnd: sess.end, ...m, landed: m.landed }] : [];
  });
  const latency = merges.map((m) => m.landed - m.sessionEnd);
  // Service time per merge activity (a batch counts once, however many branches it carried).
  const activities = new Map(merges.map((m) => [m.scheduled, m.landed - m.scheduled]));
  const service = [...activities.values()];
  const firstEnd = Math.min(...merges.map((m) => m.sessionEnd));
  const lastLanded = Math.max(...merges.map((m) => m.landed));
  const busySpanMs = lastLanded - firstEnd;

  // Landed means: merged by the queue, on the result branch with its content, branch an ancestor.
  const branch = `dash/${id}/result`;
  const lost = PLAN.filter((t) => {
    if (!progress.merged.some((m) => m.task === t.id)) return true;
    try {
      const content = execFileSync('git', ['-C', repo, 'show', `${branch}:${t.id}.txt`], {
        encoding: 'utf8',
      });
      execFileSync('git', ['-C', repo, 'merge-base', '--is-ancestor', `dash/${id}/task-${t.id}`, branch]);
      return content !== `${t.id}\n`;
    } catch {
      return true;
    }
  }).map((t) => t.id);

  const totalEvents = intentEvents.length + sessionEventCounts.reduce((a, b) => a + b, 0);
  return {
    run,
    intent: id,
    status: outcome.ok ? 'completed' : `failed: ${outcome.error.slice(0, 500)}`,
    tasks: PLAN.length,
    concurrency: limit,
    gate: GATE || null,
    llm_latency_ms_per_answer: LATENCY_MS,
    load_average_1m_at_start: +load1.toFixed(2),
    wall_s: seconds(wallMs),
    critical_path_s: seconds(critical.ms),
    critical_path: critical.chain.join(' → '),
    ratio_wall_to_critical_path: ratio(wallMs, critical.ms),
    solo_session_s: seconds(solo.sessionMs),
    solo_intent_wall_s: seconds(solo.wallMs),
    critical_path_at_solo_speed_s: seconds(critical.chain.length * solo.sessionMs),
    ratio_wall_to_critical_path_at_solo_speed: ratio(wallMs, critical.chain.length * solo.sessionMs),
    work_bound_s: seconds(sumSessions / limit),
    ratio_wall_to_work_bound: ratio(wallMs, sumSessions / limit),
    session_s: {
      median: seconds(median(PLAN.map((t) => dur(t.id)))),
      max: seconds(Math.max(...PLAN.map((t) => dur(t.id)))),
      sum: seconds(sumSessions),
    },
    pi_run_inside_session_s_median: seconds(median(agentMs)),
    planning_s: seconds(planned - at(intentEvents[0]!)),
    last_landing_chain: {
      tasks: chain.join(' → '),
      waiting_to_start_s: seconds(segment.start_wait),
      sessions_s: seconds(segment.session),
      waiting_to_land_s: seconds(segment.land_wait),
    },
    merge_queue: {
      merges: merges.length,
      per_minute_over_intent: +((merges.length / wallMs) * 60_000).toFixed(1),
      per_minute_first_session_end_to_last_landing: +((merges.length / busySpanMs) * 60_000).toFixed(1),
      capacity_per_minute: +((merges.length / service.reduce((a, b) => a + b, 0)) * 60_000).toFixed(1),
      merge_activities: service.length,
      batches: progress.mergeBatches?.batches ?? 0,
      batch_gate_runs: progress.mergeBatches?.gateRuns ?? 0,
      busy_fraction: ratio(
        service.reduce((a, b) => a + b, 0),
        busySpanMs,
      ),
      merge_ms: { median: round(median(service)), max: round(Math.max(...service)) },
      session_end_to_landed_ms: { median: round(median(latency)), max: round(Math.max(...latency)) },
    },
    history_events: {
      total: totalEvents,
      per_task: +(totalEvents / PLAN.length).toFixed(1),
      intent_workflow: intentEvents.length,
      session_workflow: { median: median(sessionEventCounts), max: Math.max(...sessionEventCounts) },
      workflows: 1 + children.size,
      by_kind: Object.fromEntries(Object.entries(eventsByKind).sort((a, b) => b[1] - a[1])),
    },
    landed: PLAN.length - lost.length,
    lost,
  };
}

const results = [];
let temporalPeak = 0;
try {
  // The first one is a warm-up: the first Pi process loads its modules from a cold cache.
  await runSolo();
  const solo = await runSolo();
  process.stderr.write(`solo: session ${seconds(solo.sessionMs)} s, intent ${seconds(solo.wallMs)} s\n`);
  for (let run = 1; run <= RUNS; run++) {
    const result = await runOnce(run, solo);
    results.push(result);
    process.stderr.write(
      `run ${run}: ${result.status}, wall ${result.wall_s} s, critical path ${result.critical_path_s} s, landed ${result.landed}/${result.tasks}\n`,
    );
  }
} finally {
  temporalPeak = peakRss(temporal.pid);
  await bench.stop();
}
console.log(
  JSON.stringify(
    {
      runs: results,
      rss_dash_process_peak: mb(peakRss(process.pid)),
      rss_temporal_dev_server_peak: mb(temporalPeak),
      node: process.version,
      cpus: os.cpus().length,
    },
    null,
    2,
  ),
);
