// Projections of workflow progress into the database, for the API and the CLI. Every write is an
// upsert or a keyed update, so a retried activity leaves the same rows behind.
import { eq, sql } from 'drizzle-orm';
import * as s from '../drizzle/schema.js';
import type { PlannedTaskInput, Usage } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

export interface IntentPatch {
  intentId: string;
  status: s.IntentStatus;
  resultBranch?: string;
  resultCommit?: string;
  filesChanged?: string[];
  usage?: Usage;
  error?: { code: string; message: string } | null;
}

export interface TaskPatch {
  taskId: string;
  status: s.TaskStatus;
  branch?: string;
  commitSha?: string;
  filesChanged?: string[];
  usage?: Usage;
  error?: { code: string; message: string } | null;
}

export interface SessionPatch {
  sessionId: string;
  intentId: string;
  taskId: string;
  workflowId: string;
  status: string;
  worktreePath?: string;
  usage?: Usage;
  agentMs?: number;
  stopReason?: string;
  error?: string | null;
}

/** The token and cost columns shared by intents, tasks and sessions. */
const usageColumns = (u: Usage | undefined) =>
  u === undefined ? {} : { tokensInput: u.input, tokensOutput: u.output, costUsd: u.cost };

export function createStoreActivities({ db }: ActivityDeps) {
  return {
    async markIntent(p: IntentPatch): Promise<void> {
      const done = p.status === 'completed' || p.status === 'failed' || p.status === 'cancelled';
      await db
        .update(s.intents)
        .set({
          status: p.status,
          updatedAt: sql`now()`,
          ...(p.resultBranch !== undefined && { resultBranch: p.resultBranch }),
          ...(p.resultCommit !== undefined && { resultCommit: p.resultCommit }),
          ...(p.filesChanged !== undefined && { filesChanged: p.filesChanged }),
          ...usageColumns(p.usage),
          ...(p.error !== undefined && { error: p.error }),
          ...(done && { completedAt: sql`now()` }),
        })
        .where(eq(s.intents.id, p.intentId));
    },

    async savePlan(p: {
      intentId: string;
      summary: string;
      tasks: PlannedTaskInput[];
      usage: Usage;
    }): Promise<void> {
      await db.transaction(async (tx) => {
        await tx
          .insert(s.swarms)
          .values({ id: p.intentId, intentId: p.intentId, plan: { summary: p.summary, tasks: p.tasks } })
          .onConflictDoNothing();
        for (const task of p.tasks) {
          await tx
            .insert(s.tasks)
            .values({
              id: `${p.intentId}-${task.id}`,
              intentId: p.intentId,
              swarmId: p.intentId,
              key: task.id,
              title: task.title,
              prompt: task.prompt,
              role: task.role,
              runtime: task.runtime ?? 'pi',
              dependsOn: task.dependsOn,
            })
            .onConflictDoNothing();
        }
        await tx
          .update(s.intents)
          .set({
            ...usageColumns(p.usage),
            updatedAt: sql`now()`,
          })
          .where(eq(s.intents.id, p.intentId));
      });
    },

    async markTask(p: TaskPatch): Promise<void> {
      await db
        .update(s.tasks)
        .set({
          status: p.status,
          updatedAt: sql`now()`,
          ...(p.branch !== undefined && { branch: p.branch }),
          ...(p.commitSha !== undefined && { commitSha: p.commitSha }),
          ...(p.filesChanged !== undefined && { filesChanged: p.filesChanged }),
          ...usageColumns(p.usage),
          ...(p.error !== undefined && { error: p.error }),
        })
        .where(eq(s.tasks.id, p.taskId));
    },

    /** Queues a steer or abort for the running agent; a retried call queues it once. */
    async queueControl(p: {
      sessionId: string;
      requestId: string;
      kind: s.ControlKind;
      message?: string;
    }): Promise<void> {
      await db
        .insert(s.sessionControls)
        .values({ sessionId: p.sessionId, requestId: p.requestId, kind: p.kind, message: p.message ?? null })
        .onConflictDoNothing();
    },

    async markSession(p: SessionPatch): Promise<void> {
      const ended = p.status === 'completed' || p.status === 'failed' || p.status === 'cancelled';
      const fields = {
        status: p.status,
        updatedAt: sql`now()`,
        ...(p.worktreePath !== undefined && { worktreePath: p.worktreePath }),
        ...usageColumns(p.usage),
        ...(p.agentMs !== undefined && { agentMs: p.agentMs }),
        ...(p.stopReason !== undefined && { stopReason: p.stopReason }),
        ...(p.error !== undefined && { error: p.error }),
        ...(ended && { endedAt: sql`now()`, currentTool: null }),
      };
      await db
        .insert(s.agentSessions)
        .values({
          id: p.sessionId,
          intentId: p.intentId,
          taskId: p.taskId,
          workflowId: p.workflowId,
          ...fields,
        })
        .onConflictDoUpdate({ target: s.agentSessions.id, set: fields });
    },
  };
}
