// The Refinery's batch merge on real repositories: one gate for the branches that pass together,
// bisection down to the branch that breaks the gate, conflicts deferred to a merge of their own.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ActivityDeps } from '../../activities/deps.js';
import { createRefineryActivities } from '../../activities/refinery.js';
import { branchWith, gitIn, makeRepo, tempDir } from '../helpers/repo.js';

const config = { worktreeRoot: tempDir('dash-gates-'), worktreeDependencies: { shared: [], isolated: [] } };
const refinery = createRefineryActivities({ config } as unknown as ActivityDeps);

// The repository's test: every .txt file is non-empty. Each run appends the tree's files to a log.
const GATE = `for f in *.txt; do [ -s "$f" ] || { echo "$f is empty"; exit 1; }; done; ls *.txt | tr '\\n' ' ' >> "$GATE_RUNS"; echo >> "$GATE_RUNS"`;

function setup(files: Record<string, string>) {
  const repo = makeRepo({ 'base.txt': 'base\n', 'shared.md': 'base\n' });
  const base = gitIn(repo, 'rev-parse', 'HEAD').trim();
  for (const [branch, content] of Object.entries(files)) {
    if (branch.startsWith('conflict')) branchWith(repo, branch, base, 'shared.md', content);
    else branchWith(repo, branch, base, `${branch}.txt`, content);
  }
  const log = path.join(tempDir(), 'gate-runs.log');
  process.env.GATE_RUNS = log;
  const runs = () =>
    fs.existsSync(log)
      ? fs
          .readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.trim())
      : [];
  return { repo, base, runs };
}

const batch = (repo: string, base: string, branches: string[]) =>
  refinery.mergeBatchIntoIntegration({
    repoPath: repo,
    integrationBranch: 'dash/x/result',
    baseSha: base,
    items: branches.map((b) => ({ branch: b, message: `task ${b}` })),
    gateCommand: GATE,
  });

describe('mergeBatchIntoIntegration', () => {
  it('lands a passing batch with one gate run and one merge commit per branch', async () => {
    const { repo, base, runs } = setup({ p: 'p\n', q: 'q\n', r: 'r\n' });
    const result = await batch(repo, base, ['p', 'q', 'r']);
    expect(result.steps.map((s) => s.status)).toEqual(['merged', 'merged', 'merged']);
    expect(result.gateRuns).toBe(1);
    expect(runs()).toEqual(['base.txt p.txt q.txt r.txt']);
    const head = gitIn(repo, 'rev-parse', 'dash/x/result').trim();
    expect(result.steps[2]).toMatchObject({ commit: head, filesChanged: ['r.txt'] });
    expect(gitIn(repo, 'log', '--merges', '--format=%s', 'dash/x/result').trim().split('\n')).toHaveLength(3);
    // Run again (a retry after a crash): everything is already in, nothing is merged twice.
    const again = await batch(repo, base, ['p', 'q', 'r']);
    expect(again.steps.every((s) => s.status === 'merged' && s.alreadyMerged)).toBe(true);
    expect(gitIn(repo, 'rev-parse', 'dash/x/result').trim()).toBe(head);
  });

  it('bisects a failing batch: the good branches land, only the one that breaks the gate fails', async () => {
    const { repo, base, runs } = setup({ p: 'p\n', q: 'q\n', bad: '', s: 's\n' });
    const result = await batch(repo, base, ['p', 'q', 'bad', 's']);
    expect(result.steps.map((s) => [s.branch, s.status])).toEqual([
      ['p', 'merged'],
      ['q', 'merged'],
      ['bad', 'gate_failed'],
      ['s', 'merged'],
    ]);
    expect(result.steps[2]).toMatchObject({ output: expect.stringContaining('bad.txt is empty') });
    // All four fail together; {p,q} pass; {bad,s} fail; {bad} fails alone; {s} passes.
    expect(result.gateRuns).toBe(5);
    expect(runs()).toEqual(['base.txt p.txt q.txt', 'base.txt p.txt q.txt s.txt']);
    const tree = gitIn(repo, 'ls-tree', '--name-only', 'dash/x/result').trim().split('\n');
    expect(tree.sort()).toEqual(['base.txt', 'p.txt', 'q.txt', 's.txt', 'shared.md']);
  });

  it('defers a branch that conflicts inside the batch, landing the others', async () => {
    const { repo, base } = setup({ p: 'p\n', 'conflict-a': 'a\n', 'conflict-b': 'b\n' });
    const result = await batch(repo, base, ['conflict-a', 'p', 'conflict-b']);
    expect(result.steps.map((s) => s.status)).toEqual(['merged', 'merged', 'deferred']);
    expect(result.steps[2]).toMatchObject({ files: ['shared.md'] });
    expect(gitIn(repo, 'show', 'dash/x/result:shared.md')).toBe('a\n');
  });
});
