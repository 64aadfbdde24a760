// One agent session: a worktree, agent runs, a commit, then cleanup. An agent run is one long
// heartbeating activity; if its worker dies, Temporal retries it elsewhere after the heartbeat
// timeout. Steer, abort, pause, resume and compact are updates: validated, recorded in history,
// and delivered to the running agent through the session_controls queue within about half a
// second. Pause ends the current run and holds no process while paused; resume starts a new run
// that continues the same conversation in the same worktree. Between runs a long session
// continues as new, so its history stays bounded however long it lives.
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  currentUpdateInfo,
  defineQuery,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { DashActivities } from '../activities/index.js';
import { projection, quick } from './activity-proxies.js';
import { isRateLimited, rateLimitDelayMs, rateLimitedSignal } from './rate-pressure.js';
import { reviewWork } from './review.js';
import { DashIntentId, DashKind, DashRole, DashRuntime, DashStatus } from './search-attributes.js';
import type {
  AgentOutcome,
  SessionCarry,
  SessionInput,
  SessionProgress,
  SessionResult,
  Usage,
} from './types.js';

export type SessionStatus =
  | 'starting'
  | 'running'
  | 'pausing'
  | 'paused'
  | 'checking'
  | 'reviewing'
  | 'committing'
  | 'rate_limited'
  | 'completed'
  | 'failed'
  | 'aborted'
  | 'cancelled';

export interface SessionState {
  status: SessionStatus;
  worktreePath?: string;
  usage: Usage;
  attempt: number;
  currentTool: string | null;
  lastEvent?: string;
  lastActivityAt?: number;
  steers: number;
  /** Agent runs so far: the first, plus one per resume or fix. */
  runs: number;
  /** What cleanup did with the worktree, when it removed it. */
  cleanup?: string;
  /** Review rounds so far. */
  reviews?: number;
  /** The last acceptance checks: whether they passed, after how many fix runs. */
  checks?: { passed: boolean; fixes: number };
  /** Times the provider rate-limited the agent and the session waited. */
  rateLimitWaits?: number;
  /** Runs the Monitor stopped because the agent made no progress. */
  stalls?: number;
  error?: string;
}

const DEFAULT_MAX_HISTORY_EVENTS = 10_000;
const DEFAULT_MAX_FIX_ATTEMPTS = 2;
const DEFAULT_RATE_LIMIT = { backoffMs: 15_000, retries: 6 };

export const sessionStateQuery = defineQuery<SessionState>('sessionState');
export const sessionProgressSignal = defineSignal<[SessionProgress]>('sessionProgress');
export const steerUpdate = defineUpdate<{ queued: true }, [string]>('steer');
export const abortUpdate = defineUpdate<{ queued: true }, [string]>('abort');
export const pauseUpdate = defineUpdate<{ queued: true }, []>('pause');
export const resumeUpdate = defineUpdate<{ resumed: true }, [string]>('resume');
export const navigateUpdate = defineUpdate<{ branchEntryId: string }, [string, string]>('navigate');
export const compactUpdate = defineUpdate<{ tokensBefore: number; summary: string }, [string]>('compact');
/**
 * The swarm holds (true) or releases (false) its sessions. A signal, not an update, because a
 * workflow can only signal another: a held session pauses its run (or does not start the next
 * one) and holds no process; a release resumes it where it was.
 */
export const holdSignal = defineSignal<[boolean]>('hold');

const addUsage = (a: Usage, b: Usage): Usage => ({
  input: a.input + b.input,
  output: a.output + b.output,
  cost: a.cost + b.cost,
});

