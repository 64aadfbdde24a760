// /api/v1/worktrees: the session worktrees Dash made, active or removed (with snapshot refs).
import { and, desc, eq, lt, or } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { NotFoundError } from '../../core/errors.js';
import * as s from '../../drizzle/schema.js';
import type { ApiDeps } from '../context.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { validate } from '../validate.js';

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
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
      const after = q.cursor ? decodeCursor(q.cursor) : undefined;
      const rows = await db
        .select()
        .from(s.worktrees)
        .where(
          and(
            q.status ? eq(s.worktrees.status, q.status) : undefined,
            after
              ? or(
                  lt(s.worktrees.createdAt, after.createdAt),
                  and(eq(s.worktrees.createdAt, after.createdAt), lt(s.worktrees.id, after.id)),
                )
              : undefined,
          ),
        )
        .orderBy(desc(s.worktrees.createdAt), desc(s.worktrees.id))
        .limit(q.limit + 1);
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return c.json({
        data: page.map(present),
        next_cursor: rows.length > q.limit && last ? encodeCursor(last) : null,
      });
    })
    .get('/:id', validate('param', WorktreeId), async (c) => {
      const { id } = c.req.valid('param');
      const [row] = await db.select().from(s.worktrees).where(eq(s.worktrees.id, id));
      if (!row) throw new NotFoundError('worktree', id);
      return c.json(present(row));
    });
}
