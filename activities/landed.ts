// Which of an intent's planned tasks have landed: their session committed and that commit is on
// the result branch. A retry and a reset both redo only the rest, so finished work is never redone.
import { eq } from 'drizzle-orm';
import { branchContains } from '../core/merge.js';
import * as s from '../drizzle/schema.js';
import type { ActivityDeps } from './deps.js';

export interface LandedTask {
  key: string;
  branch: string;
  commit: string;
}

export async function findLandedTasks(
  db: ActivityDeps['db'],
  p: { intentId: string; repoPath: string; resultBranch: string; keys: string[] },
): Promise<LandedTask[]> {
  const tasks = await db.select().from(s.tasks).where(eq(s.tasks.intentId, p.intentId));
  const landed: LandedTask[] = [];
  for (const key of p.keys) {
    const t = tasks.find((x) => x.key === key);
    // Landed means merged into the result branch, not just committed.
    if (
      t?.status === 'completed' &&
      t.branch &&
      t.commitSha &&
      (await branchContains(p.repoPath, p.resultBranch, t.commitSha))
    )
      landed.push({ key: t.key, branch: t.branch, commit: t.commitSha });
  }
  return landed;
}

export function createLandedActivities({ db }: ActivityDeps) {
  return {
    landedTasks: (p: { intentId: string; repoPath: string; resultBranch: string; keys: string[] }) =>
      findLandedTasks(db, p),
  };
}
