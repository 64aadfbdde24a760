// The swarm engine end to end: real Temporal, real Pi against the rehearsal server, real git.
// A DAG runs in order and in parallel where allowed; acceptance checks send work back; a task
// that never passes fails alone; a merge conflict is resolved by a Refinery agent and gated.
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as s from '../../drizzle/schema.js';
import type { Rule } from '../../rehearsal/scenario.js';
import { intentProgressQuery, type IntentWorkflow } from '../../workflows/intent-workflow.js';
import { callApi } from '../helpers/api.js';
import { isAlive, waitFor } from '../helpers/processes.js';
import { gitIn, makeRepo, tempDir } from '../helpers/repo.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { recordHistories } from '../helpers/temporal.js';

/** A planner rule answering intents that mention `trigger` with this plan. */
const planRule = (name: string, trigger: string, tasks: unknown[]): Rule => ({
  name,
  when: { system: 'Dash planner', user: trigger },
  steps: [{ text: JSON.stringify({ summary: name, tasks }) }],
});

/** An agent rule: the task whose prompt mentions `trigger` writes these files, then says done. */
const writeRule = (name: string, trigger: string, files: Record<string, string>, sleep = 0): Rule => ({
  name,
  when: { user: trigger, hasTools: true },
  steps: [
    ...(sleep ? [{ tool: { name: 'bash', arguments: { command: `sleep ${sleep}` } } }] : []),
    ...Object.entries(files).map(([p, content]) => ({
      tool: { name: 'write', arguments: { path: p, content } },
    })),
    { text: `${name} done` },
  ],
});

const GATE = 'sh gate.sh';
const GATE_SCRIPT = `# The repository's test: no conflict markers anywhere, and every text file is non-empty.
if grep -rqE '^(<<<<<<<|>>>>>>>|=======)' --exclude-dir=.git --exclude=gate.sh .; then echo "conflict markers left"; exit 1; fi
for f in *.txt; do [ -s "$f" ] || { echo "$f is empty"; exit 1; }; done
[ -n "$GATE_LOG" ] && echo "$(git rev-parse HEAD)" >> "$GATE_LOG"
[ -n "$GATE_SLEEP" ] && sleep "$GATE_SLEEP"
echo gate ok
`;

let stack: TestStack;
let gateLog: string;
const allowNever = path.join(tempDir('dash-allow-'), 'allow-never');
const allowReset = path.join(tempDir('dash-allow-'), 'allow-after-reset');

