// A snapshot of everything in a worktree (committed or not, untracked files included, ignored
// files and dependency links not) as a commit at refs/dash/snapshots/<id>, taken through a
// temporary index so the worktree itself is not touched. Cleanup takes one before any removal,
// so removing a worktree never loses work.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gitStatus } from '../core/git.js';
import { stageAll } from './dependencies.js';

export const snapshotRefOf = (id: string) => `refs/dash/snapshots/${id}`;

export async function snapshotWorktree(
  worktreePath: string,
  id: string,
  exclude: string[] = [],
): Promise<{ ref: string; commit: string }> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dash-snapshot-'));
  const env = { ...process.env, GIT_INDEX_FILE: path.join(tmp, 'index') };
  const run = async (args: string[]) => {
    const r = await gitStatus(worktreePath, args, { env });
    if (r.code !== 0) throw new Error(`git ${args[0]} failed while taking snapshot ${id}: ${r.stderr}`);
    return r.stdout.trim();
  };
  try {
    const head = await run(['rev-parse', 'HEAD']);
    await run(['read-tree', 'HEAD']);
    await stageAll(worktreePath, exclude, env);
    const tree = await run(['write-tree']);
    const commit = await run(['commit-tree', tree, '-p', head, '-m', `dash snapshot ${id}`]);
    await run(['update-ref', snapshotRefOf(id), commit]);
    return { ref: snapshotRefOf(id), commit };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
