// The swarm inside an intent: the plan's DAG run with a concurrency limit, one AgentSessionWorkflow
// child per task, and the Refinery's merge queue. A task is done when its acceptance checks pass
// in its worktree and its branch has merged through the gate, never because the agent says so.
// A failed task fails alone: tasks that do not depend on it go on, those that do are skipped.
import {
  ApplicationFailure,
  condition,
  patched,
  setHandler,
  startChild,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { gated, projection, quick } from './activity-proxies.js';
import { AgentSessionWorkflow, holdSignal } from './agent-session-workflow.js';
import { isOverBudget } from './budget.js';
import { rateLimitedSignal, SwarmPressure, type PressureState } from './rate-pressure.js';
import type { IntentInput, PlannedTaskInput, SessionInput, SessionResult, Usage } from './types.js';

export type TaskPhase = 'pending' | 'running' | 'merging' | 'merged' | 'failed' | 'skipped';

export interface SwarmTaskProgress {
  key: string;
  title: string;
  status: TaskPhase;
  fixes?: number;
  error?: string;
}

export interface SwarmState {
  tasks: SwarmTaskProgress[];
  usage: Usage;
  /** Merges that landed on the integration branch, in order. */
  merged: { task: string; commit: string; resolvedConflicts: string[] }[];
  integrationHead?: string;
  running: number;
  /** A session stopped because the intent's budget was spent. */
  budgetExceeded?: boolean;
  /** Batched merges so far, and the gate runs they took (bisection included). */
  mergeBatches?: { batches: number; gateRuns: number };
  /** Concurrency under provider rate limits: the current limit, the lowest it went, 429s seen. */
  pressure?: PressureState;
}

export interface SwarmOutcome {
  sessions: SessionResult[];
  failed: { task: string; code: string; message: string }[];
  filesChanged: string[];
}

export const integrationBranchOf = (intentId: string) => `dash/${intentId}/result`;
export const taskBranchOf = (intentId: string, key: string) => `dash/${intentId}/task-${key}`;

type TaskResult = { ok: true; session: SessionResult } | { ok: false };

/**
 * A paused swarm starts no session and holds the ones that run: each pauses its agent (no
 * process left) until the swarm is resumed, then goes on where it was.
 */
export class SwarmHold {
  paused = false;
  private readonly sessions = new Map<string, ChildWorkflowHandle<typeof AgentSessionWorkflow>>();

  async set(paused: boolean): Promise<number> {
    this.paused = paused;
    const running = [...this.sessions.values()];
    await Promise.all(running.map((h) => this.signal(h, paused)));
    return running.length;
  }

  async track(handle: ChildWorkflowHandle<typeof AgentSessionWorkflow>): Promise<void> {
    this.sessions.set(handle.workflowId, handle);
    if (this.paused) await this.signal(handle, true);
  }

  untrack(workflowId: string): void {
    this.sessions.delete(workflowId);
  }

  private async signal(h: ChildWorkflowHandle<typeof AgentSessionWorkflow>, hold: boolean) {
    // A session that ended between the bookkeeping and the signal has nothing left to hold.
    await h.signal(holdSignal, hold).catch(() => undefined);
  }
}

export async function runSwarm(
  input: IntentInput,
  tasks: PlannedTaskInput[],
  gateCommand: string | undefined,
  state: SwarmState,
  plannerUsage: Usage,
  hold: SwarmHold = new SwarmHold(),
): Promise<SwarmOutcome> {
  const budget = input.budget && { ...input.budget, spentOutsideSessions: { ...plannerUsage } };
  // Once the budget is spent, no task starts; running ones stop themselves (activities/budget.ts).
  const budgetSpent = () => Boolean(budget && (state.budgetExceeded || isOverBudget(budget, state.usage)));
  const pressure = new SwarmPressure(input.concurrency ?? 8);
  state.pressure = pressure.state;
  setHandler(rateLimitedSignal, () => pressure.rateLimited(state.running));
  const failed: SwarmOutcome['failed'] = [];
  const sessions: SessionResult[] = [];
  const filesChanged = new Set<string>();
  const entry = (key: string) => state.tasks.find((t) => t.key === key)!;
  const fail = async (task: PlannedTaskInput, code: string, message: string) => {
    const skipped = code === 'dependency_failed' || code === 'budget_exceeded';
    if (code === 'BudgetExceeded') state.budgetExceeded = true;
    failed.push({ task: task.id, code, message });
    Object.assign(entry(task.id), { status: skipped ? 'skipped' : 'failed', error: message });
    await projection.markTask({
      taskId: `${input.intentId}-${task.id}`,
      status: skipped ? 'cancelled' : 'failed',
      error: { code, message: message.slice(0, 4_000) },
    });
  };
  const sessionInput = (
    over: Partial<SessionInput> & Pick<SessionInput, 'taskKey' | 'baseSha' | 'title' | 'prompt' | 'role'>,
  ): SessionInput => ({
    intentId: input.intentId,
    taskId: `${input.intentId}-${over.taskKey}`,
    sessionId: `${input.intentId}-${over.taskKey}`,
    repoPath: input.repoPath,
    branch: taskBranchOf(input.intentId, over.taskKey),
    worktreeRoot: input.worktreeRoot,
    agentTaskQueue: input.agentTaskQueue,
    cleanup: input.cleanup,
    worktreeTtlMs: input.worktreeTtlMs,
    heartbeatTimeoutMs: input.agentHeartbeatTimeoutMs,
    timeoutMs: input.agentTimeoutMs,
    maxFixAttempts: input.maxFixAttempts,
    ...(input.reviewRounds && { review: { maxRounds: input.reviewRounds } }),
    ...(input.rateLimit && { rateLimit: input.rateLimit }),
    ...(input.stallMs && { stallMs: input.stallMs }),
    ...(budget && { budget }),
    ...over,
  });
  const child = async (args: SessionInput): Promise<SessionResult> => {
    const handle = await startChild(AgentSessionWorkflow, {
      workflowId: `${input.intentId}-task-${args.taskKey}`,
      args: [args],
    });
    await hold.track(handle);
    try {
      return await handle.result();
    } finally {
      hold.untrack(handle.workflowId);
    }
  };

  const mergeMessage = (task: PlannedTaskInput) => `Intent ${input.intentId}, task ${task.id}: ${task.title}`;
  const land = (
    task: PlannedTaskInput,
    step: { commit: string; filesChanged: string[]; alreadyMerged: boolean },
    resolved: string[],
  ) => {
    for (const f of step.filesChanged) filesChanged.add(f);
    state.integrationHead = step.commit;
    if (!step.alreadyMerged)
      state.merged.push({ task: task.id, commit: step.commit, resolvedConflicts: resolved });
    entry(task.id).status = 'merged';
    pressure.landed();
  };
  const refineOrFail = (task: PlannedTaskInput, session: SessionResult) =>
    refine(task, session).catch((err: unknown) =>
      fail(task, failureCode(err, 'merge_failed'), describe(err)),
    );
  // Several branches that finished while a merge ran: one gate for all, bisected if it fails.
  const refineBatch = async (batch: { task: PlannedTaskInput; session: SessionResult }[]) => {
    for (const b of batch) entry(b.task.id).status = 'merging';
    let result;
    try {
      result = await gated.mergeBatchIntoIntegration({
        repoPath: input.repoPath,
        integrationBranch: integrationBranchOf(input.intentId),
        baseSha: input.baseSha,
        items: batch.map((b) => ({ branch: b.session.branch, message: mergeMessage(b.task) })),
        ...(gateCommand && { gateCommand }),
      });
    } catch (err) {
      for (const b of batch) await fail(b.task, failureCode(err, 'merge_failed'), describe(err));
      return;
    }
    state.mergeBatches = {
      batches: (state.mergeBatches?.batches ?? 0) + 1,
      gateRuns: (state.mergeBatches?.gateRuns ?? 0) + result.gateRuns,
    };
    for (const [i, step] of result.steps.entries()) {
      const { task, session } = batch[i]!;
      if (step.status === 'merged') land(task, step, []);
      else if (step.status === 'gate_failed') await fail(task, 'gate_failed', step.output);
      // Conflicted inside the batch: merged on its own, where a conflict gets its Refinery session.
      else await refineOrFail(task, session);
    }
  };
  // The merge queue, in the order tasks finish: one merge at a time, or a batch of those waiting.
  const batchSize = input.mergeBatchSize ?? 1;
  const waiting: { task: PlannedTaskInput; session: SessionResult; done: () => void }[] = [];
  let draining = false;
  const drain = async () => {
    if (draining) return;
    draining = true;
    try {
      while (waiting.length) {
        const batch = waiting.splice(0, batchSize);
        if (batch.length === 1) await refineOrFail(batch[0]!.task, batch[0]!.session);
        else await refineBatch(batch);
        for (const b of batch) b.done();
      }
    } finally {
      draining = false;
    }
  };
  const enqueue = (task: PlannedTaskInput, session: SessionResult) =>
    new Promise<void>((done) => {
      waiting.push({ task, session, done });
      void drain();
    });
  // One branch through the gate, with a Refinery session when it conflicts.
  const refine = async (task: PlannedTaskInput, session: SessionResult): Promise<void> => {
    entry(task.id).status = 'merging';
    const merge = (branch: string) =>
      gated.mergeIntoIntegration({
        repoPath: input.repoPath,
        integrationBranch: integrationBranchOf(input.intentId),
        baseSha: input.baseSha,
        branch,
        ...(gateCommand && { gateCommand }),
        message: mergeMessage(task),
      });
    let step = await merge(session.branch);
    let resolved: string[] = [];
    if (step.status === 'conflict') {
      // A Refinery agent finishes the merge in a fresh worktree; its branch then goes through
      // the same gate, so a resolution is never trusted untested.
      resolved = step.files;
      const resolver: PlannedTaskInput = {
        id: `resolve-${task.id}`,
        title: `Resolve merge conflicts of ${task.id}`,
        prompt: conflictPrompt(session.branch, step.files, task),
        role: 'refinery',
        dependsOn: [task.id],
      };
      try {
        await projection.addTask({ intentId: input.intentId, task: resolver });
        const resolution = await child(
          sessionInput({
            taskKey: resolver.id,
            baseSha: step.head,
            title: resolver.title,
            prompt: resolver.prompt,
            role: 'refinery',
            review: undefined,
            mergeBranch: session.branch,
            ...(task.acceptance?.length && { acceptance: task.acceptance }),
          }),
        );
        addUsage(state.usage, resolution.usage);
        step = await merge(resolution.branch);
      } catch (err) {
        return fail(
          task,
          'merge_conflict',
          `conflicts in ${resolved.join(', ')} could not be resolved: ${describe(err)}`,
        );
      }
    }
    if (step.status !== 'merged') {
      const message = step.status === 'gate_failed' ? step.output : `conflicts in ${step.files.join(', ')}`;
      const code = step.status === 'gate_failed' ? 'gate_failed' : 'merge_conflict';
      return fail(task, code, message);
    }
    land(task, step, resolved);
  };

  // On a retry, tasks that landed in the first run stand as they are. After a Temporal reset
  // (dash swarm reset) the same holds for tasks that landed before it: the swarm asks git.
  // Histories from before this check replay without it (patched is false there).
  const landedBefore =
    !input.retry && patched('landed-before-swarm')
      ? await quick.landedTasks({
          intentId: input.intentId,
          repoPath: input.repoPath,
          resultBranch: integrationBranchOf(input.intentId),
          keys: tasks.map((t) => t.id),
        })
      : [];
  const landed = new Map([...(input.retry?.landed ?? []), ...landedBefore].map((l) => [l.key, l]));
  const started = new Map<string, Promise<TaskResult>>();
  const run = (task: PlannedTaskInput): Promise<TaskResult> => {
    const existing = started.get(task.id);
    if (existing) return existing;
    const result = (async (): Promise<TaskResult> => {
      const done = landed.get(task.id);
      if (done) {
        entry(task.id).status = 'merged';
        const usage = { input: 0, output: 0, cost: 0 };
        const session = {
          taskKey: task.id,
          sessionId: `${input.intentId}-${task.id}`,
          ...done,
          filesChanged: [],
          usage,
          agentMs: 0,
        };
        return { ok: true, session };
      }
      const deps = await Promise.all(task.dependsOn.map((d) => run(tasks.find((t) => t.id === d)!)));
      const blocked = task.dependsOn.filter((_, i) => !deps[i]!.ok);
      if (blocked.length) {
        const message = `skipped: it depends on ${blocked.join(', ')}, which failed`;
        await fail(task, 'dependency_failed', message);
        return { ok: false };
      }
      const depSessions = deps.flatMap((d) => (d.ok ? [d.session] : []));
      // Conditions that come true together all wake up in one activation: each waiter checks
      // again before it takes a slot, so the limit holds even when several wait for the same one.
      const mayStart = () => state.running < pressure.state.limit && !hold.paused;
      while (!mayStart()) await condition(mayStart);
      if (budgetSpent()) {
        await fail(task, 'budget_exceeded', 'not started: the intent budget is spent');
        return { ok: false };
      }
      state.running++;
      let session: SessionResult;
      try {
        entry(task.id).status = 'running';
        session = await child(
          sessionInput({
            taskKey: task.id,
            baseSha: await baseFor(input, task, depSessions),
            title: task.title,
            prompt: task.prompt,
            role: task.role,
            runtime: task.runtime,
            ...(task.model && { model: task.model }),
            ...(task.acceptance?.length && { acceptance: task.acceptance }),
          }),
        );
      } catch (err) {
        await fail(task, failureCode(err), describe(err));
        return { ok: false };
      } finally {
        state.running--;
      }
      addUsage(state.usage, session.usage);
      entry(task.id).fixes = session.fixes;
      sessions.push(session);
      await enqueue(task, session);
      return entry(task.id).status === 'merged' ? { ok: true, session } : { ok: false };
    })();
    started.set(task.id, result);
    return result;
  };
  await Promise.all(tasks.map(run));
  return { sessions, failed, filesChanged: [...filesChanged].sort() };
}

function conflictPrompt(branch: string, files: string[], task: PlannedTaskInput): string {
  return `Branch ${branch} (task "${task.title}") is being merged into this worktree and conflicts in: ${files.join(', ')}. Resolve every conflict so that both sides keep their intent, remove all conflict markers, and check that the code still works. The task was:\n${task.prompt}\nDo not run git commands; Dash commits the merge.`;
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

export function addUsage(total: Usage, u: Usage): void {
  total.input += u.input;
  total.output += u.output;
  total.cost += u.cost;
}

/** The stable code of the innermost ApplicationFailure in a chain of causes. */
export function failureCode(err: unknown, fallback = 'task_failed'): string {
  let cur: unknown = err;
  while (cur instanceof Error) {
    if (cur instanceof ApplicationFailure && cur.type) return cur.type;
    cur = (cur as { cause?: unknown }).cause;
  }
  return fallback;
}

export function describe(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  while (cur instanceof Error && parts.length < 5) {
    parts.push(cur.message);
    cur = (cur as { cause?: unknown }).cause;
  }
  return parts.filter(Boolean).join(': ') || String(err);
}
