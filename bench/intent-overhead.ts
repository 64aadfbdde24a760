// Benchmark: what Dash adds around an agent. For a one-task intent on the rehearsal provider it
// measures the whole intent (API start to result branch) against the agent's own run inside it,
// and, in the same run as a baseline, Pi driven directly on the same task with no Dash around it.
// Prints ratios; timings are never asserted anywhere.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import { createApp } from '../api/app.js';
import { loadConfig, type LlmSettings } from '../core/config.js';
import { openDatabase } from '../drizzle/client.js';
import * as s from '../drizzle/schema.js';
import { startRehearsalServer } from '../rehearsal/server.js';
import { runPi } from '../runtimes/pi/run.js';
import { findTemporalCli } from '../temporal-dev/cli-binary.js';
import { freePort, startDevServer } from '../temporal-dev/dev-server.js';
import { createDashWorker } from '../workers/worker.js';

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

const peakRss = (pid: number): number => {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
};
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function makeRepo(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dash-bench-repo-'));
  fs.writeFileSync(path.join(dir, 'README.md'), '# bench\n');
  const git = (...a: string[]) =>
    execFileSync('git', ['-C', dir, '-c', 'user.name=b', '-c', 'user.email=b@b', ...a]);
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'init');
  return fs.realpathSync(dir);
}

Runtime.install({ shutdownSignals: [] });
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dash-bench-home-'));
const cli = await findTemporalCli({ configured: process.env.DASH_TEMPORAL_CLI });
const temporal = await startDevServer({ cliPath: cli, port: await freePort(), headless: true });
const rehearsal = await startRehearsalServer({ port: 0, scenarios: [scenario] });
const config = loadConfig({
  DASH_HOME: home,
  DASH_TEMPORAL_ADDRESS: temporal.address,
  DASH_LLM_BASE_URL: `${rehearsal.url}/v1`,
  DASH_LLM_MODEL: 'rehearsal-1',
  DASH_TASK_QUEUE: 'dash-bench',
});
const llm: LlmSettings = { ...config.llm, kind: 'rehearsal', apiKey: 'bench' };
const database = await openDatabase({ dataDir: path.join(home, 'data') });
const connection = await Connection.connect({ address: temporal.address });
const client = new Client({ connection });
const app = createApp({ database, temporal: client, config, llmKind: 'rehearsal' });
const { worker, connection: native } = await createDashWorker({
  address: temporal.address,
  namespace: 'default',
  taskQueue: 'dash-bench',
  deps: { db: database.db, config, llm, temporal: client },
  maxConcurrentAgentSessions: config.agent.maxSessions,
});
const running = worker.run();

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
      headers: { 'content-type': 'application/json' },
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
  worker.shutdown();
  await running;
  await native.close();
  await connection.close();
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
  rss_temporal_dev_server_peak: mb(peakRss(temporal.pid)),
  node: process.version,
  cpus: os.cpus().length,
};
await temporal.stop();
await rehearsal.close();
await database.close();
console.log(JSON.stringify(result, null, 2));
