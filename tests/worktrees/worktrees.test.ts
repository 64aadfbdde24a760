// Session worktrees on a real repository with node_modules and .env: shared links, isolated
// copies, port ranges, commits that leave dependencies out, snapshots before removal, orphans.
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitActivities } from '../../activities/git.js';
import { createWorktreeActivities, reconcileOrphanWorktrees } from '../../activities/worktrees.js';
import { loadConfig } from '../../core/config.js';
import * as s from '../../drizzle/schema.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { gitIn, makeRepo, tempDir } from '../helpers/repo.js';

let t: TestDatabase;
let repo: string;
let base: string;
const home = tempDir('dash-wt-home-');
const config = loadConfig({ DASH_HOME: home });

beforeAll(async () => {
  t = await createTestDatabase('pglite');
  // The usual ignore rules: without a trailing slash they also match the node_modules symlink.
  repo = makeRepo({ '.gitignore': 'node_modules\n.env\n', 'src/app.js': 'export {};\n' });
  fs.mkdirSync(path.join(repo, 'node_modules', 'left-pad'), { recursive: true });
  fs.writeFileSync(path.join(repo, 'node_modules', 'left-pad', 'index.js'), 'module.exports = 1;\n');
  // .env is deliberately not ignored: Dash must keep it out of commits on its own.
  fs.writeFileSync(path.join(repo, '.env'), 'SECRET=main\n');
  base = gitIn(repo, 'rev-parse', 'HEAD').trim();
  await t.database.db
    .insert(s.intents)
    .values({ id: 'int-wtwtwtwtwt', text: 'x', repoPath: repo, baseBranch: 'main', workflowId: 'w' });
});

afterAll(async () => {
  await t?.drop();
});

const deps = () => ({ db: t.database.db, config, llm: config.llm });
const spec = (id: string) => ({
  sessionId: id,
  repoPath: repo,
  path: path.join(config.worktreeRoot, 'int-wtwtwtwtwt', id),
  branch: `dash/wt/${id}`,
  baseSha: base,
});

describe('session worktrees', () => {
  it('links node_modules, copies .env, and gives each worktree its own port range', async () => {
    const wt = createWorktreeActivities(deps());
    const a = await wt.createWorktree(spec('a'));
    const b = await wt.createWorktree(spec('b'));
    expect(fs.lstatSync(path.join(a.path, 'node_modules')).isSymbolicLink()).toBe(true);
    expect(fs.realpathSync(path.join(a.path, 'node_modules'))).toBe(
      fs.realpathSync(path.join(repo, 'node_modules')),
    );
    expect(fs.lstatSync(path.join(a.path, '.env')).isSymbolicLink()).toBe(false);
    fs.writeFileSync(path.join(a.path, '.env'), 'SECRET=worktree-a\n');
    expect(fs.readFileSync(path.join(repo, '.env'), 'utf8')).toBe('SECRET=main\n');
    expect(fs.readFileSync(path.join(b.path, '.env'), 'utf8')).toBe('SECRET=main\n');
    expect([...a.excludes].sort()).toEqual(['.env', 'node_modules']);
    expect(a.env.PORT).toBe(a.env.DASH_PORT_BASE);
    expect(Math.abs(Number(a.env.PORT) - Number(b.env.PORT))).toBeGreaterThanOrEqual(10);
    // Idempotent: a retried create returns the same worktree and the same ports.
    expect(await wt.createWorktree(spec('a'))).toEqual(a);
  });

  it('commits the agent work but never the dependency links or the .env copy', async () => {
    const a = await createWorktreeActivities(deps()).createWorktree(spec('a'));
    fs.writeFileSync(path.join(a.path, 'src', 'feature.js'), 'export const x = 1;\n');
    const { filesChanged } = await createGitActivities(deps()).commitWork({
      worktreePath: a.path,
      baseSha: base,
      message: 'work',
      excludes: a.excludes,
    });
    expect(filesChanged).toEqual(['src/feature.js']);
    expect(gitIn(repo, 'ls-tree', '-r', '--name-only', 'dash/wt/a')).not.toMatch(/node_modules|\.env/);
  });

  it('removal keeps a snapshot ref that restores uncommitted work, and keeps the branch', async () => {
    const wt = createWorktreeActivities(deps());
    const b = await wt.createWorktree(spec('b'));
    fs.writeFileSync(path.join(b.path, 'wip.txt'), 'half-done thought\n');
    const { snapshotRef } = await wt.removeWorktree({
      sessionId: 'b',
      repoPath: repo,
      path: b.path,
      excludes: b.excludes,
    });
    expect(snapshotRef).toBe('refs/dash/snapshots/b');
    expect(fs.existsSync(b.path)).toBe(false);
    expect(gitIn(repo, 'show', `${snapshotRef}:wip.txt`)).toBe('half-done thought\n');
    expect(gitIn(repo, 'ls-tree', '-r', '--name-only', snapshotRef!)).not.toMatch(/node_modules|\.env/);
    expect(gitIn(repo, 'branch', '--list', 'dash/wt/b').trim()).toBe('dash/wt/b');
    const restored = tempDir();
    gitIn(repo, 'worktree', 'add', '-q', '-b', 'restored-b', path.join(restored, 'b'), snapshotRef!);
    expect(fs.readFileSync(path.join(restored, 'b', 'wip.txt'), 'utf8')).toBe('half-done thought\n');
    const [row] = await t.database.db.select().from(s.worktrees).where(eq(s.worktrees.id, 'b'));
    expect(row).toMatchObject({ status: 'removed', snapshotRef: 'refs/dash/snapshots/b' });
    // A second removal (a retried activity) is harmless and keeps the recorded snapshot.
    await wt.removeWorktree({ sessionId: 'b', repoPath: repo, path: b.path });
    const [again] = await t.database.db.select().from(s.worktrees).where(eq(s.worktrees.id, 'b'));
    expect(again?.snapshotRef).toBe('refs/dash/snapshots/b');
  });

  it('reconciles an orphan left by a crash between `git worktree add` and the row insert', async () => {
    const orphan = path.join(config.worktreeRoot, 'int-wtwtwtwtwt', 'crashed');
    gitIn(repo, 'worktree', 'add', '-q', '-b', 'dash/wt/crashed', orphan, base);
    fs.writeFileSync(path.join(orphan, 'unsaved.txt'), 'do not lose me\n');
    const reconciled = await reconcileOrphanWorktrees(deps(), { minAgeMs: 0 });
    expect(reconciled.map((r) => r.path)).toEqual([orphan]);
    expect(fs.existsSync(orphan)).toBe(false);
    expect(gitIn(repo, 'show', `${reconciled[0]!.snapshotRef}:unsaved.txt`)).toBe('do not lose me\n');
    // Active worktrees with rows are left alone.
    expect(fs.existsSync(path.join(config.worktreeRoot, 'int-wtwtwtwtwt', 'a'))).toBe(true);
    // Young orphans are left alone too: another worker may be about to insert their row.
    const young = path.join(config.worktreeRoot, 'int-wtwtwtwtwt', 'young');
    gitIn(repo, 'worktree', 'add', '-q', '-b', 'dash/wt/young', young, base);
    expect(await reconcileOrphanWorktrees(deps())).toEqual([]);
    expect(fs.existsSync(young)).toBe(true);
  });
});
