// Git helpers shared by the API (validating a repository) and activities (worktrees, merges).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { simpleGit, type SimpleGit } from 'simple-git';
import { RepoError } from './errors.js';

/** Commits are made as Dash, independent of the machine's git identity. */
export function git(dir: string): SimpleGit {
  return simpleGit({
    baseDir: dir,
    config: ['user.name=Dash', 'user.email=dash@localhost', 'commit.gpgsign=false'],
  });
}

export interface RepoInfo {
  path: string;
  baseBranch: string;
  baseSha: string;
}

/** Validates that `repo` is a git repository with a commit on `baseBranch` (default: current). */
export async function inspectRepo(repo: string, baseBranch?: string): Promise<RepoInfo> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(repo);
  } catch {
    throw new RepoError('repo_not_found', `Repository path '${repo}' does not exist.`, repo);
  }
  if (!stat.isDirectory())
    throw new RepoError('repo_not_found', `Repository path '${repo}' is not a directory.`, repo);
  const g = git(repo);
  let top: string;
  try {
    top = (await g.revparse(['--show-toplevel'])).trim();
  } catch {
    throw new RepoError(
      'repo_not_git',
      `'${repo}' is not a git repository (run \`git init\` and commit first).`,
      repo,
    );
  }
  const topGit = git(top);
  let branch = baseBranch;
  if (!branch) {
    try {
      branch = (await topGit.raw(['symbolic-ref', '--short', 'HEAD'])).trim();
    } catch {
      throw new RepoError('repo_no_commits', `'${top}' has a detached HEAD; pass a base branch.`, repo);
    }
  }
  let sha: string;
  try {
    sha = (await topGit.revparse(['--verify', '--quiet', `refs/heads/${branch}^{commit}`])).trim();
  } catch {
    sha = '';
  }
  if (!sha) {
    throw new RepoError(
      'repo_no_commits',
      `Branch '${branch}' of '${top}' has no commits; commit something first.`,
      repo,
    );
  }
  return { path: await fs.promises.realpath(top), baseBranch: branch, baseSha: sha };
}

/** Runs git and returns its exit status instead of throwing, for commands whose status is data. */
export function gitStatus(
  dir: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['-C', dir, '-c', 'user.name=Dash', '-c', 'user.email=dash@localhost', ...args],
      { maxBuffer: 64 * 1024 * 1024, ...(opts.env && { env: opts.env }) },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