beforeAll(async () => {
  gateLog = path.join(tempDir('dash-gate-'), 'gate.log');
  // The gate runs in this process's worker and inherits its environment.
  process.env.GATE_LOG = gateLog;
  stack = await startTestStack({
    dbKind: 'postgres',
    scenarios: [
      {
        name: 'swarm',
        rules: [
          planRule('sw-dag-plan', 'five task dag', [
            { id: 'a', title: 'A', prompt: 'SW-TASK-A', dependsOn: [] },
            { id: 'b', title: 'B', prompt: 'SW-TASK-B', dependsOn: [] },
            { id: 'c', title: 'C', prompt: 'SW-TASK-C', dependsOn: ['a'] },
            { id: 'd', title: 'D', prompt: 'SW-TASK-D', dependsOn: ['a', 'b'] },
            { id: 'e', title: 'E', prompt: 'SW-TASK-E', dependsOn: ['c', 'd'] },
          ]),
          writeRule('sw-a', 'SW-TASK-A', { 'a.txt': 'a\n' }, 3),
          writeRule('sw-b', 'SW-TASK-B', { 'b.txt': 'b\n' }, 3),
          writeRule('sw-c', 'SW-TASK-C', { 'c.txt': 'c\n' }),
          writeRule('sw-d', 'SW-TASK-D', { 'd.txt': 'd\n' }),
          writeRule('sw-e', 'SW-TASK-E', { 'e.txt': 'e\n' }),

          planRule('sw-batch-plan', 'batch drill', [
            ...['p', 'q', 'r', 's'].map((k) => ({
              id: k,
              title: k.toUpperCase(),
              prompt: `SW-BATCH-${k}`,
              dependsOn: [],
            })),
            { id: 'bad', title: 'Bad', prompt: 'SW-BATCH-bad', dependsOn: [] },
          ]),
          ...['p', 'q', 'r', 's'].map((k) =>
            writeRule(`sw-batch-${k}`, `SW-BATCH-${k}`, { [`${k}.txt`]: `${k}\n` }),
          ),
          // An empty file breaks the repository's test (gate.sh): bisection must find this branch.
          writeRule('sw-batch-bad', 'SW-BATCH-bad', { 'bad.txt': '' }),

          planRule('sw-reset-plan', 'reset drill', [
            { id: 'kept', title: 'Kept', prompt: 'SW-RESET-KEPT', dependsOn: [] },
            {
              id: 'flaky',
              title: 'Flaky',
              prompt: 'SW-RESET-FLAKY',
              dependsOn: [],
              // Fails until the test creates the file: then the reset run passes.
              acceptance: [`test -f ${allowReset} || { echo "the environment is not ready"; exit 1; }`],
            },
            { id: 'after', title: 'After', prompt: 'SW-RESET-AFTER', dependsOn: ['flaky'] },
          ]),
          writeRule('sw-reset-kept', 'SW-RESET-KEPT', { 'kept.txt': 'kept\n' }),
          writeRule('sw-reset-flaky', 'SW-RESET-FLAKY', { 'flaky.txt': 'flaky\n' }),
          writeRule('sw-reset-after', 'SW-RESET-AFTER', { 'after-reset.txt': 'after\n' }),

          planRule('sw-check-plan', 'checks drill', [
            { id: 'good', title: 'Good', prompt: 'SW-GOOD', dependsOn: [] },
            {
              id: 'fixme',
              title: 'Fix me',
              prompt: 'SW-FIXME',
              dependsOn: [],
              acceptance: [
                "test -f fixed.txt || { echo '[rehearsal:sw-fix] fixed.txt is missing'; exit 1; }",
              ],
            },
            {
              id: 'never',
              title: 'Never passes',
              prompt: 'SW-NEVER',
              dependsOn: [],
              // Fails until the test creates the file: then a retry passes.
              acceptance: [`test -f ${allowNever} || { echo "the never check fails"; exit 1; }`],
            },
            { id: 'after-never', title: 'After never', prompt: 'SW-AFTER', dependsOn: ['never'] },
          ]),
          writeRule('sw-good', 'SW-GOOD', { 'good.txt': 'good\n' }),
          writeRule('sw-fixme', 'SW-FIXME', { 'wip.txt': 'wip\n' }),
          writeRule('sw-fix', 'fixed.txt is missing', { 'fixed.txt': 'fixed\n' }),
          writeRule('sw-never', 'SW-NEVER', { 'never.txt': 'never\n' }),
          writeRule('sw-after', 'SW-AFTER', { 'after.txt': 'after\n' }),

          planRule('sw-plan-review', 'review drill', [
            { id: 'greet', title: 'Greeting', prompt: 'SW-GREET: write greeting.txt', dependsOn: [] },
          ]),
          // Reviewer rules first: a review prompt quotes the task. The diff decides the verdict.
          {
            name: 'sw-review-approve',
            when: { user: 'Review the change[\\s\\S]*\\+hello world' },
            steps: [{ text: 'APPROVE\nThe greeting is complete.' }],
          },
          {
            name: 'sw-review-reject',
            when: { user: 'Review the change[\\s\\S]*SW-GREET' },
            steps: [{ text: 'REQUEST CHANGES\n[rehearsal:sw-greet-fix] The greeting must say hello world.' }],
          },
          writeRule('sw-greet', 'SW-GREET', { 'greeting.txt': 'hello\n' }),
          writeRule('sw-greet-fix', 'must say hello world', { 'greeting.txt': 'hello world\n' }),

          planRule('sw-plan-budget', 'budget drill', [
            { id: 'cheap', title: 'Cheap', prompt: 'SW-CHEAP', dependsOn: [] },
            { id: 'costly', title: 'Costly', prompt: 'SW-COSTLY', dependsOn: ['cheap'] },
            { id: 'later', title: 'Later', prompt: 'SW-LATER', dependsOn: ['costly'] },
          ]),
          writeRule('sw-cheap', 'SW-CHEAP', { 'cheap.txt': 'cheap\n' }),
          {
            name: 'sw-costly',
            when: { user: 'SW-COSTLY', hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: 'partial.txt', content: 'partial\n' } } },
              ...Array.from({ length: 12 }, () => ({
                tool: { name: 'bash', arguments: { command: 'sleep 1' } },
              })),
              { text: 'costly done' },
            ],
          },
          writeRule('sw-later', 'SW-LATER', { 'later.txt': 'later\n' }),

          planRule('sw-plan-cancel', 'cancel drill', [
            { id: 'one', title: 'One', prompt: 'SW-LONG-ONE', dependsOn: [] },
            { id: 'two', title: 'Two', prompt: 'SW-LONG-TWO', dependsOn: [] },
            { id: 'three', title: 'Three', prompt: 'SW-LONG-THREE', dependsOn: ['one', 'two'] },
          ]),
          {
            name: 'sw-long',
            when: { user: 'SW-LONG-(ONE|TWO)', hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: 'draft.txt', content: 'draft\n' } } },
              { tool: { name: 'bash', arguments: { command: 'sleep 120 & echo $! > sleeper.pid; wait' } } },
              { text: 'never' },
            ],
          },

          planRule('sw-conflict-plan', 'conflict drill', [
            { id: 'left', title: 'Left', prompt: 'SW-LEFT', dependsOn: [] },
            { id: 'right', title: 'Right', prompt: 'SW-RIGHT', dependsOn: [] },
          ]),
          // First: the Refinery's prompt also quotes the task it merges (rules match in order).
          writeRule('sw-resolve', 'conflicts in: shared.txt', { 'shared.txt': 'left\nright\n' }),
          writeRule('sw-left', 'SW-LEFT', { 'shared.txt': 'left\n' }),
          writeRule('sw-right', 'SW-RIGHT', { 'shared.txt': 'right\n' }),
        ],
      },
    ],
  });
});

