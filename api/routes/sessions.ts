// /api/v1/agents: agent sessions, their live state, and control (steer, abort).
import crypto from 'node:crypto';
import fs from 'node:fs';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { webUiWorkflowUrl } from '../../core/config.js';
import { DashError, NotFoundError } from '../../core/errors.js';
import * as s from '../../drizzle/schema.js';
import { readSessionTree } from '../../runtimes/pi/session-tree.js';
import { agentTaskQueueOf } from '../../core/task-queues.js';
import {
  abortUpdate,
  sessionStateQuery,
  steerUpdate,
  type AgentSessionWorkflow,
} from '../../workflows/agent-session-workflow.js';
import type { RoleName } from '../../workflows/types.js';
import type { ApiDeps } from '../context.js';
import { afterCursor, newestFirst, pageOf, pageParams } from '../cursor.js';
import { validate } from '../validate.js';

const SessionId = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,100}$/, 'session ids are lowercase letters, digits and dashes'),
});
const ListQuery = z.object({
  ...pageParams,
  status: z
    .string()
    .regex(/^[a-z_]{1,20}$/)
    .optional(),
  intent_id: z
    .string()
    .regex(/^int-[a-z0-9]{10}$/)
    .optional(),
});
const Fork = z
  .object({
    entry_id: z.string().regex(/^[a-zA-Z0-9-]{1,64}$/, 'entry ids come from GET /api/v1/agents/:id/tree'),
    prompt: z.string().trim().min(1).max(20_000).default('Continue from here.'),
  })
  .strict();
const Steer = z
  .object({ message: z.string().trim().min(1, 'message must not be empty').max(20_000) })
  .strict();
const Abort = z.object({ reason: z.string().trim().max(2_000).default('aborted through the API') }).strict();

type SessionRow = typeof s.agentSessions.$inferSelect;

