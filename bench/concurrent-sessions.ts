// Benchmark: N concurrent agent sessions (default 50) on this host against one session alone, in
// the same run. Each session is a real AgentSessionWorkflow: worktree, a Pi process (write, bash,
// answer) on the rehearsal provider, commit, cleanup. Reports wall-time ratio, Dash's own time per
// session apart from Pi, peak memory of the worker process and of everything, and lost sessions.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { eq, inArray } from 'drizzle-orm';
import * as s from '../drizzle/schema.js';
import { agentTaskQueueOf } from '../core/task-queues.js';
import type { AgentSessionWorkflow } from '../workflows/agent-session-workflow.js';
import { makeBenchRepo, mb, median, peakRss, startBenchStack, treeRss } from './harness.js';

const N = Number(process.env.BENCH_SESSIONS ?? 50);
const scenario = {
  name: 'bench-sessions',
  rules: [
    {
      name: 'bench-session',
      when: { user: 'BENCH-SESSION', hasTools: true },
      steps: [
        { tool: { name: 'write', arguments: { path: 'out.txt', content: '{{user_slug}}\n' } } },
        { tool: { name: 'bash', arguments: { command: 'wc -c out.txt' } } },
        { text: 'done' },
      ],
    },
  ],
};

const bench = await startBenchStack({ scenarios: [scenario], maxSessions: N });
const { client, database, config } = bench;
let seq = 0;

async function runSessions(
  count: number,
): Promise<{ wallMs: number; ids: string[]; results: PromiseSettledResult<unknown>[] }> {
  const repo = makeBenchRepo();
  const base = execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  const intentId = `int-bench${String(++seq).padStart(5, '0')}`;
  await database.db
    .insert(s.intents)
    .values({ id: intentId, text: 'bench', repoPath: repo, baseBranch: 'main', workflowId: intentId });
  const keys = Array.from({ length: count }, (_, i) => `s${i}`);
  await database.db
    .insert(s.tasks)
    .values(keys.map((k) => ({ id: `${intentId}-${k}`, intentId, key: k, title: k, prompt: 'p' })));
  const t0 = performance.now();
  const handles = await Promise.all(
    keys.map((k) =>
      client.workflow.start<typeof AgentSessionWorkflow>('AgentSessionWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: `${intentId}-task-${k}`,
        args: [
          {
            intentId,
            taskKey: k,
            taskId: `${intentId}-${k}`,
            sessionId: `${intentId}-${k}`,
            repoPath: repo,
            baseSha: base,
            branch: `dash/${intentId}/task-${k}`,
            title: k,
            prompt: `BENCH-SESSION ${k}`,
            role: 'worker',
            worktreeRoot: config.worktreeRoot,
            agentTaskQueue: agentTaskQueueOf(config.temporal.taskQueue),
            heartbeatTimeoutMs: 60_000,
            timeoutMs: 600_000,
          },
        ],
      }),
    ),
  );
  const results = await Promise.allSettled(handles.map((h) => h.result()));
  return { wallMs: performance.now() - t0, ids: keys.map((k) => `${intentId}-${k}`), results };
}

let peakTree = 0;
const sampler = setInterval(
  () => (peakTree = Math.max(peakTree, treeRss(process.pid) + treeRss(bench.temporal.pid))),
  250,
);
const report: Record<string, unknown> = {};
try {
  await runSessions(1); // warm-up: workflow bundle, first Pi import from disk
  const single = await runSessions(1);
  const many = await runSessions(N);
  const rows = await database.db.select().from(s.agentSessions).where(inArray(s.agentSessions.id, many.ids));
  const completed = rows.filter((r) => r.status === 'completed').length;
  const [one] = await database.db
    .select()
    .from(s.agentSessions)
    .where(eq(s.agentSessions.id, single.ids[0]!));
  const agentMs = rows.map((r) => r.agentMs ?? 0);
  Object.assign(report, {
    sessions: N,
    one_session_wall_ms: Math.round(single.wallMs),
    n_sessions_wall_ms: Math.round(many.wallMs),
    ratio_n_wall_to_one: +(many.wallMs / single.wallMs).toFixed(2),
    ratio_n_wall_to_n_times_one: +(many.wallMs / (N * single.wallMs)).toFixed(3),
    one_session_agent_ms: one?.agentMs,
    one_session_dash_overhead_ms: Math.round(single.wallMs - (one?.agentMs ?? 0)),
    n_sessions_agent_ms_median: median(agentMs),
    sessions_completed: completed,
    sessions_lost_or_failed: N - completed,
    workflows_failed: many.results.filter((r) => r.status === 'rejected').length,
    rss_worker_process_peak: mb(peakRss(process.pid)),
    rss_all_processes_peak_sampled: mb(peakTree),
    cpus: os.cpus().length,
    node: process.version,
  });
} finally {
  clearInterval(sampler);
  await bench.stop();
}
console.log(JSON.stringify(report, null, 2));
