// One git worktree and branch per agent session, with shared dependency links, its own .env and
// port range. Creation is idempotent (a retry after a crash reuses or repairs what an earlier
// attempt made); removal snapshots the worktree first, so cleanup never loses work.
import path from 'node:path';
import { and, eq, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import * as s from '../drizzle/schema.js';
import {
  dropWorktree,
  ensureWorktree,
  findOrphans,
  pickPortBase,
  portEnv,
  prepareDependencies,
  snapshotWorktree,
} from '../worktrees/index.js';
import type { CleanupPolicy } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';
import { tenantOfIntent } from './tenant.js';

export interface WorktreeSpec {
  sessionId: string;
  /** Whose worktree it is: given for a manual one; a session's comes from its intent. */
  tenantId?: string;
  intentId?: string;
  repoPath: string;
  path: string;
  branch: string;
  baseSha: string;
}

export interface PreparedWorktree {
  path: string;
  branch: string;
  /** Environment for the agent: PORT, DASH_PORT_BASE, DASH_PORT_COUNT, DASH_WORKTREE. */
  env: Record<string, string>;
  /** Linked and copied dependency entries, kept out of commits and snapshots. */
  excludes: string[];
}

export function createWorktreeActivities({ db, config }: ActivityDeps) {
  const remove = async (input: {
    sessionId: string;
    repoPath: string;
    path: string;
    excludes?: string[];
  }) => {
    let snapshotRef: string | null = null;
    try {
      snapshotRef = (await snapshotWorktree(input.path, input.sessionId, input.excludes)).ref;
    } catch {
      // Already removed by an earlier attempt: its snapshot is recorded on the row.
    }
    await dropWorktree(input.repoPath, input.path);
    await db
      .update(s.worktrees)
      .set({ status: 'removed', removedAt: sql`now()`, ...(snapshotRef && { snapshotRef }) })
      .where(eq(s.worktrees.id, input.sessionId));
    return { snapshotRef };
  };
  return {
    async createWorktree(spec: WorktreeSpec): Promise<PreparedWorktree> {
      const target = path.resolve(spec.path);
      await ensureWorktree(spec);
      const deps = await prepareDependencies(spec.repoPath, target, config.worktreeDependencies);
      // One transaction under a lock: concurrent sessions must not pick the same port range.
      const portBase = await db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(7373002)`);
        const [mine] = await tx
          .select({ portBase: s.worktrees.portBase })
          .from(s.worktrees)
          .where(eq(s.worktrees.id, spec.sessionId));
        const base =
          mine?.portBase ??
          pickPortBase(
            (
              await tx
                .select({ portBase: s.worktrees.portBase })
                .from(s.worktrees)
                .where(and(eq(s.worktrees.status, 'active'), isNotNull(s.worktrees.portBase)))
            ).map((r) => r.portBase!),
          );
        await tx
          .insert(s.worktrees)
          .values({
            id: spec.sessionId,
            tenantId: spec.tenantId ?? tenantOfIntent(spec.intentId),
            sessionId: spec.sessionId,
            repoPath: spec.repoPath,
            path: target,
            branch: spec.branch,
            baseRef: spec.baseSha,
            portBase: base,
          })
          .onConflictDoUpdate({
            target: s.worktrees.id,
            set: { status: 'active', removedAt: null, portBase: base },
          });
        return base;
      });
      return {
        path: target,
        branch: spec.branch,
        env: { ...portEnv(portBase), DASH_WORKTREE: target },
        excludes: [...deps.linked, ...deps.copied],
      };
    },

    async removeWorktree(input: {
      sessionId: string;
      repoPath: string;
      path: string;
      excludes?: string[];
    }): Promise<{ snapshotRef: string | null }> {
      return remove(input);
    },

    /** Records why a worktree stays: kept by hand (manual) or until its TTL passes (delayed). */
    async keepWorktree(input: { sessionId: string; policy: CleanupPolicy; ttlMs?: number }): Promise<void> {
      const ttl = input.ttlMs ?? config.worktreeTtlMs;
      await db
        .update(s.worktrees)
        .set({
          cleanupPolicy: input.policy,
          expiresAt: input.policy === 'delayed' ? sql`now() + make_interval(secs => ${ttl / 1000})` : null,
        })
        .where(eq(s.worktrees.id, input.sessionId));
    },

    /**
     * Removes (snapshot first) the given active worktrees, or, with no ids, every delayed one past
     * its TTL: the reaper schedule's run and `dash worktree cleanup` are the same operation.
     */
    async reapWorktrees(
      input: { ids?: string[] } = {},
    ): Promise<{ removed: { id: string; snapshotRef: string | null }[] }> {
      const targets = await db
        .select()
        .from(s.worktrees)
        .where(
          and(
            eq(s.worktrees.status, 'active'),
            input.ids?.length ? inArray(s.worktrees.id, input.ids) : lte(s.worktrees.expiresAt, sql`now()`),
          ),
        );
      const removed: { id: string; snapshotRef: string | null }[] = [];
      for (const w of targets) {
        const excludes = [...config.worktreeDependencies.shared, ...config.worktreeDependencies.isolated];
        const { snapshotRef } = await remove({
          sessionId: w.id,
          repoPath: w.repoPath,
          path: w.path,
          excludes,
        });
        removed.push({ id: w.id, snapshotRef });
      }
      return { removed };
    },
  };
}

/**
 * On worker start: worktrees under Dash's root that no active row accounts for are snapshotted
 * and removed (a crash between `git worktree add` and the insert leaves such orphans).
 */
export async function reconcileOrphanWorktrees(
  { db, config }: Pick<ActivityDeps, 'db' | 'config'>,
  opts: { minAgeMs?: number } = {},
): Promise<{ path: string; snapshotRef: string }[]> {
  const repos = await db.selectDistinct({ repoPath: s.intents.repoPath }).from(s.intents);
  const known = new Set(
    (
      await db.select({ path: s.worktrees.path }).from(s.worktrees).where(eq(s.worktrees.status, 'active'))
    ).map((r) => r.path),
  );
  const reconciled: { path: string; snapshotRef: string }[] = [];
  for (const { repoPath } of repos) {
    let orphans: string[];
    try {
      orphans = await findOrphans(repoPath, config.worktreeRoot, known, opts.minAgeMs);
    } catch {
      continue; // the repository is gone or unreadable: nothing of ours to clean there
    }
    for (const orphan of orphans) {
      const id = `orphan-${path.relative(config.worktreeRoot, orphan).replace(/[^a-zA-Z0-9-]/g, '-')}`;
      const { ref } = await snapshotWorktree(orphan, id, config.worktreeDependencies.shared);
      await dropWorktree(repoPath, orphan);
      await db
        .insert(s.worktrees)
        .values({
          id,
          repoPath,
          path: orphan,
          branch: '(orphan)',
          baseRef: '',
          status: 'removed',
          snapshotRef: ref,
          removedAt: sql`now()`,
        })
        .onConflictDoUpdate({
          target: s.worktrees.id,
          set: { status: 'removed', snapshotRef: ref, removedAt: sql`now()` },
        });
      reconciled.push({ path: orphan, snapshotRef: ref });
    }
  }
  return reconciled;
}