export async function AgentSessionWorkflow(input: SessionInput): Promise<SessionResult> {
  const carry = input.carry;
  const state: SessionState = {
    status: 'starting',
    usage: carry?.usage ?? { input: 0, output: 0, cost: 0 },
    attempt: 0,
    currentTool: null,
    steers: carry?.steers ?? 0,
    runs: carry?.runs ?? 0,
  };
  // Usage of finished runs; the running one reports its own on top through progress signals.
  let usageBefore = state.usage;
  let agentMs = carry?.agentMs ?? 0;
  let abortRequested = false;
  let fixes = carry?.fixes ?? 0;
  let rateLimitWaits = carry?.rateLimitWaits ?? 0;
  let stalls = carry?.stalls ?? 0;
  let pauseRequested = false;
  // A session that continued as new right after a resume starts with that resume pending.
  let resume: { reason?: string; message?: string } | undefined =
    carry && !carry.paused ? (carry.resume ?? {}) : undefined;
  let held = carry?.hold?.held ?? false;
  let holds = 0;
  let pausedByHold = carry?.hold?.pausedByHold ?? false;
  const queue = (kind: 'steer' | 'abort', message?: string, requestId?: string) =>
    projection.queueControl({
      sessionId: input.sessionId,
      requestId: `${workflowInfo().workflowId}/${requestId ?? currentUpdateInfo()?.id ?? kind}`,
      kind,
      message,
    });
  // The agent's timeouts come from configuration, so this proxy is built per run.
  const agent = proxyActivities<DashActivities>({
    ...(input.agentTaskQueue && { taskQueue: input.agentTaskQueue }),
    startToCloseTimeout: input.timeoutMs,
    heartbeatTimeout: input.heartbeatTimeoutMs,
    retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 3 },
  });
  // Operations on a paused session's files: on the agents queue, where the files are.
  const sessionOps = proxyActivities<DashActivities>({
    ...(input.agentTaskQueue && { taskQueue: input.agentTaskQueue }),
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: '10 seconds',
    retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 3 },
  });
  setHandler(sessionStateQuery, () => state);
  setHandler(sessionProgressSignal, (p) => {
    state.currentTool = p.currentTool;
    state.lastEvent = p.lastEvent;
    state.lastActivityAt = p.lastActivityAt;
    state.usage = addUsage(usageBefore, p.usage);
    state.attempt = p.attempt;
  });
  setHandler(
    steerUpdate,
    async (message) => {
      state.steers++;
      await queue('steer', message);
      return { queued: true as const };
    },
    {
      validator: (message) => {
        if (typeof message !== 'string' || !message.trim())
          throw new Error('A steer message must be a non-empty string.');
        if (state.status !== 'running')
          throw new Error(`The session is ${state.status}; only a running agent can be steered.`);
      },
    },
  );
  setHandler(
    abortUpdate,
    async (reason) => {
      abortRequested = true;
      state.error = reason.trim() || 'aborted by request';
      // A paused session has no process: the workflow wakes up and ends instead.
      if (state.status !== 'paused') await queue('abort');
      return { queued: true as const };
    },
    {
      validator: (_reason: string) => {
        if (!['running', 'pausing', 'paused'].includes(state.status))
          throw new Error(`The session is ${state.status}; only a running or paused agent can be aborted.`);
      },
    },
  );
  setHandler(holdSignal, async (hold) => {
    held = hold;
    if (hold && state.status === 'running') {
      pausedByHold = true;
      pauseRequested = true;
      setStatus('pausing');
      // Each hold is its own control row: the queue ignores a request id it has seen.
      await queue('abort', undefined, `hold-${workflowInfo().runId}-${++holds}`);
    } else if (!hold && pausedByHold && state.status === 'paused' && !resume) {
      pausedByHold = false;
      resume = {};
    }
  });
  setHandler(
    pauseUpdate,
    async () => {
      pauseRequested = true;
      setStatus('pausing');
      await queue('abort');
      return { queued: true as const };
    },
    {
      validator: () => {
        if (state.status !== 'running')
          throw new Error(`The session is ${state.status}; only a running agent can be paused.`);
      },
    },
  );
  setHandler(
    resumeUpdate,
    (message) => {
      resume = { ...(message.trim() && { message: message.trim() }) };
      return Promise.resolve({ resumed: true as const });
    },
    {
      validator: (message) => {
        if (typeof message !== 'string') throw new Error('A resume message must be a string.');
        if (state.status !== 'paused' || resume)
          throw new Error(`The session is ${state.status}; only a paused agent can be resumed.`);
      },
    },
  );
  /** A compaction or navigation is rewriting the session file: the next run must wait for it. */
  let compacting = false;
  setHandler(
    navigateUpdate,
    async (entryId, summary) => {
      compacting = true;
      try {
        return await sessionOps.navigateSession({
          sessionId: input.sessionId,
          runtime: input.runtime,
          entryId,
          summary: summary.trim() || 'The user moved the conversation back to this point.',
        });
      } finally {
        compacting = false;
      }
    },
    {
      validator: (entryId, summary) => {
        if (typeof entryId !== 'string' || !entryId || typeof summary !== 'string')
          throw new Error('navigate takes an entry id and a summary.');
        if (state.status !== 'paused' || compacting || resume)
          throw new Error(`The session is ${state.status}; pause it first, then navigate its tree.`);
      },
    },
  );
  setHandler(
    compactUpdate,
    async (instructions) => {
      compacting = true;
      try {
        return await sessionOps.compactSession({
          sessionId: input.sessionId,
          worktreePath: state.worktreePath!,
          runtime: input.runtime,
          ...(instructions.trim() && { instructions: instructions.trim() }),
        });
      } finally {
        compacting = false;
      }
    },
    {
      validator: (instructions) => {
        if (typeof instructions !== 'string') throw new Error('Compaction instructions must be a string.');
        // Compaction interrupts a running agent, so only a paused session is compacted.
        if (state.status !== 'paused' || compacting || resume)
          throw new Error(`The session is ${state.status}; pause it first, then compact it.`);
      },
    },
  );
  const setStatus = (status: SessionStatus) => {
    state.status = status;
    upsertSearchAttributes([{ key: DashStatus, value: status }]);
  };
  upsertSearchAttributes([
    { key: DashKind, value: 'session' },
    { key: DashIntentId, value: input.intentId },
    { key: DashRole, value: input.role },
    { key: DashRuntime, value: input.runtime ?? 'pi' },
  ]);
  setStatus('starting');
  const record = {
    sessionId: input.sessionId,
    intentId: input.intentId,
    taskId: input.taskId,
    workflowId: workflowInfo().workflowId,
    role: input.role,
    runtime: input.runtime ?? 'pi',
  };
  // Cancellation reaches a heartbeating activity only at its next heartbeat round trip; an abort
  // through the control queue stops the agent's process tree within a second instead.
  CancellationScope.current().cancelRequested.catch(() => {
    void CancellationScope.nonCancellable(() => queue('abort'));
  });
  const policy = input.cleanup ?? 'on_success';
  let prepared: SessionCarry['worktree'] | undefined = carry?.worktree;
  const cleanUp = async (outcome: 'succeeded' | 'failed' | 'cancelled') => {
    if (!prepared) return;
    // A cancelled session is compensated: its worktree goes (snapshot first), unless the user
    // chose to keep worktrees (manual).
    const remove =
      policy === 'immediate' ||
      (policy === 'on_success' && outcome === 'succeeded') ||
      (policy !== 'manual' && outcome === 'cancelled');
    if (remove) {
      const { snapshotRef } = await quick.removeWorktree({
        sessionId: input.sessionId,
        repoPath: input.repoPath,
        path: prepared.path,
        excludes: prepared.excludes,
      });
      state.cleanup = `worktree removed${snapshotRef ? `; its state is at ${snapshotRef}` : ''}`;
    } else {
      // on_success after a failure keeps the worktree for inspection, with no expiry.
      await quick.keepWorktree({ sessionId: input.sessionId, policy, ttlMs: input.worktreeTtlMs });
    }
  };
  /** Shows the session paused until `until` holds; false when it was aborted instead. */
  const waitPaused = async (until: () => boolean): Promise<boolean> => {
    setStatus('paused');
    state.currentTool = null;
    await projection.markSession({ ...record, status: 'paused', usage: state.usage });
    await condition(() => until() || abortRequested);
    return !abortRequested;
  };
  /** Waits while paused, for a resume. */
  const waitForResume = () => waitPaused(() => resume !== undefined && !compacting);
  /** Waits while the swarm holds the session. */
  const waitWhileHeld = () => {
    // No run is paused here, so the release has nothing to resume: the loop goes on by itself.
    pausedByHold = false;
    return waitPaused(() => !held);
  };
  const carryOn = async (paused: boolean): Promise<never> => {
    // Updates still running would be lost with this run's history.
    await condition(allHandlersFinished);
    return continueAsNew<typeof AgentSessionWorkflow>({
      ...input,
      carry: {
        worktree: prepared!,
        usage: state.usage,
        agentMs,
        runs: state.runs,
        steers: state.steers,
        paused,
        fixes,
        rateLimitWaits,
        stalls,
        ...(resume && { resume }),
        ...((held || pausedByHold) && { hold: { held, pausedByHold } }),
      },
    });
  };
  const historyIsLong = () =>
    workflowInfo().continueAsNewSuggested ||
    workflowInfo().historyLength >= (input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS);
  try {
    if (!prepared) {
      const worktree = await quick.createWorktree({
        sessionId: input.sessionId,
        intentId: input.intentId,
        repoPath: input.repoPath,
        path: `${input.worktreeRoot}/${input.intentId}/${input.taskKey}`,
        branch: input.branch,
        baseSha: input.baseSha,
      });
      prepared = { path: worktree.path, excludes: worktree.excludes, env: worktree.env };
      if (input.mergeBranch) {
        // A Refinery starts inside the merge it must finish: conflict markers are in the files.
        const { conflicts } = await quick.startMerge({
          worktreePath: prepared.path,
          branch: input.mergeBranch,
        });
        state.lastEvent = `merging ${input.mergeBranch}: ${conflicts.length} conflicted file(s)`;
      }
    }
    state.worktreePath = prepared.path;
    if (carry?.paused && !(await waitForResume())) throw abortedFailure(state.error);
    let outcome: AgentOutcome;
    let committed: { commit: string; filesChanged: string[] };
    for (let round = 1; ; round++) {
      for (;;) {
        // A session held by its swarm between runs waits before it starts the next one.
        if (held && !(await waitWhileHeld())) throw abortedFailure(state.error);
        await projection.markSession({ ...record, status: 'running', worktreePath: prepared.path });
        await projection.markTask({ taskId: input.taskId, status: 'running', branch: input.branch });
        setStatus('running');
        const resuming = resume;
        resume = undefined;
        outcome = await agent.runAgent({
          sessionId: input.sessionId,
          intentId: input.intentId,
          worktreePath: prepared.path,
          title: input.title,
          prompt: input.prompt,
          role: input.role,
          runtime: input.runtime,
          env: prepared.env,
          forkFrom: input.forkFrom,
          ...(resuming && { resume: resuming }),
          ...(input.budget && { budget: { ...input.budget, intentId: input.intentId, usageBefore } }),
          ...(input.stallMs && { stallMs: input.stallMs }),
          ...(input.model && { model: input.model }),
        });
        state.runs++;
        usageBefore = state.usage = addUsage(usageBefore, outcome.usage);
        agentMs += outcome.agentMs;
        state.attempt = outcome.attempt;
        state.currentTool = null;
        if (abortRequested) throw abortedFailure(state.error);
        // A pause that arrived as the agent finished on its own has nothing left to pause.
        if (pauseRequested && outcome.stopReason === 'aborted') {
          pauseRequested = false;
          if (historyIsLong()) await carryOn(true);
          if (!(await waitForResume())) throw abortedFailure(state.error);
          if (historyIsLong()) await carryOn(false);
          continue;
        }
        pauseRequested = false;
        if (outcome.stopReason === 'budget_exceeded') {
          throw ApplicationFailure.nonRetryable(
            "The intent's budget is spent; the agent was stopped (its work stays in the worktree).",
            'BudgetExceeded',
          );
        }
        if (outcome.stopReason === 'stalled') {
          // One fresh start in the same conversation; an agent that stalls twice has failed.
          if (stalls >= 1) {
            throw ApplicationFailure.nonRetryable(
              `${outcome.errorMessage ?? 'the agent made no progress'}; it was restarted once and stalled again.`,
              'Stalled',
            );
          }
          state.stalls = ++stalls;
          state.lastEvent = outcome.errorMessage;
          resume = {
            reason: `The Dash Monitor stopped your previous run because it made no progress (${outcome.errorMessage}). Avoid commands that hang or wait for input.`,
          };
          if (historyIsLong()) await carryOn(false);
          continue;
        }
        const rateLimit = input.rateLimit ?? DEFAULT_RATE_LIMIT;
        if (outcome.stopReason === 'error' && isRateLimited(outcome.errorMessage)) {
          if (rateLimitWaits >= rateLimit.retries) {
            throw ApplicationFailure.nonRetryable(
              `The provider still rate-limits this agent after ${rateLimitWaits} wait(s): ${outcome.errorMessage}`,
              'RateLimited',
            );
          }
          // Back-pressure, not failure: the swarm starts fewer sessions, this one waits and goes on.
          const delayMs = rateLimitDelayMs(rateLimit.backoffMs, rateLimitWaits++);
          state.rateLimitWaits = rateLimitWaits;
          state.lastEvent = `rate-limited by the provider; continuing in ${Math.ceil(delayMs / 1000)} s`;
          const parent = workflowInfo().parent;
          if (parent) {
            await getExternalWorkflowHandle(parent.workflowId)
              .signal(rateLimitedSignal, { taskKey: input.taskKey, message: outcome.errorMessage ?? '' })
              .catch(() => undefined);
          }
          setStatus('rate_limited');
          if (await condition(() => abortRequested, delayMs)) throw abortedFailure(state.error);
          resume = {
            reason: 'The model provider rate-limited your last request; Dash waited before continuing.',
          };
          if (historyIsLong()) await carryOn(false);
          continue;
        }
        if (outcome.stopReason === 'error' || outcome.stopReason === 'aborted') {
          throw ApplicationFailure.nonRetryable(
            `The agent stopped with ${outcome.stopReason}: ${outcome.errorMessage ?? 'no message'}`,
            'AgentRunFailed',
          );
        }
        // Done means the checks pass in the worktree, not that the agent says so.
        if (!input.acceptance?.length) break;
        setStatus('checking');
        const checks = await sessionOps.runChecks({
          worktreePath: prepared.path,
          commands: input.acceptance,
          env: prepared.env,
        });
        state.checks = { passed: checks.passed, fixes };
        if (checks.passed) break;
        if (fixes >= (input.maxFixAttempts ?? DEFAULT_MAX_FIX_ATTEMPTS)) {
          throw ApplicationFailure.nonRetryable(
            `Acceptance checks still fail after ${fixes} fix attempt(s): ${checks.feedback}`,
            'AcceptanceFailed',
          );
        }
        fixes++;
        resume = { reason: 'Your work does not pass its acceptance checks yet.', message: checks.feedback };
        if (historyIsLong()) await carryOn(false);
      }
      setStatus('committing');
      committed = await quick.commitWork({
        worktreePath: prepared.path,
        baseSha: input.baseSha,
        excludes: prepared.excludes,
        message: `dash: ${input.title}\n\nIntent: ${input.intentId}\nTask: ${input.taskKey}\nSession: ${input.sessionId}`,
      });
      // Done also means a Reviewer approved it, when the swarm asks for review.
      if (!input.review) break;
      setStatus('reviewing');
      const verdict = await reviewWork(input, committed.commit, round);
      usageBefore = state.usage = addUsage(usageBefore, verdict.usage);
      state.reviews = round;
      if (verdict.approved) break;
      if (round >= input.review.maxRounds) {
        throw ApplicationFailure.nonRetryable(
          `The reviewer still requests changes after ${round} round(s): ${verdict.feedback}`,
          'ReviewRejected',
        );
      }
      resume = {
        reason: 'A reviewer read your committed work and requested changes.',
        message: verdict.feedback,
      };
    }
    const { commit, filesChanged } = committed;
    await projection.markSession({
      ...record,
      status: 'completed',
      usage: state.usage,
      agentMs,
      stopReason: outcome.stopReason,
    });
    await projection.markTask({
      taskId: input.taskId,
      status: 'completed',
      commitSha: commit,
      filesChanged,
      usage: state.usage,
    });
    if (input.ownsIntent) {
      await projection.markIntent({
        intentId: input.intentId,
        status: 'completed',
        resultBranch: input.branch,
        resultCommit: commit,
        filesChanged,
        usage: state.usage,
      });
    }
    // The branch holds the commit; the worktree goes or stays by policy (snapshot first, always).
    await cleanUp('succeeded');
    setStatus('completed');
    // Updates accepted while committing must finish before the workflow does.
    await condition(allHandlersFinished);
    return {
      taskKey: input.taskKey,
      sessionId: input.sessionId,
      branch: input.branch,
      commit,
      filesChanged,
      usage: state.usage,
      agentMs,
      finalText: outcome.finalText,
      fixes,
      ...(state.reviews && { reviews: state.reviews }),
    };
  } catch (err) {
    const final: SessionStatus = isCancellation(err) ? 'cancelled' : abortRequested ? 'aborted' : 'failed';
    state.error ??= err instanceof Error ? err.message : String(err);
    await CancellationScope.nonCancellable(async () => {
      setStatus(final);
      await projection.markSession({
        ...record,
        status: final,
        error: state.error ?? null,
        usage: state.usage,
      });
      await projection.markTask({
        taskId: input.taskId,
        status: final === 'failed' ? 'failed' : 'cancelled',
        error: { code: `session_${final}`, message: state.error ?? '' },
      });
      if (input.ownsIntent) {
        await projection.markIntent({
          intentId: input.intentId,
          status: final === 'failed' ? 'failed' : 'cancelled',
          usage: state.usage,
          error: { code: `session_${final}`, message: state.error ?? '' },
        });
      }
      await cleanUp(final === 'cancelled' ? 'cancelled' : 'failed');
    });
    throw err;
  }
}

function abortedFailure(reason: string | undefined): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `The agent was aborted: ${reason ?? 'no reason given'}`,
    'AgentAborted',
  );
}
