// Builds the Temporal worker that hosts Dash's workflows and activities.
import fs from 'node:fs';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { fromRoot, runningFromDist } from '../core/paths.js';

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
  maxConcurrentAgentSessions?: number;
}

export async function createDashWorker(
  opts: DashWorkerOptions,
): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: opts.address });
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(opts.deps),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: workflowsPath() }),
    // Each running agent is a process using real CPU and memory: bound them per host.
    maxConcurrentActivityTaskExecutions: Math.max(4, (opts.maxConcurrentAgentSessions ?? 8) + 4),
    // Let agents be aborted and their processes reaped when the worker is asked to stop.
    shutdownGraceTime: '10s',
  });
  return { worker, connection };
}
