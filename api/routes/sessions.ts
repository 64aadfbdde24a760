// /api/v1/agents: agent sessions, their live state, and control (steer, abort).
import fs from 'node:fs';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { webUiWorkflowUrl } from '../../core/config.js';
import { DashError, NotFoundError } from '../../core/errors.js';
import * as s from '../../drizzle/schema.js';
import { readSessionTree } from '../../runtimes/pi/session-tree.js';
import { abortUpdate, sessionStateQuery, steerUpdate } from '../../workflows/agent-session-workflow.js';
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
