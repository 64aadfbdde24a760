// Steering, aborting and cancelling a live agent session: real Pi, real bash tool processes,
// checked by pid.
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as s from '../../drizzle/schema.js';
import { abortUpdate, sessionStateQuery, steerUpdate } from '../../workflows/agent-session-workflow.js';
import { isAlive, waitFor } from '../helpers/processes.js';
import { gitIn } from '../helpers/repo.js';
import { startSession, waitForTool } from '../helpers/sessions.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    scenarios: [
      {
        name: 'controls',
        rules: [
          {
            name: 'ctl-steer-task',
            when: { user: 'CTL-STEER-TASK', hasTools: true },
            steps: [
              { tool: { name: 'bash', arguments: { command: 'sleep 10' } } },
              { tool: { name: 'write', arguments: { path: 'plan-a.txt', content: 'A\n' } } },
              { text: 'plan A done' },
            ],
          },
          {
            name: 'ctl-plan-b',
            when: { user: 'change of plan' },
            steps: [
              { tool: { name: 'write', arguments: { path: 'plan-b.txt', content: 'B\n' } } },
              { text: 'plan B done' },
            ],
          },
          {
            name: 'ctl-long-task',
            when: { user: 'CTL-LONG-TASK', hasTools: true },
            steps: [
              { tool: { name: 'bash', arguments: { command: 'sleep 120 & echo $! > sleeper.pid; wait' } } },
              { text: 'never' },
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

describe('AgentSessionWorkflow controls', () => {
  it('steer changes what the agent does next, and the query shows live state', async () => {
    const { handle, sessionId, repo } = await startSession(stack, 'CTL-STEER-TASK');
    await waitForTool(stack, sessionId, 'bash');
    await waitFor(
      async () => (await handle.query(sessionStateQuery)).currentTool === 'bash',
      10_000,
      'the query to show the bash tool',
    );
    const live = await handle.query(sessionStateQuery);
    expect(live).toMatchObject({ status: 'running', currentTool: 'bash', attempt: 1 });
    expect(live.usage.input).toBeGreaterThan(0);

    expect(
      await handle.executeUpdate(steerUpdate, {
        args: ['[rehearsal:ctl-plan-b] change of plan: write plan B'],
      }),
    ).toEqual({ queued: true });
    const result = await handle.result();
    expect(result.filesChanged).toEqual(['plan-b.txt']);
    expect(gitIn(repo, 'show', `${result.branch}:plan-b.txt`)).toBe('B\n');
    const [control] = await stack.db.database.db
      .select()
      .from(s.sessionControls)
      .where(eq(s.sessionControls.sessionId, sessionId));
    expect(control).toMatchObject({ kind: 'steer', result: 'delivered' });
    expect((await handle.query(sessionStateQuery)).steers).toBe(1);

    // A finished session can no longer be steered.
    await expect(handle.executeUpdate(steerUpdate, { args: ['too late'] })).rejects.toThrow(
      /workflow execution already completed|not running|only a running agent/i,
    );
  });

  it('rejects an empty steer message', async () => {
    const { handle, sessionId } = await startSession(stack, 'CTL-LONG-TASK');
    await waitForTool(stack, sessionId, 'bash');
    const err = await handle.executeUpdate(steerUpdate, { args: ['  '] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((err as Error).cause)).toMatch(/non-empty/);
    await handle.executeUpdate(abortUpdate, { args: ['cleanup'] });
    await handle.result().catch(() => undefined);
  });

  it('abort during a long bash tool kills the tool and its children, and ends the session as aborted', async () => {
    const { handle, sessionId, worktree } = await startSession(stack, 'CTL-LONG-TASK');
    await waitForTool(stack, sessionId, 'bash');
    await waitFor(() => fs.existsSync(path.join(worktree, 'sleeper.pid')), 10_000, 'the sleeper pid file');
    const sleeper = Number(fs.readFileSync(path.join(worktree, 'sleeper.pid'), 'utf8'));
    const [row] = await stack.db.database.db
      .select()
      .from(s.agentSessions)
      .where(eq(s.agentSessions.id, sessionId));
    const piPid = row!.pid!;
    expect(isAlive(sleeper)).toBe(true);
    expect(isAlive(piPid)).toBe(true);

    await handle.executeUpdate(abortUpdate, { args: ['user changed their mind'] });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(String((err as WorkflowFailedError).cause?.message)).toMatch(/aborted: user changed their mind/);
    await waitFor(() => !isAlive(sleeper) && !isAlive(piPid), 10_000, 'the bash child and Pi to be gone');
    const [after] = await stack.db.database.db
      .select()
      .from(s.agentSessions)
      .where(eq(s.agentSessions.id, sessionId));
    expect(after?.status).toBe('aborted');
    expect((await handle.query(sessionStateQuery)).status).toBe('aborted');
  });

  it('cancelling the workflow stops the agent long before a heartbeat would carry the cancellation', async () => {
    // A 60 s heartbeat timeout: the SDK would deliver the cancellation only after ~48 s.
    const { handle, sessionId, worktree } = await startSession(stack, 'CTL-LONG-TASK', {
      heartbeatTimeoutMs: 60_000,
    });
    await waitForTool(stack, sessionId, 'bash');
    await waitFor(() => fs.existsSync(path.join(worktree, 'sleeper.pid')), 10_000, 'the sleeper pid file');
    const sleeper = Number(fs.readFileSync(path.join(worktree, 'sleeper.pid'), 'utf8'));
    await handle.cancel();
    await waitFor(() => !isAlive(sleeper), 10_000, 'the bash child to be killed after cancel');
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const [after] = await stack.db.database.db
      .select()
      .from(s.agentSessions)
      .where(eq(s.agentSessions.id, sessionId));
    expect(after?.status).toBe('cancelled');
  });
});
