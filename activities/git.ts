// Commits an agent's work and merges task branches. Merges never touch a checkout: neither the
// user's nor a scratch one.
import { ApplicationFailure } from '@temporalio/activity';
import { git, gitStatus } from '../core/git.js';
import { commitExcludes } from '../worktrees/dependencies.js';
import type { ActivityDeps } from './deps.js';

export function createGitActivities(_deps: ActivityDeps) {
  return {
    async commitWork(input: {
      worktreePath: string;
      baseSha: string;
      message: string;
      /** Dependency links and per-worktree copies that must never be committed. */
      excludes?: string[];
    }): Promise<{ commit: string; filesChanged: string[] }> {
      const g = git(input.worktreePath);
      await g.raw(['add', '-A', '--', '.', ...commitExcludes(input.excludes ?? [])]);
      const staged = (await g.raw(['diff', '--cached', '--name-only'])).trim();
      if (staged) await g.raw(['commit', '--no-verify', '-m', input.message]);
      const commit = (await g.revparse(['HEAD'])).trim();
      const changed = (await g.raw(['diff', '--name-only', `${input.baseSha}..${commit}`])).trim();
      return { commit, filesChanged: changed ? changed.split('\n') : [] };
    },

    /**
     * Builds `target` as `baseSha` plus a merge commit per branch, in order, entirely in the
     * object store (`git merge-tree --write-tree`): no checkout is touched, and re-running
     * rebuilds the same result from the base, so a retry cannot apply a merge twice.
     */
    async mergeBranches(input: {
      intentId: string;
      repoPath: string;
      baseSha: string;
      branches: string[];
      target: string;
      message: string;
    }): Promise<{ commit: string; filesChanged: string[] }> {
      let head = input.baseSha;
      for (const branch of input.branches) {
        const tip = (await git(input.repoPath).revparse([`refs/heads/${branch}^{commit}`])).trim();
        // A branch built on another one (a dependency) may already be contained: nothing to merge.
        if ((await gitStatus(input.repoPath, ['merge-base', '--is-ancestor', tip, head])).code === 0)
          continue;
        const merged = await gitStatus(input.repoPath, [
          'merge-tree',
          '--write-tree',
          '--name-only',
          '--no-messages',
          head,
          tip,
        ]);
        const [tree, ...rest] = merged.stdout.trim().split('\n');
        if (merged.code === 1) {
          const files = rest.filter(Boolean);
          throw ApplicationFailure.nonRetryable(
            `Merging ${branch} into ${input.target} conflicts in: ${files.join(', ') || 'unknown files'}`,
            'MergeConflict',
            { branch, files },
          );
        }
        if (merged.code !== 0 || !tree)
          throw new Error(`git merge-tree failed: ${merged.stderr || merged.stdout}`);
        const commit = await gitStatus(input.repoPath, [
          'commit-tree',
          tree,
          '-p',
          head,
          '-p',
          tip,
          '-m',
          `Merge ${branch}`,
          '-m',
          input.message,
        ]);
        if (commit.code !== 0) throw new Error(`git commit-tree failed: ${commit.stderr}`);
        head = commit.stdout.trim();
      }
      await git(input.repoPath).raw(['update-ref', `refs/heads/${input.target}`, head]);
      const changed = (
        await git(input.repoPath).raw(['diff', '--name-only', `${input.baseSha}..${head}`])
      ).trim();
      return { commit: head, filesChanged: changed ? changed.split('\n') : [] };
    },
  };
}
