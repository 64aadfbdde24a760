// Dependency directories per worktree: heavy shared ones (node_modules, .venv) are symlinked to
// the main checkout so fifty worktrees do not mean fifty installs; per-worktree ones (.env) are
// copied so an agent's edits stay its own. Neither is ever committed (see stageAll).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { git, gitStatus } from '../core/git.js';

export interface DependencySpec {
  shared: string[];
  isolated: string[];
}

export const DEFAULT_DEPENDENCIES: DependencySpec = { shared: ['node_modules', '.venv'], isolated: ['.env'] };

export function parseDependencyList(value: string | undefined, fallback: string[]): string[] {
  if (value === undefined) return fallback;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('/') && !s.split('/').includes('..'));
}

export async function prepareDependencies(
  repoPath: string,
  worktreePath: string,
  spec: DependencySpec,
): Promise<{ linked: string[]; copied: string[] }> {
  const tracked = async (entry: string) => (await git(repoPath).raw(['ls-files', '--', entry])).trim() !== '';
  const linked: string[] = [];
  const copied: string[] = [];
  for (const entry of spec.shared) {
    const source = path.join(repoPath, entry);
    const target = path.join(worktreePath, entry);
    if (!fs.existsSync(source) || (await tracked(entry))) continue;
    if (fs.existsSync(target) || isSymlink(target)) fs.rmSync(target, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.symlinkSync(source, target);
    linked.push(entry);
  }
  for (const entry of spec.isolated) {
    const source = path.join(repoPath, entry);
    const target = path.join(worktreePath, entry);
    if (!fs.existsSync(source) || (await tracked(entry))) continue;
    // Already there on a retried create: it is our copy, possibly edited by the agent; keep it.
    if (!fs.existsSync(target)) {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.cpSync(source, target, { recursive: true });
    }
    copied.push(entry);
  }
  return { linked, copied };
}

/**
 * Stages everything in a worktree except the linked and copied dependency entries. They are
 * excluded through an excludes file, not `:(exclude)` pathspecs: git refuses a pathspec that
 * names an ignored path (exit 1, "paths are ignored"), and node_modules and .env usually are.
 */
export async function stageAll(dir: string, entries: string[], env?: NodeJS.ProcessEnv): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dash-excludes-'));
  try {
    const file = path.join(tmp, 'exclude');
    fs.writeFileSync(file, entries.map((e) => `/${e}\n`).join(''));
    const r = await gitStatus(dir, ['-c', `core.excludesFile=${file}`, 'add', '-A', '--', '.'], {
      ...(env && { env }),
    });
    if (r.code !== 0) throw new Error(`git add failed in ${dir}: ${r.stderr.trim()}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
