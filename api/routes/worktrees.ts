// /api/v1/worktrees: the session worktrees Dash made, active or removed (with snapshot refs).
import { and, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { DashError, NotFoundError } from '../../core/errors.js';
import * as s from '../../drizzle/schema.js';
import type { WorktreeReaperWorkflow } from '../../workflows/worktree-reaper-workflow.js';
import type { ApiDeps } from '../context.js';
import { afterCursor, newestFirst, pageOf, pageParams } from '../cursor.js';
import { validate } from '../validate.js';

const ListQuery = z.object({
  ...pageParams,
  status: z.enum(['active', 'removed']).optional(),
});
const WorktreeId = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,120}$/, 'worktree ids are lowercase letters, digits and dashes'),
});

type WorktreeRow = typeof s.worktrees.$inferSelect;

const present = (w: WorktreeRow) => ({
  id: w.id,
  session_id: w.sessionId,
  repository: w.repoPath,
  path: w.path,
  branch: w.branch,
  base_ref: w.baseRef,
  status: w.status,
  cleanup: w.cleanupPolicy,
  port_base: w.portBase,
  snapshot_ref: w.snapshotRef,
  created_at: w.createdAt.toISOString(),
  removed_at: w.removedAt?.toISOString() ?? null,
});

export function worktreeRoutes(deps: ApiDeps) {
  const { db } = deps.database;
  return new Hono()
    .get('/', validate('query', ListQuery), async (c) => {
      const q = c.req.valid('query');
      const rows = await db
        .select()
        .from(s.worktrees)
        .where(
          and(q.status ? eq(s.worktrees.status, q.status) : undefined, afterCursor(s.worktrees, q.cursor)),
        )
        .orderBy(...newestFirst(s.worktrees))
        .limit(q.limit + 1);
      return c.json(pageOf(rows, q.limit, present));
    })
    .post('/:id/cleanup', validate('param', WorktreeId), async (c) => {
      const { id } = c.req.valid('param');
      const [row] = await db.select().from(s.worktrees).where(eq(s.worktrees.id, id));
      if (!row) throw new NotFoundError('worktree', id);
      if (row.status !== 'active') {
        throw new DashError(
          'worktree_not_active',
          `Worktree ${id} is already removed; its state is at ${row.snapshotRef ?? '(no snapshot)'}.`,
          409,
        );
      }
      const result = await deps.temporal.workflow.execute<typeof WorktreeReaperWorkflow>(
        'WorktreeReaperWorkflow',
        {
          taskQueue: deps.config.temporal.taskQueue,
          workflowId: `dash-worktree-cleanup-${id}-${Date.now()}`,
          args: [{ ids: [id] }],
        },
      );
      const removed = result.removed.find((r) => r.id === id);
      return c.json({ id, removed: Boolean(removed), snapshot_ref: removed?.snapshotRef ?? null });
    })
    .get('/:id', validate('param', WorktreeId), async (c) => {
      const { id } = c.req.valid('param');
      const [row] = await db.select().from(s.worktrees).where(eq(s.worktrees.id, id));
      if (!row) throw new NotFoundError('worktree', id);
      return c.json(present(row));
    });
}
