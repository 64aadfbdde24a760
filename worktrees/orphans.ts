// Orphans: worktrees under Dash's root that no database row accounts for, e.g. after a crash
// between `git worktree add` and the row's insert. Young ones are left alone, because an
// in-flight createWorktree on another worker may be about to write its row.
import fs from 'node:fs';
import path from 'node:path';
import { registeredWorktrees } from './git-worktree.js';

export async function findOrphans(
  repoPath: string,
  root: string,
  known: Set<string>,
  minAgeMs = 10 * 60_000,
): Promise<string[]> {
  const rootAbs = path.resolve(root) + path.sep;
  const registered = await registeredWorktrees(repoPath);
  const orphans: string[] = [];
  for (const wt of registered.keys()) {
    if (!wt.startsWith(rootAbs) || known.has(wt)) continue;
    let age = Infinity;
    try {
      age = Date.now() - fs.statSync(path.join(wt, '.git')).mtimeMs;
    } catch {
      // the directory is gone: prune will drop the registration
    }
    if (age >= minAgeMs) orphans.push(wt);
  }
  return orphans;
}
