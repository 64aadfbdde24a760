// Pause, resume, compaction and continue-as-new of a live agent session: real Pi, the real
// Temporal server, real processes checked by pid.
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  abortUpdate,
  compactUpdate,
  pauseUpdate,
  resumeUpdate,
  sessionStateQuery,
  steerUpdate,
} from '../../workflows/agent-session-workflow.js';
import { isAlive, waitFor } from '../helpers/processes.js';
import { gitIn } from '../helpers/repo.js';
import { sessionRow, startSession, waitForTool } from '../helpers/sessions.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    scenarios: [
      {
        name: 'pause-resume',
        rules: [
          {
            name: 'pr-task',
            when: { user: 'PR-TASK', hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: 'before-pause.txt', content: 'one\n' } } },
              { tool: { name: 'bash', arguments: { command: 'sleep 60 & echo $! > sleeper.pid; wait' } } },
              { text: 'not reached: the pause aborts the bash tool' },
            ],
          },
          {
            name: 'pr-big',
            when: { user: 'PR-BIG', hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: 'big-a.txt', content: 'a'.repeat(60_000) } } },
              { tool: { name: 'write', arguments: { path: 'big-b.txt', content: 'b'.repeat(60_000) } } },
              { tool: { name: 'bash', arguments: { command: 'sleep 60 & echo $! > sleeper.pid; wait' } } },
              { text: 'not reached: the pause aborts the bash tool' },
            ],
          },
          {
            name: 'pr-resume',
            when: { user: 'carry on', hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: 'after-resume.txt', content: 'two\n' } } },
              { text: 'resumed and done' },
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

/** Waits until the bash tool's background sleeper exists and returns its pid. */
async function sleeperPid(worktree: string): Promise<number> {
  const file = path.join(worktree, 'sleeper.pid');
  await waitFor(
    () => fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim() !== '',
    20_000,
    'sleeper.pid',
  );
  return Number(fs.readFileSync(file, 'utf8'));
}

