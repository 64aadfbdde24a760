// /api/v1/worktrees: the session worktrees Dash made, active or removed (with snapshot refs).
import crypto from 'node:crypto';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { DashError } from '../../core/errors.js';
import { gitStatus, inspectRepo } from '../../core/git.js';
import * as s from '../../drizzle/schema.js';
import type { WorktreeCreateWorkflow } from '../../workflows/worktree-create-workflow.js';
import type { WorktreeReaperWorkflow } from '../../workflows/worktree-reaper-workflow.js';
import { tenantOf, type AuthEnv } from '../auth.js';
import type { ApiDeps } from '../context.js';
import { findOwned } from '../owned.js';
import { afterCursor, newestFirst, pageOf, pageParams } from '../cursor.js';
import { validate } from '../validate.js';

export const ListQuery = z.object({
  ...pageParams,
  status: z.enum(['active', 'removed']).optional(),
});
export const WorktreeId = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,120}$/, 'worktree ids are lowercase letters, digits and dashes'),
});

export const CreateWorktree = z
  .object({
    repo: z.string().trim().min(1, 'repo is required (a path to a git repository on the server)'),
    branch: z
      .string()
      .trim()
      .regex(/^(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9][A-Za-z0-9._/-]{0,199}(?<![./])$/, 'not a valid branch name')
      .optional(),
    base_branch: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

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
  const find = (tenantId: string, id: string) => findOwned(db, s.worktrees, 'worktree', tenantId, id);
  return new Hono<AuthEnv>()
    .post('/', validate('json', CreateWorktree), async (c) => {
      const body = c.req.valid('json');
      const repo = await inspectRepo(body.repo, body.base_branch);
      const id = `wt-${crypto.randomBytes(5).toString('hex')}`;
      const branch = body.branch ?? `dash/worktrees/${id}`;
      const existing = await gitStatus(repo.path, [
        'rev-parse',
        '--verify',
        '--quiet',
        `refs/heads/${branch}`,
      ]);
      if (existing.code === 0)
        throw new DashError(
          'branch_exists',
          `Branch ${branch} already exists in ${repo.path}; pick another.`,
          409,
        );
      const prepared = await deps.temporal.workflow.execute<typeof WorktreeCreateWorkflow>(
        'WorktreeCreateWorkflow',
        {
          taskQueue: deps.config.temporal.taskQueue,
          workflowId: `dash-worktree-create-${id}`,
          args: [
            {
              sessionId: id,
              repoPath: repo.path,
              path: path.join(deps.config.worktreeRoot, 'manual', id),
              branch,
              baseSha: repo.baseSha,
              tenantId: tenantOf(c),
            },
          ],
        },
      );
      const [row] = await db.select().from(s.worktrees).where(eq(s.worktrees.id, id));
      return c.json({ ...present(row!), env: prepared.env, linked: prepared.excludes }, 201);
    })
    .get('/', validate('query', ListQuery), async (c) => {
      const q = c.req.valid('query');
      const rows = await db
        .select()
        .from(s.worktrees)
        .where(
          and(
            eq(s.worktrees.tenantId, tenantOf(c)),
            q.status ? eq(s.worktrees.status, q.status) : undefined,
            afterCursor(s.worktrees, q.cursor),
          ),
        )
        .orderBy(...newestFirst(s.worktrees))
        .limit(q.limit + 1);
      return c.json(pageOf(rows, q.limit, present));
    })
    .post('/:id/cleanup', validate('param', WorktreeId), async (c) => {
      const { id } = c.req.valid('param');
      const row = await find(tenantOf(c), id);
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
      return c.json(present(await find(tenantOf(c), c.req.valid('param').id)));
    });
}
