// An intent: plan it, then run the plan as a swarm (workflows/swarm.ts): one agent session per
// task, ordered by the plan's dependencies, each merged through the gate into the result branch
// as soon as it is done.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineUpdate,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { DashActivities } from '../activities/index.js';
import { projection, quick } from './activity-proxies.js';
import { DashIntentId, DashKind, DashRepo, DashStatus } from './search-attributes.js';
import {
  addUsage,
  describe,
  failureCode,
  integrationBranchOf,
  runSwarm,
  SwarmHold,
  taskBranchOf,
  type SwarmState,
} from './swarm.js';
import type { IntentInput, IntentResult } from './types.js';

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

export type IntentPhase =
  | 'planning'
  | 'awaiting_approval'
  | 'running'
  | 'paused'
  | 'completed'
  | 'failed'
  | 'budget_exceeded'
  | 'cancelled';

export interface IntentProgress extends SwarmState {
  phase: IntentPhase;
  resultBranch?: string;
  gate?: string;
  error?: string;
  /** What a cancelled intent undid, in order. */
  compensations?: string[];
}

export const intentProgressQuery = defineQuery<IntentProgress>('intentProgress');
/** Approve or reject the plan of an intent started with approvePlan, before any agent starts. */
export const planDecisionUpdate = defineUpdate<
  { approved: boolean },
  [{ approve: boolean; reason?: string }]
>('planDecision');
/** Pause: no session starts and running ones pause their agents; resume lets them go on. */
export const pauseSwarmUpdate = defineUpdate<{ paused: true; held: number }, []>('pauseSwarm');
export const resumeSwarmUpdate = defineUpdate<{ resumed: true; released: number }, []>('resumeSwarm');

export const resultBranchOf = integrationBranchOf;
export { taskBranchOf };

