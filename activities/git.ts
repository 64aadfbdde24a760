// Commits an agent's work and merges task branches. Merges never touch a checkout: neither the
// user's nor a scratch one.
import { ApplicationFailure } from '@temporalio/activity';
import { git, gitStatus } from '../core/git.js';
import { filesBetween, mergeCommit, tipOf } from '../core/merge.js';
import { stageAll } from '../worktrees/dependencies.js';
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
      await stageAll(input.worktreePath, input.excludes ?? []);
      const staged = (await g.raw(['diff', '--cached', '--name-only'])).trim();
      if (staged) await g.raw(['commit', '--no-verify', '-m', input.message]);
      const commit = (await g.revparse(['HEAD'])).trim();
      const changed = (await g.raw(['diff', '--name-only', `${input.baseSha}..${commit}`])).trim();
      return { commit, filesChanged: changed ? changed.split('\n') : [] };
    },

    /** Deletes local branches under a prefix (a cancelled intent's intermediate bases); returns their names. */
    async deleteBranches(input: { repoPath: string; prefix: string }): Promise<string[]> {
      const listed = await git(input.repoPath).raw([
        'for-each-ref',
        '--format=%(refname:short)',
        `refs/heads/${input.prefix}`,
      ]);
      const names = listed.split('\n').filter(Boolean);
      for (const name of names) await gitStatus(input.repoPath, ['branch', '-D', name]);
      return names;
    },

    /** The change between two commits, for a Reviewer to read; cut to keep prompts bounded. */
    async diffOf(input: {
      repoPath: string;
      from: string;
      to: string;
    }): Promise<{ diff: string; truncated: boolean }> {
      const diff = await git(input.repoPath).raw(['diff', `${input.from}..${input.to}`]);
      const limit = 40_000;
      return { diff: diff.slice(0, limit), truncated: diff.length > limit };
    },

    /**
     * Starts merging `branch` into a worktree and stops before committing, conflict markers and
     * all, so a Refinery agent can resolve them; the session's commit then records the merge.
     */
    async startMerge(input: { worktreePath: string; branch: string }): Promise<{ conflicts: string[] }> {
      const inMerge = await gitStatus(input.worktreePath, ['rev-parse', '-q', '--verify', 'MERGE_HEAD']);
      if (inMerge.code !== 0) {
        const r = await gitStatus(input.worktreePath, ['merge', '--no-commit', '--no-ff', input.branch]);
        if (r.code !== 0 && !/CONFLICT/.test(r.stdout + r.stderr))
          throw new Error(`git merge ${input.branch} failed: ${r.stderr.trim() || r.stdout.trim()}`);
      }
      const unmerged = await gitStatus(input.worktreePath, ['diff', '--name-only', '--diff-filter=U']);
      return { conflicts: unmerged.stdout.split('\n').filter(Boolean) };
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
        // A branch built on another one (a dependency) may already be contained: nothing to merge.
        const merged = await mergeCommit(input.repoPath, head, await tipOf(input.repoPath, branch), [
          `Merge ${branch}`,
          input.message,
        ]);
        if ('conflicts' in merged) {
          throw ApplicationFailure.nonRetryable(
            `Merging ${branch} into ${input.target} conflicts in: ${merged.conflicts.join(', ') || 'unknown files'}`,
            'MergeConflict',
            { branch, files: merged.conflicts },
          );
        }
        head = merged.commit;
      }
      await git(input.repoPath).raw(['update-ref', `refs/heads/${input.target}`, head]);
      return { commit: head, filesChanged: await filesBetween(input.repoPath, input.baseSha, head) };
    },
  };
}
