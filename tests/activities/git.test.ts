// Committing and merging task branches on real repositories.
import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { ActivityDeps } from '../../activities/deps.js';
import { createGitActivities } from '../../activities/git.js';
import { branchWith, gitIn, makeRepo } from '../helpers/repo.js';

const activities = createGitActivities({} as ActivityDeps);

const merge = (repo: string, base: string, branches: string[], target = 'dash/x/result') =>
  activities.mergeBranches({
    intentId: 'x',
    repoPath: repo,
    baseSha: base,
    branches,
    target,
    message: 'dash: test',
  });

describe('mergeBranches', () => {
  it('merges task branches into the target without touching the checkout', async () => {
    const repo = makeRepo({ 'shared.txt': 'line 1\nline 2\n' });
    const base = gitIn(repo, 'rev-parse', 'HEAD').trim();
    branchWith(repo, 'a', base, 'a.txt', 'a\n');
    branchWith(repo, 'b', base, 'b.txt', 'b\n');
    fs.writeFileSync(path.join(repo, 'uncommitted.txt'), 'user work in progress\n');
    const result = await merge(repo, base, ['a', 'b']);
    expect(result.filesChanged.sort()).toEqual(['a.txt', 'b.txt']);
    expect(gitIn(repo, 'rev-parse', 'dash/x/result').trim()).toBe(result.commit);
    expect(
      gitIn(repo, 'log', '--merges', '--format=%s|%b', 'dash/x/result').trim().split('\n').filter(Boolean),
    ).toEqual(['Merge b|dash: test', 'Merge a|dash: test']);
    expect(gitIn(repo, 'status', '--porcelain').trim()).toBe('?? uncommitted.txt');
    expect(gitIn(repo, 'rev-parse', 'HEAD').trim()).toBe(base);
  });

  it('skips a branch already contained in an earlier one, and a re-run gives the same tree', async () => {
    const repo = makeRepo({ 'x.txt': 'x\n' });
    const base = gitIn(repo, 'rev-parse', 'HEAD').trim();
    const a = branchWith(repo, 'a', base, 'a.txt', 'a\n');
    branchWith(repo, 'b', a, 'b.txt', 'b\n');
    const first = await merge(repo, base, ['b', 'a']);
    expect(gitIn(repo, 'log', '--merges', '--format=%s', 'dash/x/result').trim()).toBe('Merge b');
    const again = await merge(repo, base, ['b', 'a']);
    expect(gitIn(repo, 'rev-parse', `${again.commit}^{tree}`)).toBe(
      gitIn(repo, 'rev-parse', `${first.commit}^{tree}`),
    );
    expect(gitIn(repo, 'rev-list', '--count', `${base}..dash/x/result`).trim()).toBe('3');
  });

  it('reports a conflict as a non-retryable MergeConflict naming the files, leaving the target unset', async () => {
    const repo = makeRepo({ 'shared.txt': 'line 1\n' });
    const base = gitIn(repo, 'rev-parse', 'HEAD').trim();
    branchWith(repo, 'a', base, 'shared.txt', 'from a\n');
    branchWith(repo, 'b', base, 'shared.txt', 'from b\n');
    const err = await merge(repo, base, ['a', 'b'], 'dash/y/result').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe('MergeConflict');
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).details?.[0]).toEqual({ branch: 'b', files: ['shared.txt'] });
    expect(gitIn(repo, 'branch', '--list', 'dash/y/result').trim()).toBe('');
    expect(gitIn(repo, 'status', '--porcelain').trim()).toBe('');
  });
});

describe('commitWork', () => {
  it('commits everything the agent left, reports files changed since the base, and is idempotent', async () => {
    const repo = makeRepo({ 'keep.txt': 'k\n', 'gone.txt': 'g\n' });
    const base = gitIn(repo, 'rev-parse', 'HEAD').trim();
    fs.writeFileSync(path.join(repo, 'new.txt'), 'n\n');
    fs.rmSync(path.join(repo, 'gone.txt'));
    const first = await activities.commitWork({ worktreePath: repo, baseSha: base, message: 'dash: work' });
    expect(first.filesChanged.sort()).toEqual(['gone.txt', 'new.txt']);
    const again = await activities.commitWork({ worktreePath: repo, baseSha: base, message: 'dash: work' });
    expect(again).toEqual(first);
    expect(gitIn(repo, 'log', '--format=%an <%ae>', '-1').trim()).toBe('Dash <dash@localhost>');
  });
});