export async function IntentWorkflow(input: IntentInput): Promise<IntentResult> {
  const progress: IntentProgress = {
    phase: 'planning',
    tasks: [],
    usage: { input: 0, output: 0, cost: 0 },
    merged: [],
    running: 0,
  };
  setHandler(intentProgressQuery, () => progress);
  const setPhase = (phase: IntentPhase) => {
    progress.phase = phase;
    upsertSearchAttributes([{ key: DashStatus, value: phase }]);
  };
  let decision: { approve: boolean; reason?: string } | undefined;
  setHandler(
    planDecisionUpdate,
    (d) => {
      decision = d;
      return Promise.resolve({ approved: d.approve });
    },
    {
      validator: (d) => {
        if (typeof d?.approve !== 'boolean') throw new Error('A plan decision needs approve: true or false.');
        if (progress.phase !== 'awaiting_approval' || decision)
          throw new Error(`The intent is ${progress.phase}; only a plan awaiting approval can be decided.`);
      },
    },
  );
  const hold = new SwarmHold();
  const setPaused = async (paused: boolean) => {
    setPhase(paused ? 'paused' : 'running');
    await projection.markIntent({ intentId: input.intentId, status: paused ? 'paused' : 'running' });
    return hold.set(paused);
  };
  setHandler(pauseSwarmUpdate, async () => ({ paused: true as const, held: await setPaused(true) }), {
    validator: () => {
      if (progress.phase !== 'running')
        throw new Error(`The intent is ${progress.phase}; only a running swarm can be paused.`);
    },
  });
  setHandler(resumeSwarmUpdate, async () => ({ resumed: true as const, released: await setPaused(false) }), {
    validator: () => {
      if (progress.phase !== 'paused')
        throw new Error(`The intent is ${progress.phase}; only a paused swarm can be resumed.`);
    },
  });
  upsertSearchAttributes([
    { key: DashKind, value: 'intent' },
    { key: DashIntentId, value: input.intentId },
    { key: DashRepo, value: input.repoPath.slice(-200) },
  ]);
  const resultBranch = resultBranchOf(input.intentId);
  // Dash's own model calls (the planner); sessions' spend is summed from their rows at the end.
  const plannerUsage = { input: 0, output: 0, cost: 0 };
  const partial = () =>
    progress.integrationHead ? { resultBranch, resultCommit: progress.integrationHead } : {};
  try {
    setPhase('planning');
    await projection.markIntent({ intentId: input.intentId, status: 'planning' });
    // A retry runs the first run's plan again; only tasks that did not land are redone.
    const plan =
      input.retry?.plan ??
      (await planner.planIntent({ intentId: input.intentId, text: input.text, repoPath: input.repoPath }));
    // On a retry this is the first run's planner spend, counted once in the intent's total.
    addUsage(progress.usage, plan.usage);
    addUsage(plannerUsage, plan.usage);
    progress.tasks = plan.tasks.map((t) => ({ key: t.id, title: t.title, status: 'pending' }));
    // The user's gate wins over the one the planner found.
    progress.gate = input.gateCommand ?? plan.gate;
    await projection.savePlan({ intentId: input.intentId, plan, input, usage: progress.usage });

    // A retry runs a plan that was already approved.
    if (input.approvePlan && !input.retry) {
      setPhase('awaiting_approval');
      await projection.markIntent({ intentId: input.intentId, status: 'awaiting_approval' });
      await condition(() => decision !== undefined);
      if (!decision!.approve) {
        throw ApplicationFailure.nonRetryable(
          `The plan was rejected${decision!.reason ? `: ${decision!.reason}` : ''}; no agent started.`,
          'PlanRejected',
        );
      }
    }
    setPhase('running');
    await projection.markIntent({ intentId: input.intentId, status: 'running' });
    const outcome = await runSwarm(input, plan.tasks, progress.gate, progress, plan.usage, hold);
    progress.resultBranch = progress.integrationHead ? resultBranch : undefined;
    if (progress.budgetExceeded) {
      throw ApplicationFailure.nonRetryable(
        `The intent's budget is spent: ${outcome.failed.length} task(s) stopped or not started; merged work is on ${resultBranch}.`,
        'BudgetExceeded',
        { failed: outcome.failed, merged: progress.merged },
      );
    }
    if (outcome.failed.length) {
      throw ApplicationFailure.nonRetryable(
        `${outcome.failed.length} of ${plan.tasks.length} task(s) did not land: ${outcome.failed
          .map((f) => `${f.task} (${f.code})`)
          .join(
            ', ',
          )}. Why: ${outcome.failed.map((f) => `${f.task}: ${f.message.slice(0, 300)}`).join('; ')}`,
        'TasksFailed',
        { failed: outcome.failed, merged: progress.merged },
      );
    }
    await projection.markIntent({
      intentId: input.intentId,
      status: 'completed',
      resultBranch,
      resultCommit: progress.integrationHead!,
      filesChanged: outcome.filesChanged,
      usageBeyondSessions: plannerUsage,
      error: null,
    });
    setPhase('completed');
    return {
      intentId: input.intentId,
      resultBranch,
      resultCommit: progress.integrationHead!,
      filesChanged: outcome.filesChanged,
      usage: progress.usage,
      sessions: outcome.sessions,
    };
  } catch (err) {
    const cancelled = isCancellation(err);
    progress.error = describe(err);
    await CancellationScope.nonCancellable(async () => {
      if (cancelled) {
        // Sessions compensated themselves (worktrees removed, snapshots kept); what is left is
        // the intermediate base branches. Task branches and the result branch hold work: kept.
        const dropped = await quick.deleteBranches({
          repoPath: input.repoPath,
          prefix: `dash/${input.intentId}/base-`,
        });
        progress.compensations = [
          'cancelled running sessions: their agents stopped, their worktrees removed after a snapshot',
          ...(dropped.length ? [`deleted intermediate branches ${dropped.join(', ')}`] : []),
          progress.integrationHead
            ? `kept ${resultBranch} with the work merged so far`
            : 'nothing had merged yet',
        ];
        progress.error = `cancelled; ${progress.compensations.join('; ')}`;
      } else if (['running', 'paused'].includes(progress.phase) && patched('compensate-failed-swarm')) {
        // A failed swarm undoes the same scaffolding (a retry rebuilds what it needs) and keeps
        // the work: the result branch, task branches, and failed tasks' worktrees per policy.
        const dropped = await quick.deleteBranches({
          repoPath: input.repoPath,
          prefix: `dash/${input.intentId}/base-`,
        });
        progress.compensations = [
          ...(dropped.length ? [`deleted intermediate branches ${dropped.join(', ')}`] : []),
          progress.integrationHead
            ? `kept ${resultBranch} with the work merged so far`
            : 'nothing had merged yet',
          `kept the task branches; failed tasks' worktrees follow the cleanup policy (${input.cleanup ?? 'on_success'}), snapshots first`,
        ];
      }
      const code = cancelled ? 'cancelled' : failureCode(err, 'intent_failed');
      const status =
        cancelled || code === 'PlanRejected'
          ? 'cancelled'
          : code === 'BudgetExceeded'
            ? 'budget_exceeded'
            : 'failed';
      setPhase(status);
      // Work that merged stays on the result branch: a failed task never takes the others with it.
      await projection.markIntent({
        intentId: input.intentId,
        status,
        usageBeyondSessions: plannerUsage,
        ...partial(),
        error: { code, message: progress.error ?? '' },
      });
    });
    throw err;
  }
}
