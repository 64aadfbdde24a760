// Creating and removing git worktrees idempotently: a retry after a crash finds and reuses or
// repairs what an earlier attempt made. Nothing here deletes a branch.
import fs from 'node:fs';
import path from 'node:path';
import { git } from '../core/git.js';

/** Registered worktrees of a repository (main checkout excluded) with their branches. */
export async function registeredWorktrees(repoPath: string): Promise<Map<string, string | undefined>> {
  const out = await git(repoPath).raw(['worktree', 'list', '--porcelain']);
  const map = new Map<string, string | undefined>();
  let current: string | undefined;
  let first = true;
  for (const line of out.split('\n')) {
    if (line.startsWith('worktree ')) {
      current = line.slice('worktree '.length);
      if (first) {
        first = false;
        current = undefined; // the main checkout
        continue;
      }
      map.set(current, undefined);
    } else if (line.startsWith('branch ') && current) {
      map.set(current, line.slice('branch refs/heads/'.length));
    }
  }
  return map;
}

export async function ensureWorktree(spec: {
  repoPath: string;
  path: string;
  branch: string;
  baseSha: string;
}): Promise<void> {
  const repo = git(spec.repoPath);
  const target = path.resolve(spec.path);
  const existing = await registeredWorktrees(spec.repoPath);
  if (existing.get(target) === spec.branch && fs.existsSync(target)) return;
  if (existing.has(target)) await repo.raw(['worktree', 'remove', '--force', target]).catch(() => undefined);
  if (fs.existsSync(target)) {
    // Not a worktree we know: keep it aside rather than delete something we did not make.
    fs.renameSync(target, `${target}.orphan-${Date.now()}`);
  }
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
