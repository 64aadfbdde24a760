// /api/v1/tasks: every task of every swarm, filterable by intent and status, with its agent session.
import { and, desc, eq, inArray } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import * as s from '../../drizzle/schema.js';
import { tenantOf, type AuthEnv } from '../auth.js';
import type { ApiDeps } from '../context.js';
import { findOwned } from '../owned.js';
import { afterCursor, newestFirst, pageOf, pageParams } from '../cursor.js';
import { validate } from '../validate.js';

const intentIdPattern = /^int-[a-z0-9]{10}$/;
export const TaskId = z.object({
  id: z
    .string()
    .regex(/^int-[a-z0-9]{10}-[A-Za-z0-9_.-]{1,100}$/, 'task ids look like int-xxxxxxxxxx-<task key>'),
});
export const TaskListQuery = z.object({
  ...pageParams,
  status: z.enum(s.taskStatuses).optional(),
  intent_id: z.string().regex(intentIdPattern, 'intent ids look like int-xxxxxxxxxx').optional(),
  role: z
    .string()
    .regex(/^[a-z]{1,20}$/)
    .optional(),
});

type TaskRow = typeof s.tasks.$inferSelect;
type SessionRow = typeof s.agentSessions.$inferSelect;

export function taskRoutes(deps: ApiDeps) {
  const { db } = deps.database;
  const present = (t: TaskRow, session: SessionRow | undefined) => ({
    id: t.id,
    key: t.key,
    intent_id: t.intentId,
    swarm_id: t.swarmId,
    title: t.title,
    prompt: t.prompt,
    role: t.role,
    runtime: t.runtime,
    status: t.status,
    depends_on: t.dependsOn,
    branch: t.branch,
    commit: t.commitSha,
    files_changed: t.filesChanged,
    tokens: { input: t.tokensInput, output: t.tokensOutput },
    cost_usd: t.costUsd,
    error: t.error,
    session_id: session?.id ?? null,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  });
  /** The latest session of each task (a restarted task has several). */
  const sessionsOf = async (taskIds: string[]) => {
    if (taskIds.length === 0) return new Map<string, SessionRow>();
    const rows = await db
      .select()
      .from(s.agentSessions)
      .where(inArray(s.agentSessions.taskId, taskIds))
      .orderBy(desc(s.agentSessions.createdAt));
    const latest = new Map<string, SessionRow>();
    for (const r of rows) if (r.taskId && !latest.has(r.taskId)) latest.set(r.taskId, r);
    return latest;
  };

  return new Hono<AuthEnv>()
    .get('/', validate('query', TaskListQuery), async (c) => {
      const q = c.req.valid('query');
      const rows = await db
        .select()
        .from(s.tasks)
        .where(
          and(
            eq(s.tasks.tenantId, tenantOf(c)),
            q.status ? eq(s.tasks.status, q.status) : undefined,
            q.intent_id ? eq(s.tasks.intentId, q.intent_id) : undefined,
            q.role ? eq(s.tasks.role, q.role) : undefined,
            afterCursor(s.tasks, q.cursor),
          ),
        )
        .orderBy(...newestFirst(s.tasks))
        .limit(q.limit + 1);
      const sessions = await sessionsOf(rows.slice(0, q.limit).map((r) => r.id));
      return c.json(pageOf(rows, q.limit, (t) => present(t, sessions.get(t.id))));
    })
    .get('/:id', validate('param', TaskId), async (c) => {
      const row = await findOwned(db, s.tasks, 'task', tenantOf(c), c.req.valid('param').id);
      const sessions = await sessionsOf([row.id]);
      return c.json(present(row, sessions.get(row.id)));
    });
}
