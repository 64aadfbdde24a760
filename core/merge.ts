// Merging in git's object store (`git merge-tree --write-tree`): no checkout is touched, so
// merges can be computed, gated and published (or thrown away) without any worktree state.
import { git, gitStatus } from './git.js';

export type MergeOutcome = { commit: string; alreadyContained: boolean } | { conflicts: string[] };

export const tipOf = async (repoPath: string, branch: string) =>
  (await git(repoPath).revparse([`refs/heads/${branch}^{commit}`])).trim();

export async function isAncestor(repoPath: string, ancestor: string, of: string): Promise<boolean> {
  return (await gitStatus(repoPath, ['merge-base', '--is-ancestor', ancestor, of])).code === 0;
}

/** A merge commit of `tip` into `head`, or the conflicted files; `head` itself if it has `tip`. */
export async function mergeCommit(
  repoPath: string,
  head: string,
  tip: string,
  messages: string[],
): Promise<MergeOutcome> {
  if (await isAncestor(repoPath, tip, head)) return { commit: head, alreadyContained: true };
  const merged = await gitStatus(repoPath, [
    'merge-tree',
    '--write-tree',
    '--name-only',
    '--no-messages',
    head,
    tip,
  ]);
  const [tree, ...rest] = merged.stdout.trim().split('\n');
  if (merged.code === 1) return { conflicts: rest.filter(Boolean) };
  if (merged.code !== 0 || !tree) throw new Error(`git merge-tree failed: ${merged.stderr || merged.stdout}`);
  const commit = await gitStatus(repoPath, [
    'commit-tree',
    tree,
    '-p',
    head,
    '-p',
    tip,
    ...messages.flatMap((m) => ['-m', m]),
  ]);
  if (commit.code !== 0) throw new Error(`git commit-tree failed: ${commit.stderr}`);
  return { commit: commit.stdout.trim(), alreadyContained: false };
}

/** Whether a branch exists and contains a commit. */
export async function branchContains(repoPath: string, branch: string, commit: string): Promise<boolean> {
  const tip = await gitStatus(repoPath, ['rev-parse', '-q', '--verify', `refs/heads/${branch}^{commit}`]);
  return tip.code === 0 && isAncestor(repoPath, commit, tip.stdout.trim());
}

export async function filesBetween(repoPath: string, from: string, to: string): Promise<string[]> {
  const changed = (await git(repoPath).raw(['diff', '--name-only', `${from}..${to}`])).trim();
  return changed ? changed.split('\n') : [];
}
