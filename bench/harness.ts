// The in-process Dash every benchmark runs against: its own headless Temporal dev server, the
// rehearsal LLM with the bench's scenarios, PGlite, the workers and the API.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { createApp } from '../api/app.js';
import { mintVirtualKey } from '../proxy/auth.js';
import { loadConfig, type LlmSettings } from '../core/config.js';
import { openDatabase } from '../drizzle/client.js';
import { startRehearsalServer } from '../rehearsal/server.js';
import type { Scenario } from '../rehearsal/scenario.js';
import { findTemporalCli } from '../temporal-dev/cli-binary.js';
import { freePort, startDevServer } from '../temporal-dev/dev-server.js';
import { createDashWorker, workflowsPath } from '../workers/worker.js';

/**
 * The workflows compiled next to this file, whatever the build folder is called (dist/, or
 * dist-bench/ when benchmarks are built apart from dist/); the TypeScript sources under tsx.
 */
function benchWorkflowsPath(): string {
  const compiled = fileURLToPath(new URL('../workflows/index.js', import.meta.url));
  return fs.existsSync(compiled) ? compiled : workflowsPath();
}

export async function startBenchStack(opts: { scenarios: Scenario[]; maxSessions?: number }) {
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger('WARN') });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dash-bench-home-'));
  const cli = await findTemporalCli({ configured: process.env.DASH_TEMPORAL_CLI });
  const temporal = await startDevServer({ cliPath: cli, port: await freePort(), headless: true });
  const rehearsal = await startRehearsalServer({ port: 0, scenarios: opts.scenarios });
  const config = loadConfig({
    DASH_HOME: home,
    DASH_TEMPORAL_ADDRESS: temporal.address,
    DASH_LLM_BASE_URL: `${rehearsal.url}/v1`,
    DASH_LLM_MODEL: 'rehearsal-1',
    DASH_TASK_QUEUE: 'dash-bench',
    DASH_OPENCLAW_MAX_SESSIONS: String(opts.maxSessions ?? 50),
  });
  const llm: LlmSettings = { ...config.llm, kind: 'rehearsal', apiKey: 'bench' };
  const database = await openDatabase({ dataDir: path.join(home, 'data') });
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const app = createApp({ database, temporal: client, config, llmKind: 'rehearsal' });
  // The API is closed by default; the bench calls it like any integration, with a key.
  const { key: apiKey } = await mintVirtualKey(database.db, {
    userId: 'bench',
    name: 'bench',
    scope: 'write',
  });
  const { worker, connection: native } = await createDashWorker({
    address: temporal.address,
    namespace: 'default',
    taskQueue: config.temporal.taskQueue,
    deps: { db: database.db, config, llm, temporal: client },
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: benchWorkflowsPath(),
      logger: new DefaultLogger('WARN'),
    }),
    maxConcurrentAgentSessions: config.agent.maxSessions,
  });
  const running = worker.run();
  return {
    home,
    config,
    llm,
    temporal,
    rehearsal,
    database,
    client,
    app,
    apiKey,
    async stop() {
      worker.shutdown();
      await running;
      await native.close();
      await connection.close();
      await temporal.stop();
      await rehearsal.close();
      await database.close();
    },
  };
}

export function makeBenchRepo(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dash-bench-repo-'));
  fs.writeFileSync(path.join(dir, 'README.md'), '# bench\n');
  const git = (...a: string[]) =>
    execFileSync('git', ['-C', dir, '-c', 'user.name=b', '-c', 'user.email=b@b', ...a]);
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'init');
  return fs.realpathSync(dir);
}

/** Peak resident memory of a process (VmHWM), in bytes. */
export function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Current resident memory of a process and all its descendants, in bytes. */
export function treeRss(root: number): number {
  const children = new Map<number, number[]>();
  let total = 0;
  const rss = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = fs.readFileSync(`/proc/${entry}/status`, 'utf8');
      const ppid = Number(/PPid:\s+(\d+)/.exec(status)?.[1]);
      rss.set(Number(entry), Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited while we looked
    }
  }
  const walk = (pid: number) => {
    total += rss.get(pid) ?? 0;
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return total;
}

export const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
