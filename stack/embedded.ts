// The embedded stack behind `dash up`: a Temporal dev server (unless DASH_TEMPORAL_ADDRESS points
// at a cluster), the database (PGlite unless DASH_DATABASE_URL), the rehearsal LLM when no keys
// exist, one worker and the API, all owned by this process and stopped together.
import fs from 'node:fs';
import type { RequestListener, Server } from 'node:http';
import path from 'node:path';
import { Runtime } from '@temporalio/worker';
import { createApi } from '../api/app.js';
import { attachEventSocket } from '../api/events-socket.js';
import { ensureLocalAdminKey } from '../api/local-key.js';
import { createDashServer } from '../api/node-listener.js';
import { localKeyFile } from '../core/local-key.js';
import { localApiUrl, type DashConfig } from '../core/config.js';
import { reconcileOrphanWorktrees } from '../activities/worktrees.js';
import { ensureReaperSchedule } from '../core/schedules.js';
import { connectClient, ensureSearchAttributes } from '../core/temporal.js';
import { openDatabase } from '../drizzle/client.js';
import { createProxyRuntime } from '../proxy/runtime.js';
import { findTemporalCli } from '../temporal-dev/cli-binary.js';
import { startDevServer, type DevServer } from '../temporal-dev/dev-server.js';
import { createDashWorker } from '../workers/worker.js';
import { embeddedProxyConfig } from './agent-proxy.js';
import { resolveLlm } from './llm.js';
import { clearStackState, killStaleTemporal, writeStackState } from './state.js';

export interface EmbeddedStack {
  apiUrl: string;
  temporalAddress: string;
  temporalUiUrl: string | undefined;
  llmKind: string;
  /** Resolves when the worker stops (after stop() or a fatal worker error). */
  done: Promise<void>;
  stop(): Promise<void>;
}

export async function startEmbeddedStack(
  config: DashConfig,
  log: (line: string) => void,
): Promise<EmbeddedStack> {
  fs.mkdirSync(path.join(config.home, 'logs'), { recursive: true });
  // The stack owns shutdown order (worker, then API, then Temporal), not the SDK's signal hooks.
  Runtime.install({ shutdownSignals: [] });
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const fn of cleanups.reverse())
      await fn().catch((err: unknown) => log(`shutdown step failed: ${String(err)}`));
    cleanups.length = 0;
  };
  try {
    let devServer: DevServer | undefined;
    let temporalAddress = config.temporal.address;
    if (!config.temporal.externalAddress) {
      await killStaleTemporal(config.home);
      const cliPath = await findTemporalCli({ configured: config.temporal.cliPath, onProgress: log });
      log(`Starting the Temporal dev server on ${temporalAddress} (Web UI ${config.temporal.uiUrl})...`);
      devServer = await startDevServer({
        cliPath,
        port: config.temporal.port,
        uiPort: config.temporal.uiPort,
        dbFile: path.join(config.home, 'temporal', 'temporal.db'),
        logFile: path.join(config.home, 'logs', 'temporal.log'),
        namespace: config.temporal.namespace,
      });
      temporalAddress = devServer.address;
      fs.mkdirSync(path.join(config.home, 'run'), { recursive: true });
      fs.writeFileSync(path.join(config.home, 'run', 'temporal.pid'), String(devServer.pid));
      cleanups.push(async () => {
        await devServer!.stop();
        fs.rmSync(path.join(config.home, 'run', 'temporal.pid'), { force: true });
      });
    }
    const { llm, rehearsal } = await resolveLlm(config, log);
    if (rehearsal) cleanups.push(() => rehearsal.close());
    // This stack serves the proxy, so its agents go through it unless DASH_AGENT_PROXY=off.
    const stackConfig = embeddedProxyConfig(config, llm, rehearsal, log);

    const database = await openDatabase({ url: config.databaseUrl, dataDir: path.join(config.home, 'data') });
    cleanups.push(() => database.close());
    log(
      `Database: ${database.kind === 'pglite' ? `embedded PGlite in ${path.join(config.home, 'data')}` : 'Postgres (DASH_DATABASE_URL)'}`,
    );

    const client = await connectClient(temporalAddress, config.temporal.namespace);
    cleanups.push(() => client.connection.close());
    if (config.temporal.externalAddress) await ensureSearchAttributes(client, config.temporal.namespace);
    await ensureReaperSchedule(client, config.temporal.taskQueue);

    const orphans = await reconcileOrphanWorktrees({ db: database.db, config });
    for (const o of orphans)
      log(`Removed orphaned worktree ${o.path} (its state is kept at ${o.snapshotRef}).`);

    const { worker, connection } = await createDashWorker({
      address: temporalAddress,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      deps: { db: database.db, config: stackConfig, llm, temporal: client },
      maxConcurrentAgentSessions: config.agent.maxSessions,
    });
    const done = worker.run();
    cleanups.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done.catch(() => undefined);
      await connection.close();
    });

    if (await ensureLocalAdminKey(database.db, config))
      log(`Made a local admin key for the API in ${localKeyFile(config)} (the CLI uses it).`);
    const proxy = createProxyRuntime(stackConfig, database);
    // Closed after the server (cleanups run in reverse): its queued audit rows are written.
    cleanups.push(() => proxy.close());
    const { listener } = createApi(
      { database, temporal: client, config: stackConfig, llmKind: llm.kind },
      proxy,
    );
    const server = await listen(listener, config.api.host, config.api.port);
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    // The /events WebSocket; its sockets close before the server (cleanups run in reverse).
    const eventSocket = attachEventSocket(server, {
      database,
      jwtSecret: config.proxy.jwtSecret,
    });
    cleanups.push(() => eventSocket.close());
    const apiUrl = localApiUrl(config.api.host, config.api.port);
    writeStackState(config.home, {
      pid: process.pid,
      apiUrl,
      temporalAddress,
      temporalUiUrl: devServer?.uiUrl ?? config.temporal.uiUrl,
      startedAt: new Date().toISOString(),
    });
    cleanups.push(async () => clearStackState(config.home, process.pid));
    return {
      apiUrl,
      temporalAddress,
      temporalUiUrl: devServer?.uiUrl ?? config.temporal.uiUrl,
      llmKind: llm.kind,
      done,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function listen(listener: RequestListener, hostname: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createDashServer(listener);
    server.listen(port, hostname, () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`Port ${port} is in use; set DASH_PORT or stop what holds it.`)
          : err,
      ),
    );
  });
}
