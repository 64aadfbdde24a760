// An intent: plan it, run one agent session per task (a child workflow each, ordered by the
// plan's dependencies), then merge the task branches into one result branch.
import {
  ApplicationFailure,
  CancellationScope,
  defineQuery,
  executeChild,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { DashActivities } from '../activities/index.js';
import { projection, quick } from './activity-proxies.js';
import { AgentSessionWorkflow } from './agent-session-workflow.js';
import { DashIntentId, DashKind, DashRepo, DashStatus } from './search-attributes.js';
import type { IntentInput, IntentResult, PlannedTaskInput, SessionResult, Usage } from './types.js';

const planner = proxyActivities<DashActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '10 seconds',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['LlmRejected'],
  },
});

export type IntentPhase = 'planning' | 'running' | 'merging' | 'completed' | 'failed' | 'cancelled';

export interface IntentProgress {
  phase: IntentPhase;
  tasks: { key: string; title: string; status: 'pending' | 'running' | 'completed' | 'failed' }[];
  usage: Usage;
  resultBranch?: string;
  error?: string;
}

export const intentProgressQuery = defineQuery<IntentProgress>('intentProgress');

export const resultBranchOf = (intentId: string) => `dash/${intentId}/result`;
export const taskBranchOf = (intentId: string, key: string) => `dash/${intentId}/task-${key}`;

export async function IntentWorkflow(input: IntentInput): Promise<IntentResult> {
  const progress: IntentProgress = { phase: 'planning', tasks: [], usage: { input: 0, output: 0, cost: 0 } };
  setHandler(intentProgressQuery, () => progress);
  const setPhase = (phase: IntentPhase) => {
    progress.phase = phase;
    upsertSearchAttributes([{ key: DashStatus, value: phase }]);
  };
  upsertSearchAttributes([
    { key: DashKind, value: 'intent' },
    { key: DashIntentId, value: input.intentId },
    { key: DashRepo, value: input.repoPath.slice(-200) },
  ]);
  try {
    setPhase('planning');
    await projection.markIntent({ intentId: input.intentId, status: 'planning' });
    const plan = await planner.planIntent({
      intentId: input.intentId,
      text: input.text,
      repoPath: input.repoPath,
    });
    addUsage(progress.usage, plan.usage);
    progress.tasks = plan.tasks.map((t) => ({ key: t.id, title: t.title, status: 'pending' }));
    await projection.savePlan({
      intentId: input.intentId,
      summary: plan.summary,
      tasks: plan.tasks,
      usage: progress.usage,
    });

    setPhase('running');
    await projection.markIntent({ intentId: input.intentId, status: 'running' });
    const sessions = await runTasks(input, plan.tasks, progress);

    setPhase('merging');
    await projection.markIntent({ intentId: input.intentId, status: 'merging', usage: progress.usage });
    const resultBranch = resultBranchOf(input.intentId);
    const merged = await quick.mergeBranches({
      intentId: input.intentId,
      repoPath: input.repoPath,
      baseSha: input.baseSha,
      branches: plan.tasks.map((t) => taskBranchOf(input.intentId, t.id)),
      target: resultBranch,
      message: `Intent ${input.intentId}: ${input.text}`,
    });
    progress.resultBranch = resultBranch;
    await projection.markIntent({
      intentId: input.intentId,
      status: 'completed',
      resultBranch,
      resultCommit: merged.commit,
      filesChanged: merged.filesChanged,
      usage: progress.usage,
    });
    setPhase('completed');
    return {
      intentId: input.intentId,
      resultBranch,
      resultCommit: merged.commit,
      filesChanged: merged.filesChanged,
      usage: progress.usage,
      sessions,
    };
  } catch (err) {
    const cancelled = isCancellation(err);
    progress.error = describe(err);
    await CancellationScope.nonCancellable(async () => {
      setPhase(cancelled ? 'cancelled' : 'failed');
      await projection.markIntent({
        intentId: input.intentId,
        status: cancelled ? 'cancelled' : 'failed',
        usage: progress.usage,
        error: { code: cancelled ? 'cancelled' : failureType(err), message: progress.error ?? '' },
      });
    });
    throw err;
  }
}

/** Starts each task as soon as its dependencies are done; independent tasks run in parallel. */
async function runTasks(
  input: IntentInput,
  tasks: PlannedTaskInput[],
  progress: IntentProgress,
): Promise<SessionResult[]> {
  const started = new Map<string, Promise<SessionResult>>();
  const start = (task: PlannedTaskInput): Promise<SessionResult> => {
    const existing = started.get(task.id);
    if (existing) return existing;
    const run = (async () => {
      const deps = await Promise.all(task.dependsOn.map((d) => start(tasks.find((t) => t.id === d)!)));
      const baseSha = await baseFor(input, task, deps);
      const entry = progress.tasks.find((t) => t.key === task.id)!;
      entry.status = 'running';
      try {
        const result = await executeChild(AgentSessionWorkflow, {
          workflowId: `${input.intentId}-task-${task.id}`,
          args: [
            {
              intentId: input.intentId,
              taskKey: task.id,
              taskId: `${input.intentId}-${task.id}`,
              sessionId: `${input.intentId}-${task.id}`,
              repoPath: input.repoPath,
              baseSha,
              branch: taskBranchOf(input.intentId, task.id),
              title: task.title,
              prompt: task.prompt,
              role: task.role,
              runtime: task.runtime,
              worktreeRoot: input.worktreeRoot,
              agentTaskQueue: input.agentTaskQueue,
              cleanup: input.cleanup,
              worktreeTtlMs: input.worktreeTtlMs,
              heartbeatTimeoutMs: input.agentHeartbeatTimeoutMs,
              timeoutMs: input.agentTimeoutMs,
            },
          ],
        });
        entry.status = 'completed';
        addUsage(progress.usage, result.usage);
        return result;
      } catch (err) {
        entry.status = 'failed';
        throw err;
      }
    })();
    started.set(task.id, run);
    return run;
  };
  return Promise.all(tasks.map(start));
}

/** A task builds on its dependencies' work: one dependency is its base, several are merged first. */
async function baseFor(input: IntentInput, task: PlannedTaskInput, deps: SessionResult[]): Promise<string> {
  if (deps.length === 0) return input.baseSha;
  if (deps.length === 1) return deps[0]!.commit;
  const merged = await quick.mergeBranches({
    intentId: input.intentId,
    repoPath: input.repoPath,
    baseSha: input.baseSha,
    branches: deps.map((d) => d.branch),
    target: `dash/${input.intentId}/base-${task.id}`,
    message: `Intent ${input.intentId}: base for task ${task.id}`,
  });
  return merged.commit;
}

function addUsage(total: Usage, u: Usage): void {
  total.input += u.input;
  total.output += u.output;
  total.cost += u.cost;
}

function failureType(err: unknown): string {
  let cur: unknown = err;
  while (cur instanceof Error) {
    if (cur instanceof ApplicationFailure && cur.type) return cur.type;
    cur = (cur as { cause?: unknown }).cause;
  }
  return 'intent_failed';
}

function describe(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  while (cur instanceof Error && parts.length < 5) {
    parts.push(cur.message);
    cur = (cur as { cause?: unknown }).cause;
  }
  return parts.filter(Boolean).join(': ') || String(err);
}