describe('pause and resume', () => {
  it('pause stops the agent and its tools, keeps the work; resume continues the same conversation, across continue-as-new', async () => {
    // maxHistoryEvents 1: the session continues as new when it pauses; the new run waits paused.
    const { handle, sessionId, worktree, repo } = await startSession(stack, '[rehearsal:pr-task] PR-TASK', {
      maxHistoryEvents: 1,
    });
    await waitForTool(stack, sessionId, 'bash');
    const sleeper = await sleeperPid(worktree);
    const piPid = (await sessionRow(stack, sessionId))!.pid!;
    expect(isAlive(piPid)).toBe(true);

    expect(await handle.executeUpdate(pauseUpdate)).toEqual({ queued: true });
    await waitFor(
      async () => (await handle.query(sessionStateQuery)).status === 'paused',
      30_000,
      'the session to be paused',
    );
    // Paused holds no process: Pi and the tool's child are gone, the edits are still there.
    await waitFor(() => !isAlive(piPid) && !isAlive(sleeper), 10_000, 'Pi and its bash child to exit');
    expect(fs.readFileSync(path.join(worktree, 'before-pause.txt'), 'utf8')).toBe('one\n');
    expect((await sessionRow(stack, sessionId))?.status).toBe('paused');

    // Only a paused session resumes; a paused one cannot be steered or paused again.
    await expect(handle.executeUpdate(steerUpdate, { args: ['hello'] })).rejects.toBeInstanceOf(
      WorkflowUpdateFailedError,
    );
    await expect(handle.executeUpdate(pauseUpdate)).rejects.toBeInstanceOf(WorkflowUpdateFailedError);

    expect(
      await handle.executeUpdate(resumeUpdate, { args: ['[rehearsal:pr-resume] carry on, please'] }),
    ).toEqual({
      resumed: true,
    });
    const result = await handle.result();
    expect(result.filesChanged.sort()).toEqual(['after-resume.txt', 'before-pause.txt', 'sleeper.pid']);
    expect(gitIn(repo, 'show', `${result.branch}:after-resume.txt`)).toBe('two\n');

    // One Pi conversation across both runs: the original prompt, then the resume with the
    // user's message, in the same session file.
    const row = await sessionRow(stack, sessionId);
    expect(row?.status).toBe('completed');
    const userTexts = fs
      .readFileSync(row!.runtimeSessionFile!, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"role":"user"'));
    expect(userTexts).toHaveLength(2);
    expect(userTexts[0]).toContain('PR-TASK');
    expect(userTexts[1]).toMatch(/paused and is now resumed.*carry on, please/);
    const state = await handle.query(sessionStateQuery);
    expect(state.runs).toBe(2);
    expect(result.usage.input).toBeGreaterThan(0);

    // The first run continued as new while paused; the chain ended in a completed run.
    const runs: string[] = [];
    for await (const w of stack.client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` }))
      runs.push(w.status.name);
    expect(runs.filter((r) => r === 'CONTINUED_AS_NEW')).toHaveLength(1);
    expect(runs).toContain('COMPLETED');
  });

  it('abort of a paused session ends it as aborted without starting the agent again', async () => {
    const { handle, sessionId, worktree } = await startSession(stack, '[rehearsal:pr-task] PR-TASK');
    await waitForTool(stack, sessionId, 'bash');
    await sleeperPid(worktree);
    await handle.executeUpdate(pauseUpdate);
    await waitFor(
      async () => (await handle.query(sessionStateQuery)).status === 'paused',
      30_000,
      'the session to be paused',
    );
    const before = stack.rehearsal.requests.length;
    await handle.executeUpdate(abortUpdate, { args: ['not needed any more'] });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(String((err as WorkflowFailedError).cause?.message)).toMatch(/aborted: not needed any more/);
    expect(stack.rehearsal.requests.length).toBe(before);
    expect((await sessionRow(stack, sessionId))?.status).toBe('aborted');
  });

  it('compact summarises a paused session into a compaction entry, and the session resumes after it', async () => {
    const { handle, sessionId, worktree } = await startSession(stack, 'PR-BIG task');
    await waitForTool(stack, sessionId, 'bash');
    await sleeperPid(worktree);
    // A running session refuses: Pi's compaction would interrupt the agent.
    await expect(handle.executeUpdate(compactUpdate, { args: [''] })).rejects.toBeInstanceOf(
      WorkflowUpdateFailedError,
    );
    await handle.executeUpdate(pauseUpdate);
    await waitFor(
      async () => (await handle.query(sessionStateQuery)).status === 'paused',
      30_000,
      'the session to be paused',
    );
    const result = await handle.executeUpdate(compactUpdate, { args: ['keep file names'] });
    expect(result.tokensBefore).toBeGreaterThan(20_000);
    expect(result.summary).toContain('Rehearsal summary');
    const file = (await sessionRow(stack, sessionId))!.runtimeSessionFile!;
    expect(fs.readFileSync(file, 'utf8')).toContain('"type":"compaction"');
    // The mirrored tree shows the compaction entry as the leaf.
    const tree = (await (await stack.app.request(`/api/v1/agents/${sessionId}/tree`)).json()) as {
      leaf_id: string;
      entries: { id: string; type: string }[];
    };
    expect(tree.entries.find((e) => e.id === tree.leaf_id)?.type).toBe('compaction');

    await handle.executeUpdate(resumeUpdate, { args: ['[rehearsal:pr-resume] carry on'] });
    const done = await handle.result();
    expect(done.filesChanged).toContain('after-resume.txt');
  });

  it('navigate moves a paused session back to an earlier entry; resume continues there and a clone copies the new branch', async () => {
    const { handle, sessionId, worktree } = await startSession(stack, '[rehearsal:pr-task] PR-TASK');
    await waitForTool(stack, sessionId, 'bash');
    await sleeperPid(worktree);
    await handle.executeUpdate(pauseUpdate);
    await waitFor(
      async () => (await handle.query(sessionStateQuery)).status === 'paused',
      30_000,
      'the session to be paused',
    );
    type Tree = {
      leaf_id: string;
      entries: {
        id: string;
        parent_id: string | null;
        type: string;
        role: string | null;
        children: string[];
      }[];
    };
    const treeOf = async (id: string) =>
      (await (await stack.app.request(`/api/v1/agents/${id}/tree`)).json()) as Tree;
    const before = await treeOf(sessionId);
    // Back to the result of the first tool call: the bash call after it becomes an abandoned branch.
    const target = before.entries.find((e) => e.role === 'toolResult')!;
    const abandoned = target.children[0]!;
    const bad = await stack.app.request(`/api/v1/agents/${sessionId}/navigate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entry_id: 'nope' }),
    });
    expect(bad.status).toBe(422);
    const moved = await stack.app.request(`/api/v1/agents/${sessionId}/navigate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entry_id: target.id, summary: 'the sleep was pointless' }),
    });
    expect(moved.status).toBe(200);
    const { branch_entry_id: summaryId } = (await moved.json()) as { branch_entry_id: string };
    const after = await treeOf(sessionId);
    expect(after.leaf_id).toBe(summaryId);
    expect(after.entries.find((e) => e.id === summaryId)).toMatchObject({
      type: 'branch_summary',
      parent_id: target.id,
    });
    expect(after.entries.find((e) => e.id === target.id)?.children.sort()).toEqual(
      [abandoned, summaryId].sort(),
    );

    await handle.executeUpdate(resumeUpdate, { args: ['[rehearsal:pr-resume] carry on'] });
    const done = await handle.result();
    expect(done.filesChanged).toContain('after-resume.txt');
    const final = await treeOf(sessionId);
    const resumedPrompt = final.entries.find((e) => e.role === 'user' && e.parent_id === summaryId);
    expect(resumedPrompt).toBeDefined();
    expect(final.entries.some((e) => e.id === abandoned)).toBe(true);

    // A fork without an entry is a clone of the whole active branch, summary included.
    const clone = await stack.app.request(`/api/v1/agents/${sessionId}/fork`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(clone.status).toBe(202);
    const cloned = (await clone.json()) as {
      id: string;
      workflow_id: string;
      forked_from: { entry_id: string };
    };
    expect(cloned.forked_from.entry_id).toBe(final.leaf_id);
    await stack.client.workflow.getHandle(cloned.workflow_id).result();
    const cloneTree = await treeOf(cloned.id);
    expect(cloneTree.entries.some((e) => e.id === summaryId)).toBe(true);
    expect(cloneTree.entries.some((e) => e.id === abandoned)).toBe(false);
  });
});
