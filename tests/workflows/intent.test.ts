// IntentWorkflow end to end on the real Temporal dev server: real planner call to the rehearsal
// LLM, real Pi processes editing real git worktrees, real merges.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as s from '../../drizzle/schema.js';
import { gitIn, makeDemoRepo, makeRepo, tempDir } from '../helpers/repo.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { recordHistories } from '../helpers/temporal.js';
import { activityRuns, eventually, historyOf, listWorkflows } from '../helpers/temporal.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    scenarios: [
      {
        name: 'intent-tests',
        description: 'plans the tests below need',
        priority: 0,
        rules: [
          {
            name: 'unplannable',
            when: { system: 'Dash planner', user: 'unplannable' },
            steps: [{ text: 'I would rather not plan this.' }],
          },
        ],
      },
    ],
  });
});

afterAll(async () => {
  await stack?.stop();
});

async function submit(body: Record<string, unknown>) {
  const res = await stack.app.request('/api/v1/intents', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('IntentWorkflow', () => {
  it('plans the demo intent, runs two Pi sessions in worktrees and merges them into a result branch', async () => {
    const repo = makeDemoRepo();
    const { status, body } = await submit({
      intent: 'Add a greet(name) function with a test and document it',
      repo,
    });
    expect(status).toBe(202);
    const id = body.id as string;
    const result = await stack.client.workflow.getHandle(id).result();

    expect(result.resultBranch).toBe(`dash/${id}/result`);
    expect(result.sessions.map((x: { taskKey: string }) => x.taskKey).sort()).toEqual([
      'greet-function',
      'readme-usage',
    ]);
    expect(result.filesChanged.sort()).toEqual(['README.md', 'src/greet.js', 'test/greet.test.js']);
    expect(gitIn(repo, 'show', `${result.resultBranch}:src/greet.js`)).toContain('Hello, ${who}!');
    expect(gitIn(repo, 'show', `${result.resultBranch}:README.md`)).toContain("greet('Ada')");
    // The user's checkout is untouched: still on main, clean.
    expect(gitIn(repo, 'rev-parse', '--abbrev-ref', 'HEAD').trim()).toBe('main');
    expect(gitIn(repo, 'status', '--porcelain').trim()).toBe('');

    // The merged tree passes the repository's own tests.
    const check = tempDir();
    gitIn(repo, 'worktree', 'add', '--detach', check, result.resultBranch);
    const out = execFileSync(process.execPath, ['--test'], { cwd: check, encoding: 'utf8' });
    expect(out).toMatch(/# pass 3/);
    gitIn(repo, 'worktree', 'remove', '--force', check);

    // Session worktrees are cleaned up; their branches keep the work.
    expect(fs.existsSync(path.join(stack.config.worktreeRoot, id, 'greet-function'))).toBe(false);
    expect(gitIn(repo, 'branch', '--list', `dash/${id}/task-*`).trim().split('\n')).toHaveLength(2);

    // Projections: tokens and cost come from Pi's own usage reports plus the planner call.
    const { db } = stack.db.database;
    const [row] = await db.select().from(s.intents).where(eq(s.intents.id, id));
    expect(row?.status).toBe('completed');
    expect(row?.tokensInput).toBeGreaterThan(1000);
    expect(row?.costUsd).toBeGreaterThan(0);
    const tasks = await db.select().from(s.tasks).where(eq(s.tasks.intentId, id));
    expect(tasks.map((t) => t.status)).toEqual(['completed', 'completed']);
    const events = await db
      .select()
      .from(s.sessionEvents)
      .where(eq(s.sessionEvents.sessionId, `${id}-greet-function`));
    expect(events.filter((e) => e.type === 'tool_execution_end').length).toBe(3);

    // Temporal lists the intent and its two sessions as Completed, findable by search attribute.
    const listed = await eventually(
      () => listWorkflows(stack.client, `DashIntentId = "${id}"`),
      (l) => l.length === 3 && l.every((w) => w.status === 'COMPLETED'),
    );
    expect(listed.map((w) => w.type).sort()).toEqual([
      'AgentSessionWorkflow',
      'AgentSessionWorkflow',
      'IntentWorkflow',
    ]);

    await recordHistories(stack.client, {
      'intent-workflow-demo': id,
      'agent-session-workflow-demo': `${id}-task-greet-function`,
    });
  });

  it('retries a planner call that fails transiently and then completes', async () => {
    const repo = makeRepo({ 'notes.txt': 'hello\n' });
    stack.rehearsal.injectFault({ status: 503, count: 1, match: { userContains: 'flaky planner' } });
    const { body } = await submit({ intent: 'flaky planner: write the notes', repo });
    const id = body.id as string;
    const result = await stack.client.workflow.getHandle(id).result();
    expect(result.filesChanged).toEqual(['DASH_REHEARSAL.md']);
    const runs = activityRuns(await historyOf(stack.client, id)).filter((r) => r.type === 'planIntent');
    expect(runs).toEqual([{ type: 'planIntent', attempt: 2 }]);
    const plannerCalls = stack.rehearsal.requests.filter(
      (r) => r.lastUser.includes('flaky planner') && r.rule === 'default-plan',
    );
    expect(plannerCalls.map((r) => r.status)).toEqual([503, 200]);
  });

  it('fails the intent with a stable error code when the model never returns a valid plan', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const { body } = await submit({ intent: 'unplannable request', repo });
    const id = body.id as string;
    const err = await stack.client.workflow
      .getHandle(id)
      .result()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const [row] = await stack.db.database.db.select().from(s.intents).where(eq(s.intents.id, id));
    expect(row?.status).toBe('failed');
    expect(row?.error?.code).toBe('PlanInvalid');
    expect(row?.error?.message).toMatch(/no JSON object/);
    // Bounded: five attempts, then the intent fails instead of retrying forever.
    expect(stack.rehearsal.requests.filter((r) => r.lastUser.includes('unplannable'))).toHaveLength(5);
  });
});
