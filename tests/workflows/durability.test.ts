// The worker process is killed (SIGKILL) in the middle of an intent and a new one is started:
// the intent finishes, the completed session is not redone, and the interrupted one resumes its
// Pi conversation in the new worker.
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as s from '../../drizzle/schema.js';
import { gitIn, makeRepo, tempDir } from '../helpers/repo.js';
import { isAlive, waitFor, type Spawned } from '../helpers/processes.js';
import { startTestStack, startWorkerProcess as startWorker, type TestStack } from '../helpers/stack.js';
import { activityRuns, historyOf } from '../helpers/temporal.js';

let stack: TestStack;
const workers: Spawned[] = [];

beforeAll(async () => {
  stack = await startTestStack({
    dbKind: 'postgres',
    worker: false,
    scenarios: [
      {
        name: 'durability',
        description: 'one quick task, one slow task',
        priority: 0,
        rules: [
          {
            name: 'durability-plan',
            when: { system: 'Dash planner', user: 'durability' },
            steps: [
              {
                text: JSON.stringify({
                  summary: 'two tasks',
                  tasks: [
                    {
                      id: 'quick',
                      title: 'Quick task',
                      prompt: 'QUICK-TASK: write quick.txt',
                      dependsOn: [],
                    },
                    {
                      id: 'slow',
                      title: 'Slow task',
                      prompt: 'SLOW-TASK: run the slow build',
                      dependsOn: [],
                    },
                  ],
                }),
              },
            ],
          },
          {
            name: 'durability-quick',
            when: { user: 'QUICK-TASK', hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: 'quick.txt', content: 'quick\n' } } },
              { text: 'quick done' },
            ],
          },
          {
            name: 'durability-slow',
            when: { user: 'SLOW-TASK', hasTools: true },
            steps: [
              { tool: { name: 'bash', arguments: { command: 'sleep 8 && echo built > slow.txt' } } },
              { text: 'slow done' },
            ],
          },
        ],
      },
    ],
  });
});

afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await stack?.stop();
});

function startWorkerProcess(): Spawned {
  const w = startWorker(stack);
  workers.push(w);
  return w;
}

it('finishes an intent after its worker is killed mid-run, without redoing the completed session', async () => {
  const repo = makeRepo({ 'README.md': '# durable\n' });
  const gateLog = path.join(tempDir('dash-gate-'), 'gate.log');
  const res = await stack.app.request('/api/v1/intents', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // The gate sleeps, so the kill also lands while the quick task's merge is being gated.
    body: JSON.stringify({ intent: 'durability drill', repo, gate: `echo start >> ${gateLog}; sleep 6` }),
  });
  const { id } = (await res.json()) as { id: string };
  const { db } = stack.db.database;
  const t0 = Date.now();
  const phase = (name: string) =>
    console.log(`[durability] ${name} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const first = startWorkerProcess();

  // Kill once the quick task's merge is in its gate and the slow one is inside its 8 s bash tool.
  let slowPid = 0;
  await waitFor(
    async () => {
      const tasks = await db.select().from(s.tasks).where(eq(s.tasks.intentId, id));
      const [slow] = await db
        .select()
        .from(s.agentSessions)
        .where(eq(s.agentSessions.id, `${id}-slow`));
      const slowInBash = (
        await db
          .select()
          .from(s.sessionEvents)
          .where(eq(s.sessionEvents.sessionId, `${id}-slow`))
      ).some((e) => e.type === 'tool_execution_start');
      slowPid = slow?.pid ?? 0;
      const quickGating = fs.existsSync(gateLog);
      return (
        tasks.find((t) => t.key === 'quick')?.status === 'completed' &&
        quickGating &&
        slowInBash &&
        slowPid > 0
      );
    },
    90_000,
    `the quick task to be gating its merge and the slow one to be in its bash tool (worker output: ${first.output()})`,
  );
  phase('kill point reached');
  first.child.kill('SIGKILL');
  await first.exited;

  // The orphaned Pi loses its stdin when the worker dies and exits on its own.
  await waitFor(() => !isAlive(slowPid), 15_000, `orphaned Pi ${slowPid} to exit`);

  phase('orphaned Pi gone');
  const second = startWorkerProcess();
  await waitFor(() => /polling/.test(second.output()), 120_000, 'the second worker to poll');
  phase('second worker polling');
  const result = await stack.client.workflow.getHandle(id).result();
  phase('intent completed');
  second.child.kill('SIGTERM');
  await second.exited;

  expect(result.filesChanged.sort()).toEqual(['quick.txt', 'slow.txt']);
  // The interrupted merge ran its gate again and landed once: one merge commit per task.
  const base = gitIn(repo, 'rev-parse', 'main').trim();
  expect(gitIn(repo, 'rev-list', '--merges', '--count', `${base}..${result.resultBranch}`).trim()).toBe('2');
  expect(fs.readFileSync(gateLog, 'utf8').trim().split('\n').length).toBeGreaterThanOrEqual(3);
  expect(gitIn(repo, 'show', `${result.resultBranch}:slow.txt`)).toBe('built\n');

  // The quick session ran its agent once; the slow one was retried by the new worker.
  const quickRuns = activityRuns(await historyOf(stack.client, `${id}-task-quick`)).filter(
    (r) => r.type === 'runAgent',
  );
  const slowRuns = activityRuns(await historyOf(stack.client, `${id}-task-slow`)).filter(
    (r) => r.type === 'runAgent',
  );
  expect(quickRuns).toEqual([{ type: 'runAgent', attempt: 1 }]);
  expect(slowRuns).toEqual([{ type: 'runAgent', attempt: 2 }]);
  const quickPrompts = stack.rehearsal.requests.filter((r) => r.rule === 'durability-quick' && r.step === 0);
  expect(quickPrompts).toHaveLength(1);
  const [slowSession] = await db
    .select()
    .from(s.agentSessions)
    .where(eq(s.agentSessions.id, `${id}-slow`));
  expect(slowSession?.attempt).toBe(2);
  expect(slowSession?.status).toBe('completed');
  // The new worker resumed the slow session's Pi conversation instead of starting a new one:
  // one session file holds the first attempt's prompt and tool call, then the resume prompt.
  const lines = fs.readFileSync(slowSession!.runtimeSessionFile!, 'utf8').split('\n');
  const userLines = lines.filter((l) => l.includes('"role":"user"'));
  expect(userLines).toHaveLength(2);
  expect(userLines[0]).not.toContain('interrupted');
  expect(userLines[1]).toContain('the worker running you stopped');
  expect(lines.filter((l) => l.includes('sleep 8')).length).toBeGreaterThanOrEqual(2);
  const [intent] = await db.select().from(s.intents).where(eq(s.intents.id, id));
  expect(intent?.status).toBe('completed');
});