export function sessionRoutes(deps: ApiDeps) {
  const { db } = deps.database;
  const present = (r: SessionRow) => ({
    id: r.id,
    intent_id: r.intentId,
    task_id: r.taskId,
    role: r.role,
    runtime: r.runtime,
    status: r.status,
    attempt: r.attempt,
    worktree: r.worktreePath,
    pid: r.pid,
    current_tool: r.currentTool,
    tokens: { input: r.tokensInput, output: r.tokensOutput },
    cost_usd: r.costUsd,
    agent_ms: r.agentMs,
    error: r.error,
    last_activity_at: r.lastActivityAt?.toISOString() ?? null,
    created_at: r.createdAt.toISOString(),
    ended_at: r.endedAt?.toISOString() ?? null,
    workflow_id: r.workflowId,
    web_ui_url: webUiWorkflowUrl(deps.config, r.workflowId),
  });
  const find = async (id: string) => {
    const [row] = await db.select().from(s.agentSessions).where(eq(s.agentSessions.id, id));
    if (!row) throw new NotFoundError('agent', id);
    return row;
  };
  /** Updates are refused by the workflow's validators when the session is not running. */
  const control = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError) {
        const cause =
          err instanceof WorkflowUpdateFailedError
            ? (err.cause?.message ?? err.message)
            : 'the session has ended';
        throw new DashError('agent_not_running', `The agent cannot take this now: ${cause}`, 409);
      }
      throw err;
    }
  };

  return new Hono()
    .get('/', validate('query', ListQuery), async (c) => {
      const q = c.req.valid('query');
      const rows = await db
        .select()
        .from(s.agentSessions)
        .where(
          and(
            q.status ? eq(s.agentSessions.status, q.status) : undefined,
            q.intent_id ? eq(s.agentSessions.intentId, q.intent_id) : undefined,
            afterCursor(s.agentSessions, q.cursor),
          ),
        )
        .orderBy(...newestFirst(s.agentSessions))
        .limit(q.limit + 1);
      return c.json(pageOf(rows, q.limit, present));
    })
    .get('/:id', validate('param', SessionId), async (c) => {
      const row = await find(c.req.valid('param').id);
      // Live state from the workflow itself when it still runs; the row otherwise.
      const live = await deps.temporal.workflow
        .getHandle(row.workflowId)
        .query(sessionStateQuery)
        .catch(() => null);
      return c.json({ ...present(row), live });
    })
    .get('/:id/tree', validate('param', SessionId), async (c) => {
      const row = await find(c.req.valid('param').id);
      if (!row.runtimeSessionFile || !fs.existsSync(row.runtimeSessionFile)) {
        throw new DashError(
          'session_file_missing',
          `Agent ${row.id} has no Pi session file yet (it is written after the first model answer).`,
          404,
        );
      }
      const tree = readSessionTree(row.runtimeSessionFile);
      return c.json({
        id: row.id,
        session_file: row.runtimeSessionFile,
        pi_session_id: tree.sessionId,
        parent_session: tree.parentSession ?? null,
        leaf_id: tree.leafId ?? null,
        entries: tree.entries.map((e) => ({
          id: e.id,
          parent_id: e.parentId,
          type: e.type,
          role: e.role ?? null,
          preview: e.preview,
          children: e.children,
        })),
      });
    })
    .post('/:id/fork', validate('param', SessionId), validate('json', Fork), async (c) => {
      const source = await find(c.req.valid('param').id);
      const body = c.req.valid('json');
      if (!source.runtimeSessionFile || !fs.existsSync(source.runtimeSessionFile)) {
        throw new DashError(
          'session_file_missing',
          `Agent ${source.id} has no Pi session file to fork from.`,
          404,
        );
      }
      if (!readSessionTree(source.runtimeSessionFile).entries.some((e) => e.id === body.entry_id)) {
        throw new DashError(
          'fork_entry_not_found',
          `Entry '${body.entry_id}' is not in agent ${source.id}'s session; see its tree.`,
          422,
          {
            entry_id: body.entry_id,
          },
        );
      }
      const [task] = source.taskId
        ? await db.select().from(s.tasks).where(eq(s.tasks.id, source.taskId))
        : [];
      const [worktree] = await db.select().from(s.worktrees).where(eq(s.worktrees.id, source.id));
      const [intent] = source.intentId
        ? await db.select().from(s.intents).where(eq(s.intents.id, source.intentId))
        : [];
      if (!task || !worktree || !intent)
        throw new DashError(
          'fork_source_incomplete',
          `Agent ${source.id} has no task or worktree record to fork.`,
          409,
        );
      const key = `fork-${crypto.randomBytes(3).toString('hex')}`;
      const id = `${intent.id}-${key}`;
      const title = `Fork of ${task.key} at ${body.entry_id}`;
      await db.insert(s.tasks).values({
        id,
        intentId: intent.id,
        swarmId: task.swarmId,
        key,
        title,
        prompt: body.prompt,
        role: task.role,
      });
      const workflowId = `${intent.id}-task-${key}`;
      await deps.temporal.workflow.start<typeof AgentSessionWorkflow>('AgentSessionWorkflow', {
        taskQueue: deps.config.temporal.taskQueue,
        workflowId,
        args: [
          {
            intentId: intent.id,
            taskKey: key,
            taskId: id,
            sessionId: id,
            repoPath: intent.repoPath,
            // The code starts where the source task started; the conversation is cut at the entry.
            baseSha: worktree.baseRef,
            branch: `dash/${intent.id}/task-${key}`,
            title,
            prompt: body.prompt,
            role: task.role as RoleName,
            worktreeRoot: deps.config.worktreeRoot,
            agentTaskQueue: agentTaskQueueOf(deps.config.temporal.taskQueue),
            cleanup: deps.config.worktreeCleanup,
            worktreeTtlMs: deps.config.worktreeTtlMs,
            forkFrom: { sessionFile: source.runtimeSessionFile, entryId: body.entry_id },
            heartbeatTimeoutMs: deps.config.agent.heartbeatTimeoutMs,
            timeoutMs: deps.config.agent.timeoutMs,
          },
        ],
      });
      return c.json(
        {
          id,
          forked_from: { id: source.id, entry_id: body.entry_id },
          workflow_id: workflowId,
          web_ui_url: webUiWorkflowUrl(deps.config, workflowId),
        },
        202,
      );
    })
    .post('/:id/steer', validate('param', SessionId), validate('json', Steer), async (c) => {
      const row = await find(c.req.valid('param').id);
      const { message } = c.req.valid('json');
      await control(() =>
        deps.temporal.workflow.getHandle(row.workflowId).executeUpdate(steerUpdate, { args: [message] }),
      );
      return c.json({ id: row.id, queued: true }, 202);
    })
    .post('/:id/abort', validate('param', SessionId), validate('json', Abort), async (c) => {
      const row = await find(c.req.valid('param').id);
      const { reason } = c.req.valid('json');
      await control(() =>
        deps.temporal.workflow.getHandle(row.workflowId).executeUpdate(abortUpdate, { args: [reason] }),
      );
      return c.json({ id: row.id, queued: true }, 202);
    });
}
