// Starts `temporal server start-dev` on loopback, waits until it answers, and stops it cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { dashSearchAttributes } from '../workflows/search-attributes.js';

export interface DevServerOptions {
  cliPath: string;
  port: number;
  /** Web UI port; omitted with `headless`. */
  uiPort?: number;
  headless?: boolean;
  /** SQLite file for durable state; omitted = in memory. */
  dbFile?: string;
  namespace?: string;
  logFile?: string;
  /** Spawn in its own process group so it outlives the parent (background stacks). */
  detached?: boolean;
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  pid: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  if (!(await isPortFree(opts.port))) {
    throw new Error(`Port ${opts.port} is already in use; set DASH_TEMPORAL_PORT or stop what holds it.`);
  }
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--log-level',
    'warn',
  ];
  args.push('--namespace', opts.namespace ?? 'default');
  if (opts.headless || opts.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(opts.uiPort));
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  for (const key of dashSearchAttributes) args.push('--search-attribute', `${key.name}=Keyword`);
  // Same dynamic config the SDK's test environment uses, so updates behave alike everywhere.
  for (const kv of [
    'frontend.enableUpdateWorkflowExecution=true',
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
    'frontend.enableServerVersionCheck=false',
  ]) {
    args.push('--dynamic-config-value', kv);
  }
  const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(opts.cliPath, args, { stdio: ['ignore', out, out], detached: opts.detached ?? false });
  if (typeof out === 'number') fs.closeSync(out);
  const address = `127.0.0.1:${opts.port}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await Promise.race([
      waitForTemporal(address, opts.startTimeoutMs ?? 60_000),
      exited.then((code) => {
        throw new Error(
          `temporal server start-dev exited early with code ${code}${opts.logFile ? ` (see ${opts.logFile})` : ''}`,
        );
      }),
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  if (opts.detached) child.unref();
  return {
    address,
    uiUrl: opts.headless || opts.uiPort === undefined ? undefined : `http://127.0.0.1:${opts.uiPort}`,
    pid: child.pid!,
    process: child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls until the frontend answers a real RPC (not just an open port). */
export async function waitForTemporal(address: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (await temporalHealthy(address).catch((e: unknown) => ((lastError = e), false))) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `Temporal at ${address} did not become healthy within ${timeoutMs} ms: ${String(lastError ?? 'no answer')}`,
  );
}

export async function temporalHealthy(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 2_000 });
  try {
    await connection.workflowService.getSystemInfo({});
    return true;
  } finally {
    await connection.close();
  }
}
