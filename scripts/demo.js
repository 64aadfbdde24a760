#!/usr/bin/env node
// `npm run demo`: copies the shipped demo repository to a fresh git repo and runs `dash do` on it
// with the embedded defaults (Temporal dev server, PGlite, rehearsal LLM when no keys are set).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const home = process.env.DASH_HOME || path.join(os.homedir(), '.dash');
const repo =
  process.env.DASH_DEMO_DIR ||
  path.join(home, 'demo', `greeter-${new Date().toISOString().replace(/[:.]/g, '-')}`);
const intent = process.argv[2] || 'Add a greet(name) function with a unit test and document it in the README';

fs.rmSync(repo, { recursive: true, force: true });
fs.mkdirSync(path.dirname(repo), { recursive: true });
fs.cpSync(path.join(root, 'demo', 'greeter'), repo, { recursive: true });
const git = (...args) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });
git('init', '-q', '-b', 'main');
git('add', '-A');
git(
  '-c',
  'user.name=Dash Demo',
  '-c',
  'user.email=demo@localhost',
  'commit',
  '-q',
  '-m',
  'greeter: initial commit',
);
console.log(`Demo repository: ${repo}\n`);

const run = spawnSync(process.execPath, [path.join(root, 'bin', 'run.js'), 'do', intent, '--repo', repo], {
  stdio: 'inherit',
});
if (run.status !== 0) process.exit(run.status ?? 1);

console.log('\nBranches Dash made in the demo repository:');
console.log(git('branch', '--list', 'dash/*'));
const result = git('branch', '--list', 'dash/*/result', '--format=%(refname:short)').trim().split('\n').pop();
if (result) console.log(git('log', '--oneline', '--graph', `main..${result}`));

// Show the runs as Temporal records them (the same list the Web UI shows).
const cli = [
  process.env.DASH_TEMPORAL_CLI,
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'dash', 'bin', 'temporal'),
].find((p) => p && fs.existsSync(p));
if (cli && !process.env.DASH_TEMPORAL_ADDRESS) {
  const port = process.env.DASH_TEMPORAL_PORT || '7233';
  console.log('temporal workflow list (most recent first):');
  spawnSync(cli, ['workflow', 'list', '--address', `127.0.0.1:${port}`, '--limit', '10'], {
    stdio: 'inherit',
  });
}
console.log('\nThe stack keeps running so the Web UI links work; stop it with: node bin/run.js down');
