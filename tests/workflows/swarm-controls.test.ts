// Controls over a whole swarm: plan approval before any agent starts, and pause/resume of a
// running swarm (no session starts, running agents pause and hold no process). Real Temporal,
// real Pi against the rehearsal server, real git.
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as s from '../../drizzle/schema.js';
import type { Rule } from '../../rehearsal/scenario.js';
import { sessionStateQuery } from '../../workflows/agent-session-workflow.js';
import { intentProgressQuery, type IntentWorkflow } from '../../workflows/intent-workflow.js';
import { callApi } from '../helpers/api.js';
import { isAlive, waitFor } from '../helpers/processes.js';
import { gitIn, makeRepo } from '../helpers/repo.js';
import { sessionRow, waitForTool } from '../helpers/sessions.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { recordHistories } from '../helpers/temporal.js';

const planRule = (name: string, trigger: string, tasks: unknown[]): Rule => ({
  name,
  when: { system: 'Dash planner', user: trigger },
  steps: [{ text: JSON.stringify({ summary: name, tasks }) }],
});

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    dbKind: 'postgres',
    // Rate-limited sessions wait half a second (doubling) instead of 15 s before going on.
    env: { DASH_RATE_LIMIT_BACKOFF_MS: '500' },
    scenarios: [
      {
        name: 'swarm-controls',
        rules: [
          planRule('sc-approval-plan', 'approval drill', [
            { id: 'x', title: 'X', prompt: 'SC-X', dependsOn: [] },
            { id: 'y', title: 'Y', prompt: 'SC-Y', dependsOn: ['x'] },
          ]),
          {
            name: 'sc-x',
            when: { user: 'SC-X', hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: 'x.txt', content: 'x\n' } } },
              { text: 'x done' },
            ],
          },
          {
            name: 'sc-y',
            when: { user: 'SC-Y', hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: 'y.txt', content: 'y\n' } } },
              { text: 'y done' },
            ],
          },

          planRule('sc-pressure-plan', 'pressure drill', [
            { id: 'ra', title: 'RA', prompt: 'SC-RL-A', dependsOn: [] },
            { id: 'rb', title: 'RB', prompt: 'SC-RL-B', dependsOn: [] },
            { id: 'rc', title: 'RC', prompt: 'SC-RL-C', dependsOn: [] },
          ]),
          ...['A', 'B', 'C'].map((k) => ({
            name: `sc-rl-${k}`,
            when: { user: `SC-RL-${k}`, hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: `r${k.toLowerCase()}.txt`, content: `${k}\n` } } },
              { text: `${k} done` },
            ],
          })),

          planRule('sc-stall-plan', 'stall drill', [
            { id: 'quiet', title: 'Quiet', prompt: 'SC-QUIET', dependsOn: [] },
          ]),
          planRule('sc-stuck-plan', 'stuck drill', [
            { id: 'stuck', title: 'Stuck', prompt: 'SC-STUCK', dependsOn: [] },
          ]),
          {
            name: 'sc-quiet-restarted',
            when: { user: 'Dash Monitor stopped[\\s\\S]*SC-QUIET', hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: 'recovered.txt', content: 'recovered\n' } } },
              { text: 'done after the restart' },
            ],
          },
          {
            name: 'sc-silent',
            when: { user: 'SC-(QUIET|STUCK)', hasTools: true },
            steps: [
              { tool: { name: 'bash', arguments: { command: 'sleep 60 & echo $! > silent.pid; wait' } } },
              { text: 'not reached: the Monitor stops the silent command' },
            ],
          },

          planRule('sc-model-plan', 'model drill', [
            { id: 'mx', title: 'MX', prompt: 'SC-MODEL-X', model: 'fast', dependsOn: [] },
            { id: 'my', title: 'MY', prompt: 'SC-MODEL-Y', dependsOn: [] },
          ]),
          ...['X', 'Y'].map((k) => ({
            name: `sc-model-${k}`,
            when: { user: `SC-MODEL-${k}`, hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: `m${k.toLowerCase()}.txt`, content: `${k}\n` } } },
              { text: `${k} done` },
            ],
          })),

          planRule('sc-hold-plan', 'hold drill', [
            { id: 'first', title: 'First', prompt: 'SC-FIRST', dependsOn: [] },
            { id: 'second', title: 'Second', prompt: 'SC-SECOND', dependsOn: [] },
          ]),
          // The resumed run restates the task after the reason: this rule must come first.
          {
            name: 'sc-first-resumed',
            when: { user: 'paused and is now resumed[\\s\\S]*SC-FIRST', hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: 'first.txt', content: 'first\n' } } },
              { text: 'first done after the pause' },
            ],
          },
          {
            name: 'sc-first',
            when: { user: 'SC-FIRST', hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: 'draft.txt', content: 'draft\n' } } },
              { tool: { name: 'bash', arguments: { command: 'sleep 60 & echo $! > sleeper.pid; wait' } } },
              { text: 'not reached: the swarm pause stops the bash tool' },
            ],
          },
          {
            name: 'sc-second',
            when: { user: 'SC-SECOND', hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: 'second.txt', content: 'second\n' } } },
              { text: 'second done' },
            ],
          },
        ],
      },
    ],
  });
});

