// A standalone worker process: `node dist/workers/main.js`. For deployments with many worker
// hosts sharing Postgres and a Temporal cluster (PGlite cannot be shared between processes).
import { Runtime } from '@temporalio/worker';
import { reconcileOrphanWorktrees } from '../activities/worktrees.js';
import { loadConfig } from '../core/config.js';
import { ensureReaperSchedule } from '../core/schedules.js';
import { connectClient } from '../core/temporal.js';
import { openDatabase } from '../drizzle/client.js';
import { resolveLlm } from '../stack/llm.js';
import { createDashWorker } from './worker.js';

const log = (line: string) => console.log(`[dash worker] ${line}`);
const config = loadConfig();
if (!config.databaseUrl) {
  console.error(
    '[dash worker] DASH_DATABASE_URL is required for a standalone worker (embedded PGlite belongs to `dash up`).',
  );
  process.exit(2);
}
Runtime.install({ shutdownSignals: [] });
const database = await openDatabase({ url: config.databaseUrl });
const { llm, rehearsal } = await resolveLlm(config, log);
const client = await connectClient(config.temporal.address, config.temporal.namespace);
await ensureReaperSchedule(client, config.temporal.taskQueue);
for (const o of await reconcileOrphanWorktrees({ db: database.db, config })) {
  log(`removed orphaned worktree ${o.path} (its state is kept at ${o.snapshotRef})`);
}
const { worker, connection } = await createDashWorker({
  address: config.temporal.address,
  namespace: config.temporal.namespace,
  taskQueue: config.temporal.taskQueue,
  deps: { db: database.db, config, llm, temporal: client },
  maxConcurrentAgentSessions: config.agent.maxSessions,
});
const stop = () => {
  log('stopping: running agents get the shutdown grace time to finish');
  if (worker.getState() === 'RUNNING') worker.shutdown();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
log(`polling ${config.temporal.taskQueue} on ${config.temporal.address} (LLM: ${llm.kind})`);
try {
  await worker.run();
} finally {
  await connection.close();
  await client.connection.close();
  await rehearsal?.close();
  await database.close();
}
