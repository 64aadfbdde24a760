// Real git repositories for tests, in temporary directories.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tempDir(prefix = 'dash-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function gitIn(repo: string, ...args: string[]): string {
  return execFileSync(
    'git',
    ['-C', repo, '-c', 'user.name=Test', '-c', 'user.email=test@localhost', ...args],
    { encoding: 'utf8' },
  );
}

export function makeRepo(files: Record<string, string>, opts: { branch?: string } = {}): string {
  const repo = tempDir('dash-repo-');
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    fs.writeFileSync(path.join(repo, file), content);
  }
  gitIn(repo, 'init', '-q', '-b', opts.branch ?? 'main');
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'initial');
  return fs.realpathSync(repo);
}

/** The greeter demo shipped with Dash, as a fresh repository. */
export function makeDemoRepo(): string {
  const source = path.resolve(import.meta.dirname, '..', '..', 'demo', 'greeter');
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files[path.relative(source, full)] = fs.readFileSync(full, 'utf8');
    }
  };
  walk(source);
  return makeRepo(files);
}

/** Makes `branch` from `from` with one file written, as an agent's committed work would be. */
export function branchWith(
  repo: string,
  branch: string,
  from: string,
  file: string,
  content: string,
): string {
  const wt = path.join(tempDir(), 'wt');
  gitIn(repo, 'worktree', 'add', '-q', '-b', branch, wt, from);
  fs.writeFileSync(path.join(wt, file), content);
  gitIn(wt, 'add', '-A');
  gitIn(wt, 'commit', '-q', '-m', `${branch}: ${file}`);
  gitIn(repo, 'worktree', 'remove', '--force', wt);
  return gitIn(repo, 'rev-parse', branch).trim();
}