afterAll(async () => {
  await stack?.stop();
});

async function startIntent(intent: string, extra: Record<string, unknown> = {}) {
  const repo = makeRepo({ 'README.md': '# controls\n' });
  const res = await callApi(stack.app, 'POST', '/api/v1/intents', { intent, repo, ...extra });
  expect(res.status).toBe(202);
  const id = res.body.id as string;
  return { id, repo, handle: stack.client.workflow.getHandle<typeof IntentWorkflow>(id) };
}

const intentStatus = async (id: string) => (await callApi(stack.app, 'GET', `/api/v1/intents/${id}`)).body;
const sessionsOf = (id: string) =>
  stack.db.database.db.select().from(s.agentSessions).where(eq(s.agentSessions.intentId, id));
const untilStatus = (id: string, status: string) =>
  waitFor(async () => (await intentStatus(id)).status === status, 60_000, `intent ${id} to be ${status}`);

describe('plan approval', () => {
  it('waits with the plan and no agent until approved, then runs it', async () => {
    const { id, repo, handle } = await startIntent('approval drill', { approve_plan: true });
    await untilStatus(id, 'awaiting_approval');
    const planned = await intentStatus(id);
    expect(planned.tasks.map((t: { key: string }) => t.key)).toEqual(['x', 'y']);
    expect(await sessionsOf(id)).toEqual([]);

    // The plan is not running yet: it cannot be paused; a decision body is validated.
    const pause = await callApi(stack.app, 'POST', `/api/v1/intents/${id}/pause`);
    expect(pause.status).toBe(409);
    expect(pause.body.error.code).toBe('intent_state_conflict');
    expect((await callApi(stack.app, 'POST', `/api/v1/intents/${id}/approve`, { reason: 5 })).status).toBe(
      400,
    );
    expect((await callApi(stack.app, 'POST', `/api/v1/intents/int-zzzzzzzzzz/approve`, {})).status).toBe(404);

    expect((await callApi(stack.app, 'POST', `/api/v1/intents/${id}/approve`, {})).body).toEqual({
      id,
      approved: true,
    });
    // Decided once: a second decision is refused.
    expect((await callApi(stack.app, 'POST', `/api/v1/intents/${id}/reject`, {})).status).toBe(409);
    const result = await handle.result();
    expect(result.filesChanged).toEqual(['x.txt', 'y.txt']);
    expect(gitIn(repo, 'show', `${result.resultBranch}:y.txt`)).toBe('y\n');
  });

  it('a rejected plan ends the intent cancelled with the reason, and no agent ever started', async () => {
    const { id, handle } = await startIntent('approval drill', { approve_plan: true });
    await untilStatus(id, 'awaiting_approval');
    const rejected = await callApi(stack.app, 'POST', `/api/v1/intents/${id}/reject`, {
      reason: 'too many tasks',
    });
    expect(rejected.body).toEqual({ id, approved: false });
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const final = await intentStatus(id);
    expect(final.status).toBe('cancelled');
    expect(final.error.code).toBe('PlanRejected');
    expect(final.error.message).toContain('too many tasks');
    expect(await sessionsOf(id)).toEqual([]);
  });
});

describe('swarm pause and resume', () => {
  it('pause holds running agents (no process left) and starts nothing; resume finishes every task', async () => {
    const { id, repo, handle } = await startIntent('hold drill', { concurrency: 1 });
    const firstId = `${id}-first`;
    await waitForTool(stack, firstId, 'bash');
    const worktree = (await sessionRow(stack, firstId))!.worktreePath!;
    const pidFile = path.join(worktree, 'sleeper.pid');
    await waitFor(
      () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim() !== '',
      20_000,
      'sleeper',
    );
    const sleeper = Number(fs.readFileSync(pidFile, 'utf8'));
    const piPid = (await sessionRow(stack, firstId))!.pid!;

    const paused = await callApi(stack.app, 'POST', `/api/v1/intents/${id}/pause`);
    expect(paused.status).toBe(202);
    expect(paused.body).toEqual({ id, paused: true, held_sessions: 1 });
    await waitFor(
      async () => (await sessionRow(stack, firstId))?.status === 'paused',
      30_000,
      'first paused',
    );
    await waitFor(() => !isAlive(piPid) && !isAlive(sleeper), 10_000, 'Pi and its bash child to exit');
    expect((await intentStatus(id)).status).toBe('paused');
    // The freed slot is not taken while the swarm is paused.
    expect((await sessionsOf(id)).map((r) => r.id)).toEqual([firstId]);
    expect((await callApi(stack.app, 'POST', `/api/v1/intents/${id}/pause`)).status).toBe(409);

    const resumed = await callApi(stack.app, 'POST', `/api/v1/intents/${id}/resume`);
    expect(resumed.body).toEqual({ id, resumed: true, released_sessions: 1 });
    const result = await handle.result();
    expect(result.filesChanged).toEqual(['draft.txt', 'first.txt', 'second.txt', 'sleeper.pid']);
    expect(gitIn(repo, 'show', `${result.resultBranch}:first.txt`)).toBe('first\n');
    // The held session went on in the same conversation: its draft survived the pause.
    expect(gitIn(repo, 'show', `${result.resultBranch}:draft.txt`)).toBe('draft\n');
    expect((await intentStatus(id)).status).toBe('completed');
    await recordHistories(stack.client, {
      'intent-workflow-paused': id,
      'agent-session-workflow-held': `${id}-task-first`,
    });
  });
});

