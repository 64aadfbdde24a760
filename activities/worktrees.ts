// One git worktree and branch per agent session. Creation is idempotent (a retry after a crash
// finds and reuses or repairs what the first attempt made) and removal never loses commits:
// the branch keeps them.
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { git } from '../core/git.js';
import * as s from '../drizzle/schema.js';
import type { ActivityDeps } from './deps.js';

export interface WorktreeSpec {
  sessionId: string;
  repoPath: string;
  path: string;
  branch: string;
  baseSha: string;
}

export function worktreePathFor(root: string, intentId: string, taskKey: string): string {
  return path.join(root, intentId, taskKey);
}

async function registeredWorktrees(repoPath: string): Promise<Map<string, string | undefined>> {
  const out = await git(repoPath).raw(['worktree', 'list', '--porcelain']);
  const map = new Map<string, string | undefined>();
  let current: string | undefined;
  for (const line of out.split('\n')) {
    if (line.startsWith('worktree ')) {
      current = line.slice('worktree '.length);
      map.set(current, undefined);
    } else if (line.startsWith('branch ') && current) {
      map.set(current, line.slice('branch refs/heads/'.length));
    }
  }
  return map;
}

export async function ensureWorktree(spec: Omit<WorktreeSpec, 'sessionId'>): Promise<void> {
  const repo = git(spec.repoPath);
  const target = path.resolve(spec.path);
  const existing = await registeredWorktrees(spec.repoPath);
  if (existing.get(target) === spec.branch && fs.existsSync(target)) return;
  if (existing.has(target)) await repo.raw(['worktree', 'remove', '--force', target]).catch(() => undefined);
  if (fs.existsSync(target)) fs.rmSync(target, { recursive: true, force: true });
  await repo.raw(['worktree', 'prune']);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  // If the branch exists from an earlier attempt it holds that attempt's commits; keep it.
  const branchExists = (await repo.raw(['branch', '--list', spec.branch])).trim() !== '';
  if (branchExists) await repo.raw(['worktree', 'add', target, spec.branch]);
  else await repo.raw(['worktree', 'add', '-b', spec.branch, target, spec.baseSha]);
}

export async function dropWorktree(repoPath: string, worktreePath: string): Promise<void> {
  const target = path.resolve(worktreePath);
  const existing = await registeredWorktrees(repoPath);
  if (existing.has(target)) await git(repoPath).raw(['worktree', 'remove', '--force', target]);
  if (fs.existsSync(target)) fs.rmSync(target, { recursive: true, force: true });
  await git(repoPath).raw(['worktree', 'prune']);
}

export function createWorktreeActivities({ db }: ActivityDeps) {
  return {
    async createWorktree(spec: WorktreeSpec): Promise<{ path: string; branch: string }> {
      await ensureWorktree(spec);
      await db
        .insert(s.worktrees)
        .values({
          id: spec.sessionId,
          sessionId: spec.sessionId,
          repoPath: spec.repoPath,
          path: path.resolve(spec.path),
          branch: spec.branch,
          baseRef: spec.baseSha,
        })
        .onConflictDoUpdate({ target: s.worktrees.id, set: { status: 'active', removedAt: null } });
      return { path: path.resolve(spec.path), branch: spec.branch };
    },

    async removeWorktree(input: { sessionId: string; repoPath: string; path: string }): Promise<void> {
      await dropWorktree(input.repoPath, input.path);
      await db
        .update(s.worktrees)
        .set({ status: 'removed', removedAt: sql`now()` })
        .where(sql`${s.worktrees.id} = ${input.sessionId}`);
    },
  };
}
