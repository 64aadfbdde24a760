// Finds the Temporal CLI or builds the pinned version from Go modules. Nothing is downloaded as a
// prebuilt binary: the build goes through `go install`, and the result is cached outside the clone.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const TEMPORAL_CLI_VERSION = '1.5.1';
const MODULE = 'github.com/temporalio/cli/cmd/temporal';

export function cacheBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'dash', 'bin');
}

export async function cliVersion(cliPath: string): Promise<string | undefined> {
  try {
    const { stdout } = await run(cliPath, ['--version'], { timeout: 15_000 });
    return /temporal version (\S+)/.exec(stdout)?.[1];
  } catch {
    return undefined;
  }
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      await fs.promises.access(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface FindCliOptions {
  /** DASH_TEMPORAL_CLI: used as is when set. */
  configured?: string | undefined;
  /** Build with `go install` when nothing is found (default true). */
  build?: boolean;
  onProgress?: (line: string) => void;
}

/** Order: DASH_TEMPORAL_CLI, a `temporal` on PATH, the cached pinned build, a fresh build. */
export async function findTemporalCli(opts: FindCliOptions = {}): Promise<string> {
  if (opts.configured) {
    if (!(await cliVersion(opts.configured))) {
      throw new Error(
        `DASH_TEMPORAL_CLI=${opts.configured} is not a working Temporal CLI (\`--version\` failed).`,
      );
    }
    return opts.configured;
  }
  const fromPath = await onPath('temporal');
  if (fromPath && (await cliVersion(fromPath))) return fromPath;
  const cached = path.join(cacheBinDir(), 'temporal');
  if ((await cliVersion(cached)) === TEMPORAL_CLI_VERSION) return cached;
  if (opts.build === false) {
    throw new Error(
      `No Temporal CLI found. Run \`npm run temporal:cli\` to build v${TEMPORAL_CLI_VERSION} with Go, or set DASH_TEMPORAL_CLI.`,
    );
  }
  await buildTemporalCli(cacheBinDir(), opts.onProgress ?? ((l) => process.stderr.write(`${l}\n`)));
  return cached;
}

export async function buildTemporalCli(binDir: string, onProgress: (line: string) => void): Promise<void> {
  const go = await onPath('go');
  if (!go) {
    throw new Error(
      'The Temporal CLI is not installed and Go is not on PATH to build it. Install Go >= 1.25, or set DASH_TEMPORAL_CLI to an existing `temporal` binary, or DASH_TEMPORAL_ADDRESS to a running cluster.',
    );
  }
  fs.mkdirSync(binDir, { recursive: true });
  onProgress(
    `Building the Temporal CLI v${TEMPORAL_CLI_VERSION} with go install into ${binDir} (first run only; a few minutes on 2 cores)...`,
  );
  const started = Date.now();
  const child = spawn(
    go,
    [
      'install',
      '-ldflags',
      `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
      `${MODULE}@v${TEMPORAL_CLI_VERSION}`,
    ],
    { env: { ...process.env, CGO_ENABLED: '0', GOBIN: binDir }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const ticker = setInterval(
    () => onProgress(`  still building (${Math.round((Date.now() - started) / 1000)} s)...`),
    30_000,
  );
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(ticker);
  if (code !== 0) {
    throw new Error(`go install of the Temporal CLI failed (exit ${code}):\n${output.slice(-4000)}`);
  }
  onProgress(
    `Built the Temporal CLI v${TEMPORAL_CLI_VERSION} in ${Math.round((Date.now() - started) / 1000)} s.`,
  );
}
