// An in-process Dash for tests: the real rehearsal server, a real database, a real worker on
// the shared Temporal dev server (on a task queue of its own) and the real Hono app.
import crypto from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { inject } from 'vitest';
import { createApp } from '../../api/app.js';
import { mintVirtualKey } from '../../proxy/auth.js';
import { loadConfig, type DashConfig, type LlmSettings } from '../../core/config.js';
import { startRehearsalServer, type RehearsalServer } from '../../rehearsal/server.js';
import type { Scenario } from '../../rehearsal/scenario.js';
import { createDashWorker, workflowsPath, type DashWorkers } from '../../workers/worker.js';
import { createTestDatabase, type DbKind, type TestDatabase } from './databases.js';
import { spawnNode, type Spawned } from './processes.js';
import { tempDir } from './repo.js';

// Worker state changes at INFO drown the test output; warnings and errors still show.
Runtime.install({ logger: new DefaultLogger('WARN') });

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
export const workflowBundle = () =>
  (bundle ??= bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quietLogger }));

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
};

export interface TestStack {
  config: DashConfig;
  llm: LlmSettings;
  rehearsal: RehearsalServer;
  db: TestDatabase;
  client: Client;
  /** The app, sending the stack's admin key with every request that carries no key of its own. */
  app: ReturnType<typeof createApp>;
  /** The app as it is: no key is added (auth tests). */
  rawApp: ReturnType<typeof createApp>;
  /** An admin key of the default tenant. */
  apiKey: string;
  worker: DashWorkers | undefined;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestStackOptions {
  dbKind?: DbKind;
  scenarios?: Scenario[];
  env?: Record<string, string>;
  /** Start the in-process worker (default true). */
  worker?: boolean;
}

export async function startTestStack(opts: TestStackOptions = {}): Promise<TestStack> {
  const home = tempDir('dash-home-');
  const taskQueue = `dash-test-${crypto.randomBytes(4).toString('hex')}`;
  const address = inject('temporalAddress');
  const rehearsal = await startRehearsalServer({ port: 0, scenarios: opts.scenarios });
  const config = loadConfig({
    DASH_HOME: home,
    DASH_TEMPORAL_ADDRESS: address,
    DASH_TASK_QUEUE: taskQueue,
    DASH_WORKTREE_ROOT: path.join(home, 'worktrees'),
    DASH_AGENT_HEARTBEAT_TIMEOUT_MS: '5000',
    DASH_LLM_BASE_URL: `${rehearsal.url}/v1`,
    DASH_LLM_MODEL: 'rehearsal-1',
    // The proxy's offline provider, for agents routed through it (DASH_AGENT_PROXY=on).
    DASH_PROXY_REHEARSAL_URL: `${rehearsal.url}/v1`,
    ...opts.env,
  });
  const llm: LlmSettings = { ...config.llm, kind: 'rehearsal', apiKey: 'rehearsal-test-key' };
  const db = await createTestDatabase(opts.dbKind ?? 'pglite');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const rawApp = createApp({ database: db.database, temporal: client, config, llmKind: llm.kind });
  // Tests talk to the API as an admin of the default tenant unless they send a key of their own.
  const { key: apiKey } = await mintVirtualKey(db.database.db, {
    tenantId: 'default',
    userId: 'test-admin',
    name: 'test stack admin',
    scope: 'admin',
  });
  const app = withDefaultKey(rawApp, apiKey);
  let running: { worker: DashWorkers; done: Promise<void>; close: () => Promise<void> } | undefined;
  const stack: TestStack = {
    config,
    llm,
    rehearsal,
    db,
    client,
    app,
    rawApp,
    apiKey,
    get worker() {
      return running?.worker;
    },
    async startWorker() {
      if (running) return;
      const { worker, connection: native } = await createDashWorker({
        address,
        namespace: config.temporal.namespace,
        taskQueue,
        deps: { db: db.database.db, config, llm, temporal: client },
        maxConcurrentAgentSessions: config.agent.maxSessions,
        workflowBundle: await workflowBundle(),
      });
      running = { worker, done: worker.run(), close: () => native.close() };
    },
    async stopWorker() {
      if (!running) return;
      const r = running;
      running = undefined;
      r.worker.shutdown();
      await r.done;
      await r.close();
    },
    async stop() {
      await stack.stopWorker();
      await connection.close();
      await rehearsal.close();
      await db.drop();
    },
  };
  if (opts.worker !== false) await stack.startWorker();
  return stack;
}

/**
 * A real `dash` worker process (the built dist/workers/main.js) for this stack, as a deployment
 * runs it: the durability tests SIGKILL it mid-run and start another.
 */
export function startWorkerProcess(stack: TestStack): Spawned {
  return spawnNode('dist/workers/main.js', [], {
    DASH_HOME: stack.config.home,
    DASH_DATABASE_URL: stack.db.url,
    DASH_TEMPORAL_ADDRESS: stack.config.temporal.address,
    DASH_TASK_QUEUE: stack.config.temporal.taskQueue,
    DASH_WORKTREE_ROOT: stack.config.worktreeRoot,
    DASH_LLM_BASE_URL: stack.llm.baseUrl!,
    DASH_LLM_MODEL: 'rehearsal-1',
    DASH_AGENT_HEARTBEAT_TIMEOUT_MS: '5000',
  });
}

/** `app` with `key` as the bearer token of every request (in-process or served) that has none. */
export function withDefaultKey<App extends ReturnType<typeof createApp>>(app: App, key: string): App {
  const keyed = (headers: ConstructorParameters<typeof Headers>[0]) => {
    const h = new Headers(headers);
    if (!h.has('authorization') && !h.has('x-api-key')) h.set('authorization', `Bearer ${key}`);
    return h;
  };
  return new Proxy(app, {
    get(target, prop, receiver) {
      if (prop === 'request')
        return (input: string | Request, init?: RequestInit, ...rest: unknown[]) =>
          typeof input === 'string'
            ? (target.request as (...a: unknown[]) => unknown)(
                input,
                { ...init, headers: keyed(init?.headers) },
                ...rest,
              )
            : (target.request as (...a: unknown[]) => unknown)(
                new Request(input, { headers: keyed(input.headers) }),
                init,
                ...rest,
              );
      if (prop === 'fetch')
        return (req: Request, ...rest: unknown[]) => {
          // The proxy reads bodies straight from the node request, which a copy would drain: its
          // requests, and any carrying a key, pass through as they came.
          const untouched =
            req.headers.has('authorization') ||
            req.headers.has('x-api-key') ||
            new URL(req.url).pathname.startsWith('/proxy');
          return (target.fetch as (...a: unknown[]) => unknown)(
            untouched
              ? req
              : new Request(req, { headers: keyed(req.headers), duplex: 'half' } as RequestInit),
            ...rest,
          );
        };
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}
