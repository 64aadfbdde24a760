// Starting a bare AgentSessionWorkflow (no intent workflow around it) on a test stack, and
// waiting for its agent to reach a tool: what the session-level tests share.
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import * as s from '../../drizzle/schema.js';
import type { AgentSessionWorkflow } from '../../workflows/agent-session-workflow.js';
import type { SessionInput } from '../../workflows/types.js';
import { waitFor } from './processes.js';
import { gitIn, makeRepo } from './repo.js';
import type { TestStack } from './stack.js';

export interface StartedSession {
  handle: WorkflowHandle<typeof AgentSessionWorkflow>;
  sessionId: string;
  worktree: string;
  repo: string;
}

let n = 0;

export async function startSession(
  stack: TestStack,
  prompt: string,
  overrides: Partial<SessionInput> = {},
): Promise<StartedSession> {
  const repo = makeRepo({ 'README.md': '# s\n' });
  const intentId = `int-ses${process.pid.toString(36).slice(-3)}${String(++n).padStart(4, '0')}`;
  await stack.db.database.db
    .insert(s.intents)
    .values({ id: intentId, text: prompt, repoPath: repo, baseBranch: 'main', workflowId: intentId });
  await stack.db.database.db
    .insert(s.tasks)
    .values({ id: `${intentId}-t`, intentId, key: 't', title: 'session test', prompt });
  const sessionId = `${intentId}-t`;
  const handle = await stack.client.workflow.start<typeof AgentSessionWorkflow>('AgentSessionWorkflow', {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: `${intentId}-task-t`,
    args: [
      {
        intentId,
        taskKey: 't',
        taskId: `${intentId}-t`,
        sessionId,
        repoPath: repo,
        baseSha: gitIn(repo, 'rev-parse', 'HEAD').trim(),
        branch: `dash/${intentId}/task-t`,
        title: 'session test',
        prompt,
        role: 'worker',
        worktreeRoot: stack.config.worktreeRoot,
        heartbeatTimeoutMs: 5_000,
        timeoutMs: 300_000,
        ...overrides,
      },
    ],
  });
  return { handle, sessionId, worktree: path.join(stack.config.worktreeRoot, intentId, 't'), repo };
}

export async function sessionRow(stack: TestStack, sessionId: string) {
  const [row] = await stack.db.database.db
    .select()
    .from(s.agentSessions)
    .where(eq(s.agentSessions.id, sessionId));
  return row;
}

export async function waitForTool(stack: TestStack, sessionId: string, tool: string): Promise<void> {
  await waitFor(
    async () => (await sessionRow(stack, sessionId))?.currentTool === tool,
    60_000,
    `session ${sessionId} to be in its ${tool} tool`,
  );
}
