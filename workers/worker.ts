// Builds the Temporal workers of one Dash process: the orchestrator worker (workflows and short
// activities) and the agent worker (agent runs only), whose slot count is the host's limit on
// concurrent agent processes. An agent run beyond the limit waits in Temporal's queue; it is
// never dropped.
import fs from 'node:fs';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { fromRoot, runningFromDist } from '../core/paths.js';
import { agentTaskQueueOf } from '../core/task-queues.js';

export function workflowsPath(): string {
  const compiled = fromRoot('dist', 'workflows', 'index.js');
  if (runningFromDist() && fs.existsSync(compiled)) return compiled;
  return fromRoot('workflows', 'index.ts');
}

export interface DashWorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests build one and share it across workers). */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Concurrent agent processes on this host (DASH_OPENCLAW_MAX_SESSIONS). */
  maxConcurrentAgentSessions: number;
}

/** Both workers of a process, run and stopped together. */
export class DashWorkers {
  constructor(readonly workers: Worker[]) {}

  run(): Promise<void> {
    return Promise.all(this.workers.map((w) => w.run())).then(() => undefined);
  }

  shutdown(): void {
    for (const w of this.workers) if (w.getState() === 'RUNNING') w.shutdown();
  }

  getState(): string {
    return this.workers[0]!.getState();
  }
}

export async function createDashWorker(
  opts: DashWorkerOptions,
): Promise<{ worker: DashWorkers; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: opts.address });
  const activities = createActivities(opts.deps);
  const orchestrator = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: workflowsPath() }),
    shutdownGraceTime: '10s',
  });
  const agents = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: agentTaskQueueOf(opts.taskQueue),
    activities,
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentAgentSessions,
    // Time for running agents to be aborted and their process trees reaped on shutdown.
    shutdownGraceTime: '10s',
  });
  return { worker: new DashWorkers([orchestrator, agents]), connection };
}