afterAll(async () => {
  await stack?.stop();
});

async function startIntent(intent: string, extra: Record<string, unknown> = {}) {
  const repo = makeRepo({ 'README.md': '# swarm\n', 'gate.sh': GATE_SCRIPT, 'shared.txt': 'base\n' });
  const res = await callApi(stack.app, 'POST', '/api/v1/intents', { intent, repo, gate: GATE, ...extra });
  expect(res.status).toBe(202);
  return {
    id: res.body.id as string,
    repo,
    handle: stack.client.workflow.getHandle<typeof IntentWorkflow>(res.body.id),
  };
}

const sessionsOf = async (intentId: string) =>
  new Map(
    (
      await stack.db.database.db.select().from(s.agentSessions).where(eq(s.agentSessions.intentId, intentId))
    ).map((r) => [r.id.slice(intentId.length + 1), r]),
  );

const gateRuns = () =>
  fs.existsSync(gateLog) ? fs.readFileSync(gateLog, 'utf8').trim().split('\n').length : 0;

describe('swarm', () => {
  it('runs a 5-task DAG in dependency order, in parallel where allowed, merging each task through the gate', async () => {
    const gatesBefore = gateRuns();
    // One merge at a time here, so every merge has a gate run of its own (batches are tested below).
    const { id, repo, handle } = await startIntent('five task dag', { merge_batch: 1 });
    const result = await handle.result();
    expect(result.filesChanged).toEqual(['a.txt', 'b.txt', 'c.txt', 'd.txt', 'e.txt']);
    for (const f of result.filesChanged)
      expect(gitIn(repo, 'show', `${result.resultBranch}:${f}`)).toBe(`${f[0]}\n`);

    const rows = await sessionsOf(id);
    const start = (k: string) => rows.get(k)!.createdAt.getTime();
    const end = (k: string) => rows.get(k)!.endedAt!.getTime();
    // Dependencies first.
    expect(start('c')).toBeGreaterThanOrEqual(end('a'));
    expect(start('d')).toBeGreaterThanOrEqual(Math.max(end('a'), end('b')));
    expect(start('e')).toBeGreaterThanOrEqual(Math.max(end('c'), end('d')));
    // Independent tasks overlap.
    expect(start('a')).toBeLessThan(end('b'));
    expect(start('b')).toBeLessThan(end('a'));

    // Every merge ran the gate on the merged tree; the result branch is the last gated commit.
    const progress = await handle.query(intentProgressQuery);
    expect(progress.merged.map((m) => m.task).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(gateRuns() - gatesBefore).toBe(5);
    const gated = fs.readFileSync(gateLog, 'utf8').trim().split('\n');
    expect(gated).toContain(gitIn(repo, 'rev-parse', result.resultBranch).trim());
  });

  it('sends a failing acceptance check back to its agent; a task that never passes fails alone', async () => {
    const { id, repo, handle } = await startIntent('checks drill', { max_fix_attempts: 1 });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(String((err as WorkflowFailedError).cause?.message)).toMatch(
      /2 of 4 task\(s\) did not land: never \(AcceptanceFailed\), after-never \(dependency_failed\)/,
    );

    const progress = await handle.query(intentProgressQuery);
    const byKey = Object.fromEntries(progress.tasks.map((t) => [t.key, t]));
    expect(byKey.good?.status).toBe('merged');
    expect(byKey.fixme).toMatchObject({ status: 'merged', fixes: 1 });
    expect(byKey.never?.status).toBe('failed');
    expect(byKey['after-never']?.status).toBe('skipped');

    // The fix run got the check's output; the work that passed is kept on the result branch.
    const fixPrompt = stack.rehearsal.requests.find((r) => r.rule === 'sw-fix');
    expect(fixPrompt).toBeDefined();
    const branch = `dash/${id}/result`;
    expect(gitIn(repo, 'show', `${branch}:fixed.txt`)).toBe('fixed\n');
    expect(gitIn(repo, 'show', `${branch}:good.txt`)).toBe('good\n');
    expect(gitIn(repo, 'ls-tree', '--name-only', branch)).not.toMatch(/never\.txt|after\.txt/);

    // The failed swarm says what it kept (and what scaffolding it removed).
    expect((await handle.query(intentProgressQuery)).compensations).toEqual(
      expect.arrayContaining([`kept ${branch} with the work merged so far`]),
    );
    const intent = await callApi(stack.app, 'GET', `/api/v1/intents/${id}`);
    expect(intent.body).toMatchObject({
      status: 'failed',
      result_branch: branch,
      error: { code: 'TasksFailed' },
    });
    const tasks = Object.fromEntries(
      (await stack.db.database.db.select().from(s.tasks).where(eq(s.tasks.intentId, id))).map((t) => [
        t.key,
        t,
      ]),
    );
    expect(tasks.never).toMatchObject({ status: 'failed', error: { code: 'AcceptanceFailed' } });
    expect(tasks['after-never']).toMatchObject({ status: 'cancelled', error: { code: 'dependency_failed' } });
    expect((await sessionsOf(id)).has('after-never')).toBe(false);
    // Retry runs only what did not land: the fixed environment lets `never` pass now.
    fs.writeFileSync(allowNever, 'ok\n');
    const goodCalls = stack.rehearsal.requests.filter((r) => r.rule === 'sw-good').length;
    const retry = await callApi(stack.app, 'POST', `/api/v1/intents/${id}/retry`, {});
    expect(retry.status).toBe(202);
    expect(retry.body.rerun.sort()).toEqual(['after-never', 'never']);
    expect(retry.body.kept.sort()).toEqual(['fixme', 'good']);
    const retried = await stack.client.workflow.getHandle<typeof IntentWorkflow>(id).result();
    expect(retried.filesChanged).toEqual(expect.arrayContaining(['after.txt', 'never.txt']));
    expect(gitIn(repo, 'show', `${branch}:good.txt`)).toBe('good\n');
    expect(stack.rehearsal.requests.filter((r) => r.rule === 'sw-good').length).toBe(goodCalls);
    const goodRuns: string[] = [];
    for await (const w of stack.client.workflow.list({ query: `WorkflowId = '${id}-task-good'` }))
      goodRuns.push(w.runId);
    expect(goodRuns).toHaveLength(1);
    expect((await callApi(stack.app, 'GET', `/api/v1/intents/${id}`)).body).toMatchObject({
      status: 'completed',
      error: null,
    });
    // A completed intent has nothing to retry.
    expect((await callApi(stack.app, 'POST', `/api/v1/intents/${id}/retry`, {})).body.error.code).toBe(
      'intent_not_retryable',
    );

    await recordHistories(stack.client, {
      'intent-workflow-checks': id,
      'agent-session-workflow-fix-loop': `${id}-task-fixme`,
    });
  });

  it('merges branches that finish together as one gated batch, and bisects a failing batch down to the branch that breaks it', async () => {
    // A slow gate lets finished branches pile up behind the merge in progress.
    process.env.GATE_SLEEP = '2';
    try {
      const { id, repo, handle } = await startIntent('batch drill', { merge_batch: 8 });
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      const progress = await handle.query(intentProgressQuery);
      expect(progress.merged.map((m) => m.task).sort()).toEqual(['p', 'q', 'r', 's']);
      // How branches group into batches depends on timing; tests/activities/merge-batch.test.ts
      // pins the batching and bisection down. Here: the outcome of the swarm is right either way.
      const bad = progress.tasks.find((t) => t.key === 'bad')!;
      expect(bad.status).toBe('failed');
      expect(bad.error).toMatch(/bad\.txt is empty/);
      // The result branch has every good branch, not the bad one, and passes the gate itself.
      const result = `dash/${id}/result`;
      for (const k of ['p', 'q', 'r', 's']) expect(gitIn(repo, 'show', `${result}:${k}.txt`)).toBe(`${k}\n`);
      expect(() => gitIn(repo, 'show', `${result}:bad.txt`)).toThrow();
      const gatedHeads = fs.readFileSync(gateLog, 'utf8').trim().split('\n');
      expect(gatedHeads).toContain(gitIn(repo, 'rev-parse', result).trim());
      // One merge commit per task, as with single merges.
      const merges = gitIn(repo, 'log', '--merges', '--format=%s', result).trim().split('\n');
      expect(merges.filter((m) => m.startsWith('Merge dash/'))).toHaveLength(4);
    } finally {
      delete process.env.GATE_SLEEP;
    }
  });

  it('reset (Temporal reset to the start of the swarm) redoes only what did not land', async () => {
    const { id, repo, handle } = await startIntent('reset drill', { max_fix_attempts: 0 });
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const branch = `dash/${id}/result`;
    expect(gitIn(repo, 'show', `${branch}:kept.txt`)).toBe('kept\n');
    const keptCalls = stack.rehearsal.requests.filter((r) => r.rule === 'sw-reset-kept').length;
    const { runId: firstRun } = await handle.describe();

    fs.writeFileSync(allowReset, 'ok\n');
    const reset = await callApi(stack.app, 'POST', `/api/v1/intents/${id}/reset`, {
      reason: 'environment fixed',
    });
    expect(reset.status).toBe(202);
    expect(reset.body.run_id).not.toBe(firstRun);
    const result = await stack.client.workflow.getHandle<typeof IntentWorkflow>(id).result();
    expect(result.filesChanged).toEqual(expect.arrayContaining(['after-reset.txt', 'flaky.txt']));
    expect(gitIn(repo, 'show', `${branch}:kept.txt`)).toBe('kept\n');
    // The landed task was not redone: no new agent call, one session run.
    expect(stack.rehearsal.requests.filter((r) => r.rule === 'sw-reset-kept').length).toBe(keptCalls);
    const keptRuns: string[] = [];
    for await (const w of stack.client.workflow.list({ query: `WorkflowId = '${id}-task-kept'` }))
      keptRuns.push(w.runId);
    expect(keptRuns).toHaveLength(1);
    expect((await callApi(stack.app, 'GET', `/api/v1/intents/${id}`)).body.status).toBe('completed');
    // A point that is not a workflow task is refused with a clear error.
    const bad = await callApi(stack.app, 'POST', `/api/v1/intents/${id}/reset`, { to: 1 });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('reset_point_not_found');
  });

  it("sends a reviewer's change request back to the worker, and lands only the approved change", async () => {
    const { id, repo, handle } = await startIntent('review drill', { review_rounds: 2 });
    const result = await handle.result();
    expect(gitIn(repo, 'show', `${result.resultBranch}:greeting.txt`)).toBe('hello world\n');
    const [session] = result.sessions;
    expect(session?.reviews).toBe(2);
    // Round 1 rejected the first version, the worker's fix run got the reviewer's words, round 2 approved.
    const reviews = stack.rehearsal.requests
      .filter((r) => r.rule?.startsWith('sw-review-'))
      .map((r) => r.rule);
    expect(reviews).toEqual(['sw-review-reject', 'sw-review-approve']);
    expect(stack.rehearsal.requests.some((r) => r.rule === 'sw-greet-fix')).toBe(true);
    // The reviewer's sessions are recorded under the intent with the reviewer role.
    const rows = await sessionsOf(id);
    expect(rows.get('greet-review-1')).toMatchObject({ role: 'reviewer', status: 'completed' });
    expect(rows.get('greet-review-2')).toMatchObject({ role: 'reviewer', status: 'completed' });
    await recordHistories(stack.client, { 'agent-session-workflow-review': `${id}-task-greet` });
  });

  it('stops a swarm when its budget is spent, within one request of the limit, keeping the partial work', async () => {
    const budget = 12_000;
    const { id, repo, handle } = await startIntent('budget drill', { budget: { tokens: budget } });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const intent = await callApi(stack.app, 'GET', `/api/v1/intents/${id}`);
    expect(intent.body).toMatchObject({ status: 'budget_exceeded', error: { code: 'BudgetExceeded' } });

    const progress = await handle.query(intentProgressQuery);
    const byKey = Object.fromEntries(progress.tasks.map((t) => [t.key, t.status]));
    expect(byKey).toEqual({ cheap: 'merged', costly: 'failed', later: 'skipped' });
    // Merged work stays on the result branch; the stopped session's work stays in its worktree.
    expect(gitIn(repo, 'show', `dash/${id}/result:cheap.txt`)).toBe('cheap\n');
    const rows = await sessionsOf(id);
    const costly = rows.get('costly')!;
    expect(fs.readFileSync(path.join(costly.worktreePath!, 'partial.txt'), 'utf8')).toBe('partial\n');

    // The spend crossed the limit by at most the request that crossed it.
    const spent = [...rows.values()].reduce((sum, r) => sum + r.tokensInput + r.tokensOutput, 0);
    const events = await stack.db.database.db
      .select()
      .from(s.sessionEvents)
      .where(eq(s.sessionEvents.sessionId, costly.id));
    const perRequest = events
      .filter((e) => e.type === 'message_end')
      .map(
        (e) =>
          (e.payload as { message?: { role?: string; usage?: { input?: number; output?: number } } }).message,
      )
      .filter((m) => m?.role === 'assistant')
      .map((m) => (m?.usage?.input ?? 0) + (m?.usage?.output ?? 0));
    const largest = Math.max(...perRequest);
    console.log(
      `[budget] limit ${budget} tokens, spent ${spent} in sessions (+ planner), largest request ${largest}`,
    );
    expect(spent).toBeGreaterThanOrEqual(budget - 2 * largest);
    expect(spent).toBeLessThanOrEqual(budget + largest);
    expect(perRequest.length).toBeLessThan(13);
    // The intent's recorded cost includes the stopped session and the planner.
    expect(intent.body.tokens.total).toBeGreaterThan(spent);
    expect(intent.body.tokens.total).toBeLessThanOrEqual(budget + largest);
  });

  it('a cancelled swarm compensates: no agent process or worktree left, snapshots kept, and it says what it did', async () => {
    const { id, repo, handle } = await startIntent('cancel drill');
    const sleepers: number[] = [];
    await waitFor(
      async () => {
        const rows = [...(await sessionsOf(id)).values()];
        sleepers.length = 0;
        for (const r of rows) {
          const file = r.worktreePath && path.join(r.worktreePath, 'sleeper.pid');
          if (file && fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim())
            sleepers.push(Number(fs.readFileSync(file, 'utf8')));
        }
        return sleepers.length === 2;
      },
      60_000,
      'both long tasks to be in their bash tool',
    );
    const rows = [...(await sessionsOf(id)).values()];
    const pids = rows.map((r) => r.pid!);
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    await waitFor(
      () => [...sleepers, ...pids].every((p) => !isAlive(p)),
      15_000,
      'agents and their tools to exit',
    );
    for (const r of rows) {
      expect(fs.existsSync(r.worktreePath!)).toBe(false);
      // The draft the agent wrote before the cancel is in the snapshot.
      expect(gitIn(repo, 'show', `refs/dash/snapshots/${r.id}:draft.txt`)).toBe('draft\n');
    }
    const worktrees = await stack.db.database.db.select().from(s.worktrees);
    expect(worktrees.filter((w) => w.id.startsWith(id)).every((w) => w.status === 'removed')).toBe(true);
    const intent = await callApi(stack.app, 'GET', `/api/v1/intents/${id}`);
    expect(intent.body.status).toBe('cancelled');
    expect(intent.body.error.message).toMatch(/worktrees removed after a snapshot; nothing had merged yet/);
    expect((await sessionsOf(id)).has('three')).toBe(false);
  });

  it('hands a merge conflict to a Refinery agent, gates its resolution, and lands both changes', async () => {
    const { id, repo, handle } = await startIntent('conflict drill');
    const result = await handle.result();
    const shared = gitIn(repo, 'show', `${result.resultBranch}:shared.txt`);
    expect(shared).toBe('left\nright\n');
    const progress = await handle.query(intentProgressQuery);
    const resolved = progress.merged.find((m) => m.resolvedConflicts.length > 0);
    expect(resolved?.resolvedConflicts).toEqual(['shared.txt']);
    // Both task branches are in the result, and the repository's own test passes on it.
    for (const task of ['left', 'right'])
      gitIn(repo, 'merge-base', '--is-ancestor', `dash/${result.intentId}/task-${task}`, result.resultBranch);
    const checkout = tempDir('dash-result-');
    gitIn(repo, 'worktree', 'add', '--detach', checkout, result.resultBranch);
    expect(gitIn(checkout, 'diff', '--stat', 'HEAD')).toBe('');
    expect(fs.readFileSync(path.join(checkout, 'shared.txt'), 'utf8')).not.toMatch(/<<<<<<<|>>>>>>>/);
    await recordHistories(stack.client, {
      'intent-workflow-conflict': id,
      'agent-session-workflow-refinery': `${id}-task-resolve-${resolved!.task}`,
    });
  });
});
