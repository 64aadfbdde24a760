// Runs a shell command (an acceptance check, a merge gate) in a directory with a time limit and
// keeps the tail of its output. The command leads its own process group, so a timeout kills
// everything it started, not just the shell.
import { spawn } from 'node:child_process';

export interface ShellResult {
  command: string;
  exitCode: number | null;
  timedOut: boolean;
  /** stdout and stderr interleaved, last 8 KB. */
  output: string;
  ms: number;
}

const OUTPUT_TAIL = 8 * 1024;

export function runShell(
  command: string,
  opts: { cwd: string; env?: Record<string, string>; timeoutMs: number },
): Promise<ShellResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', command], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env, CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-OUTPUT_TAIL);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, opts.timeoutMs);
    const finish = (exitCode: number | null) => {
      clearTimeout(timer);
      resolve({ command, exitCode, timedOut, output, ms: Date.now() - started });
    };
    child.once('error', (err) => {
      output += `\n${err.message}`;
      finish(null);
    });
    child.once('close', (code) => finish(code));
  });
}

export const passed = (r: ShellResult) => r.exitCode === 0 && !r.timedOut;
