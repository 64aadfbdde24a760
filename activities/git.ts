// Commits an agent's work and merges task branches. Merges happen in a scratch worktree so the
// user's own checkout is never touched.
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { git } from '../core/git.js';
import type { ActivityDeps } from './deps.js';
import { dropWorktree, ensureWorktree } from './worktrees.js';

export function createGitActivities({ config }: ActivityDeps) {
  return {
    async commitWork(input: {
      worktreePath: string;
      baseSha: string;
      message: string;
    }): Promise<{ commit: string; filesChanged: string[] }> {
      const g = git(input.worktreePath);
      await g.raw(['add', '-A']);
      const staged = (await g.raw(['diff', '--cached', '--name-only'])).trim();
      if (staged) await g.raw(['commit', '--no-verify', '-m', input.message]);
      const commit = (await g.revparse(['HEAD'])).trim();
      const changed = (await g.raw(['diff', '--name-only', `${input.baseSha}..${commit}`])).trim();
      return { commit, filesChanged: changed ? changed.split('\n') : [] };
    },

    /**
     * Builds `target` from `baseSha` plus each branch, in order. Re-running starts again from the
     * base (`-B`), so a retry after a crash mid-merge cannot apply a merge twice.
     */
    async mergeBranches(input: {
      intentId: string;
      repoPath: string;
      baseSha: string;
      branches: string[];
      target: string;
      message: string;
    }): Promise<{ commit: string; filesChanged: string[] }> {
      const scratch = path.join(
        config.worktreeRoot,
        input.intentId,
        `.merge-${input.target.replace(/[^a-zA-Z0-9-]/g, '_')}`,
      );
      const repo = git(input.repoPath);
      await dropWorktree(input.repoPath, scratch);
      await repo.raw(['branch', '-f', input.target, input.baseSha]);
      await ensureWorktree({
        repoPath: input.repoPath,
        path: scratch,
        branch: input.target,
        baseSha: input.baseSha,
      });
      const g = git(scratch);
      try {
        for (const branch of input.branches) {
          try {
            await g.raw(['merge', '--no-ff', '--no-edit', '-m', `${input.message}: merge ${branch}`, branch]);
          } catch (err) {
            const conflicts = (
              await g.raw(['diff', '--name-only', '--diff-filter=U']).catch(() => '')
            ).trim();
            await g.raw(['merge', '--abort']).catch(() => undefined);
            throw ApplicationFailure.nonRetryable(
              `Merging ${branch} into ${input.target} conflicts in: ${conflicts || (err as Error).message}`,
              'MergeConflict',
              { branch, files: conflicts.split('\n').filter(Boolean) },
            );
          }
        }
        const commit = (await g.revparse(['HEAD'])).trim();
        const changed = (await g.raw(['diff', '--name-only', `${input.baseSha}..${commit}`])).trim();
        return { commit, filesChanged: changed ? changed.split('\n') : [] };
      } finally {
        await dropWorktree(input.repoPath, scratch);
      }
    },
  };
}
