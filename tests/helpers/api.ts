// Talking to Dash the way users do in tests: JSON requests to the Hono app, and the built `dash`
// binary as a subprocess with its exit status, stdout and stderr.
import { execFile } from 'node:child_process';
import { requireBuild } from './processes.js';

interface RequestTarget {
  request(url: string, init?: RequestInit): Response | Promise<Response>;
}

/**
 * Sends a request to the app; a string body is sent as is (for malformed JSON), anything else as
 * JSON. The reply body is parsed as JSON.
 */
export async function callApi(
  app: RequestTarget,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const res = await app.request(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

export interface DashRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `dash` binary with exactly this environment. */
export function runDash(args: string[], env: NodeJS.ProcessEnv): Promise<DashRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [requireBuild('bin/run.js'), ...args],
      { env, timeout: 170_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * Runs the built `dash` binary on a real terminal: util-linux `script` gives it a pseudo-tty, so
 * what a person sees (escape sequences included) comes back as stdout.
 */
export function runDashOnTty(args: string[], env: NodeJS.ProcessEnv): Promise<DashRun> {
  const quote = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
  const command = [process.execPath, requireBuild('bin/run.js'), ...args].map(quote).join(' ');
  return new Promise((resolve) => {
    execFile(
      'script',
      ['-qec', command, '/dev/null'],
      { env: { ...env, COLUMNS: '100' }, timeout: 170_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
