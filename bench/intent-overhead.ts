// Benchmark: what Dash adds around an agent. For a one-task intent on the rehearsal provider it
// measures the whole intent (API start to result branch) against the agent's own run inside it,
// and, in the same run as a baseline, Pi driven directly on the same task with no Dash around it.
// Prints ratios; timings are never asserted anywhere.
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import * as s from '../drizzle/schema.js';
import { runPi } from '../runtimes/pi/run.js';
import { makeBenchRepo as makeRepo, mb, median, peakRss, startBenchStack } from './harness.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TASK = 'BENCH-TASK: write bench.txt';
const scenario = {
  name: 'bench',
  description: 'one task: one write, one bash, one answer',
  priority: 100,
  rules: [
    {
      name: 'bench-plan',
      when: { system: 'Dash planner', user: 'bench intent' },
      steps: [
        {
          text: JSON.stringify({
            summary: 'bench',
            tasks: [{ id: 'bench', title: 'Bench task', prompt: TASK, dependsOn: [] }],
          }),
        },
      ],
    },
    {
      name: 'bench-agent',
      when: { user: 'BENCH-TASK', hasTools: true },
      steps: [
        { tool: { name: 'write', arguments: { path: 'bench.txt', content: 'bench\n' } } },
        { tool: { name: 'bash', arguments: { command: 'cat bench.txt' } } },
        { text: 'done' },
      ],
    },
  ],
};

const bench = await startBenchStack({ scenarios: [scenario] });
const { client, app, database, llm, home, temporal } = bench;

/** Milliseconds spent in each activity type (scheduled to completed) across an intent's workflows. */
async function activityBreakdown(workflowIds: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const id of workflowIds) {
    const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
    const ms = (e: (typeof events)[number]) =>
      Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
    const scheduled = new Map<string, { type: string; at: number }>();
    for (const e of events) {
      const sch = e.activityTaskScheduledEventAttributes;
      if (sch) scheduled.set(String(e.eventId), { type: sch.activityType?.name ?? '?', at: ms(e) });
      const done = e.activityTaskCompletedEventAttributes;
      if (done) {
        const s = scheduled.get(String(done.scheduledEventId));
        if (s) out[s.type] = (out[s.type] ?? 0) + ms(e) - s.at;
      }
      const marker = e.markerRecordedEventAttributes;
      if (marker) out['(local activities, count)'] = (out['(local activities, count)'] ?? 0) + 1;
    }
    const first = events[0];
    const last = events[events.length - 1];
    if (first && last)
      out[`workflow ${id.includes('-task-') ? 'session' : 'intent'} wall`] = ms(last) - ms(first);
  }
  return out;
}

let breakdown: Record<string, number> = {};
let temporalPeak = 0;
const direct: number[] = [];
const totals: number[] = [];
const agents: number[] = [];
try {
  // Warm-up: bundle, caches, first Pi import.
  for (let i = 0; i <= RUNS; i++) {
    const repo = makeRepo();
    const t0 = performance.now();
    await runPi({
      cwd: repo,
      prompt: `Task: Bench task\n\n${TASK}`,
      llm,
      sessionDir: path.join(home, 'direct', String(i)),
    });
    if (i > 0) direct.push(performance.now() - t0);

    const repo2 = makeRepo();
    const t1 = performance.now();
    const res = await app.request('/api/v1/intents', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bench.apiKey}` },
      body: JSON.stringify({ intent: 'bench intent', repo: repo2 }),
    });
    const { id } = (await res.json()) as { id: string };
    await client.workflow.getHandle(id).result();
    const total = performance.now() - t1;
    const [session] = await database.db
      .select()
      .from(s.agentSessions)
      .where(eq(s.agentSessions.intentId, id));
    if (i === RUNS) breakdown = await activityBreakdown([id, `${id}-task-bench`]);
    if (i > 0) {
      totals.push(total);
      agents.push(session?.agentMs ?? 0);
    }
    process.stderr.write(
      `run ${i}${i === 0 ? ' (warm-up)' : ''}: direct Pi ${(direct.at(-1) ?? 0).toFixed(0)} ms, intent ${total.toFixed(0)} ms\n`,
    );
  }
} finally {
  temporalPeak = peakRss(temporal.pid);
  await bench.stop();
}
const overhead = totals.map((t, i) => t - agents[i]!);
const result = {
  runs: RUNS,
  direct_pi_ms_median: Math.round(median(direct)),
  intent_total_ms_median: Math.round(median(totals)),
  agent_ms_inside_intent_median: Math.round(median(agents)),
  dash_overhead_ms_median: Math.round(median(overhead)),
  ratio_intent_to_direct_pi: +(median(totals) / median(direct)).toFixed(2),
  ratio_overhead_to_direct_pi: +(median(overhead) / median(direct)).toFixed(2),
  last_run_ms_by_step: breakdown,
  rss_dash_process_peak: mb(peakRss(process.pid)),
  rss_temporal_dev_server_peak: mb(temporalPeak),
  node: process.version,
  cpus: os.cpus().length,
};
console.log(JSON.stringify(result, null, 2));
