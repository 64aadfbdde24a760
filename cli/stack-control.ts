// Finding or starting the embedded stack from CLI commands that need the API.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { DashConfig } from '../core/config.js';
import { fromRoot } from '../core/paths.js';
import type { DashClient } from '../sdk/client.js';
import { readStackState } from '../stack/state.js';
import { findTemporalCli } from '../temporal-dev/cli-binary.js';

export async function apiIsLive(client: DashClient): Promise<boolean> {
  try {
    await client.live();
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `dash up` detached, logging to ~/.dash/logs/stack.log, and waits until it is ready. It
 * keeps running after this command ends so the Web UI link stays valid; `dash down` stops it.
 */
export async function startBackgroundStack(
  config: DashConfig,
  client: DashClient,
  progress: (line: string) => void,
): Promise<void> {
  if (!config.temporal.externalAddress) {
    // Build the Temporal CLI here, in the foreground, so its progress is visible.
    await findTemporalCli({ configured: config.temporal.cliPath, onProgress: progress });
  }
  const logFile = path.join(config.home, 'logs', 'stack.log');
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [fromRoot('bin', 'run.js'), 'up'], {
    detached: true,
    stdio: ['ignore', out, out],
    env: process.env,
  });
  fs.closeSync(out);
  child.unref();
  progress(`Starting the embedded Dash stack in the background (pid ${child.pid}, log ${logFile})...`);
  let exitCode: number | null | undefined;
  child.once('exit', (code) => (exitCode = code ?? -1));
  const started = Date.now();
  let lastNote = started;
  for (;;) {
    if (exitCode !== undefined) {
      throw new Error(
        `The embedded stack exited during start (code ${exitCode}). Last log lines:\n${tail(logFile, 20)}`,
      );
    }
    if (await apiIsLive(client)) {
      const ready = await client.ready().catch(() => undefined);
      if (ready?.status === 'ready') break;
    }
    if (Date.now() - started > 180_000) {
      throw new Error(
        `The embedded stack did not become ready within 3 minutes. Last log lines:\n${tail(logFile, 20)}`,
      );
    }
    if (Date.now() - lastNote > 10_000) {
      progress(`  still starting (${Math.round((Date.now() - started) / 1000)} s)...`);
      lastNote = Date.now();
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  const state = readStackState(config.home);
  progress(
    `Embedded stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s: API ${config.api.url}, Temporal Web UI ${state?.temporalUiUrl ?? config.temporal.uiUrl}. Stop it with \`dash down\`.`,
  );
}

function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