describe('provider rate limits', () => {
  it("a 429 that outlasts the runtime's own retries slows the swarm instead of failing the task", async () => {
    // Every request of task ra fails with 429 until Pi's own retries (3 attempts) are used up.
    stack.rehearsal.injectFault({ status: 429, count: 3, match: { userContains: 'SC-RL-A' } });
    const { id, repo, handle } = await startIntent('pressure drill', { concurrency: 3 });
    const result = await handle.result();
    expect(result.filesChanged).toEqual(['ra.txt', 'rb.txt', 'rc.txt']);
    expect(gitIn(repo, 'show', `${result.resultBranch}:ra.txt`)).toBe('A\n');
    const limited = stack.rehearsal.requests.filter(
      (r) => r.status === 429 && r.lastUser.includes('SC-RL-A'),
    );
    expect(limited).toHaveLength(3);

    // The session waited and went on in the same conversation; the swarm lowered its limit.
    const session = await stack.client.workflow.getHandle(`${id}-task-ra`).query(sessionStateQuery);
    expect(session.rateLimitWaits).toBe(1);
    expect(session.runs).toBe(2);
    const progress = await handle.query(intentProgressQuery);
    expect(progress.pressure?.rateLimits).toBe(1);
    expect(progress.pressure?.lowest).toBeLessThan(3);
    expect(progress.tasks.every((t) => t.status === 'merged')).toBe(true);
  });
});

describe('the Monitor', () => {
  it('nudges a silent agent, stops it, and restarts it once in the same conversation', async () => {
    const { id, repo, handle } = await startIntent('stall drill', { stall_timeout_ms: 1500 });
    const result = await handle.result();
    expect(result.filesChanged).toContain('recovered.txt');
    expect(gitIn(repo, 'show', `${result.resultBranch}:recovered.txt`)).toBe('recovered\n');
    const sessionId = `${id}-quiet`;
    const session = await stack.client.workflow.getHandle(`${id}-task-quiet`).query(sessionStateQuery);
    expect(session.stalls).toBe(1);
    expect(session.runs).toBe(2);
    // The reason is recorded with the session's events; the silent command did not outlive it.
    const events = await stack.db.database.db
      .select()
      .from(s.sessionEvents)
      .where(eq(s.sessionEvents.sessionId, sessionId))
      .orderBy(s.sessionEvents.id);
    const kinds = events.map((e) => e.type);
    // Both runs' events are stored: the restarted run's write is there after the Monitor's stop.
    const restartWrite = events.findIndex(
      (e) => e.type === 'tool_execution_start' && JSON.stringify(e.payload).includes('recovered.txt'),
    );
    expect(restartWrite).toBeGreaterThan(kinds.indexOf('monitor_stop'));
    expect(kinds.indexOf('monitor_nudge')).toBeGreaterThan(-1);
    expect(kinds.indexOf('monitor_stop')).toBeGreaterThan(kinds.indexOf('monitor_nudge'));
    const worktreeGone = !fs.existsSync(path.join(stack.config.worktreeRoot, id, 'quiet', 'silent.pid'));
    const silent = Number(gitIn(repo, 'show', `${result.resultBranch}:silent.pid`).trim());
    expect(worktreeGone || silent > 0).toBe(true);
    expect(isAlive(silent)).toBe(false);
  });

  it('fails a task whose agent stalls again after its restart, saying why', async () => {
    const { id, handle } = await startIntent('stuck drill', { stall_timeout_ms: 1500 });
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const final = await intentStatus(id);
    expect(final.status).toBe('failed');
    const task = final.tasks.find((t: { key: string }) => t.key === 'stuck');
    expect(task.error.code).toBe('Stalled');
    expect(task.error.message).toMatch(/Monitor stopped the agent: no events for 2 s/);
    expect(task.error.message).toContain('restarted once and stalled again');
  });
});

describe('models per task', () => {
  it("runs each task's agent on the model its plan chose: an alias resolves to the provider's model", async () => {
    const { handle } = await startIntent('model drill');
    const result = await handle.result();
    expect(result.filesChanged).toEqual(['mx.txt', 'my.txt']);
    const modelsFor = (marker: string) =>
      new Set(stack.rehearsal.requests.filter((r) => r.lastUser.includes(marker)).map((r) => r.model));
    // 'fast' on the rehearsal provider is rehearsal-fast; a task with no model gets the default.
    expect(modelsFor('SC-MODEL-X')).toEqual(new Set(['rehearsal-fast']));
    expect(modelsFor('SC-MODEL-Y')).toEqual(new Set(['rehearsal-1']));
  });
});
