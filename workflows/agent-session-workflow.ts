// One agent session: a worktree, an agent run, a commit, then cleanup. The agent run is one long
// heartbeating activity; if its worker dies, Temporal retries it elsewhere after the heartbeat
// timeout. Steer and abort are updates: validated, recorded in history, and delivered to the
// running agent through the session_controls queue within about half a second.
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  currentUpdateInfo,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { DashActivities } from '../activities/index.js';
import { projection, quick } from './activity-proxies.js';
import { DashIntentId, DashKind, DashRole, DashRuntime, DashStatus } from './search-attributes.js';
import type { SessionInput, SessionProgress, SessionResult, Usage } from './types.js';

export type SessionStatus =
  'starting' | 'running' | 'committing' | 'completed' | 'failed' | 'aborted' | 'cancelled';

export interface SessionState {
  status: SessionStatus;
  worktreePath?: string;
  usage: Usage;
  attempt: number;
  currentTool: string | null;
  lastEvent?: string;
  lastActivityAt?: number;
  steers: number;
  error?: string;
}

export const sessionStateQuery = defineQuery<SessionState>('sessionState');
export const sessionProgressSignal = defineSignal<[SessionProgress]>('sessionProgress');
export const steerUpdate = defineUpdate<{ queued: true }, [string]>('steer');
export const abortUpdate = defineUpdate<{ queued: true }, [string]>('abort');

export async function AgentSessionWorkflow(input: SessionInput): Promise<SessionResult> {
  const state: SessionState = {
    status: 'starting',
    usage: { input: 0, output: 0, cost: 0 },
    attempt: 0,
    currentTool: null,
    steers: 0,
  };
  let abortRequested = false;
  const queue = (kind: 'steer' | 'abort', message?: string) =>
    projection.queueControl({
      sessionId: input.sessionId,
      requestId: `${workflowInfo().workflowId}/${currentUpdateInfo()?.id ?? kind}`,
      kind,
      message,
    });
  setHandler(sessionStateQuery, () => state);
  setHandler(sessionProgressSignal, (p) => {
    state.currentTool = p.currentTool;
    state.lastEvent = p.lastEvent;
    state.lastActivityAt = p.lastActivityAt;
    state.usage = p.usage;
    state.attempt = p.attempt;
  });
  setHandler(
    steerUpdate,
    async (message) => {
      state.steers++;
      await queue('steer', message);
      return { queued: true };
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
      await queue('abort');
      return { queued: true };
    },
    {
      validator: (_reason: string) => {
        if (state.status !== 'running')
          throw new Error(`The session is ${state.status}; only a running agent can be aborted.`);
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
  // The agent's timeouts come from configuration, so this proxy is built per run.
  const agent = proxyActivities<DashActivities>({
    ...(input.agentTaskQueue && { taskQueue: input.agentTaskQueue }),
    startToCloseTimeout: input.timeoutMs,
    heartbeatTimeout: input.heartbeatTimeoutMs,
    retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 3 },
  });
  const record = {
    sessionId: input.sessionId,
    intentId: input.intentId,
    taskId: input.taskId,
    workflowId: workflowInfo().workflowId,
  };
  // Cancellation reaches a heartbeating activity only at its next heartbeat round trip; an abort
  // through the control queue stops the agent's process tree within a second instead.
  CancellationScope.current().cancelRequested.catch(() => {
    void CancellationScope.nonCancellable(() => queue('abort'));
  });
  const policy = input.cleanup ?? 'on_success';
  let prepared: { path: string; excludes: string[] } | undefined;
  const cleanUp = async (succeeded: boolean) => {
    if (!prepared) return;
    if (policy === 'immediate' || (policy === 'on_success' && succeeded)) {
      await quick.removeWorktree({
        sessionId: input.sessionId,
        repoPath: input.repoPath,
        path: prepared.path,
        excludes: prepared.excludes,
      });
    } else {
      // on_success after a failure keeps the worktree for inspection, with no expiry.
      await quick.keepWorktree({ sessionId: input.sessionId, policy, ttlMs: input.worktreeTtlMs });
    }
  };
  try {
    const worktree = await quick.createWorktree({
      sessionId: input.sessionId,
      repoPath: input.repoPath,
      path: `${input.worktreeRoot}/${input.intentId}/${input.taskKey}`,
      branch: input.branch,
      baseSha: input.baseSha,
    });
    state.worktreePath = worktree.path;
    prepared = worktree;
    await projection.markSession({ ...record, status: 'running', worktreePath: worktree.path });
    await projection.markTask({ taskId: input.taskId, status: 'running', branch: input.branch });
    setStatus('running');
    const outcome = await agent.runAgent({
      sessionId: input.sessionId,
      worktreePath: worktree.path,
      title: input.title,
      prompt: input.prompt,
      role: input.role,
      runtime: input.runtime,
      env: worktree.env,
      forkFrom: input.forkFrom,
    });
    state.usage = outcome.usage;
    state.attempt = outcome.attempt;
    state.currentTool = null;
    if (abortRequested)
      throw ApplicationFailure.nonRetryable(`The agent was aborted: ${state.error}`, 'AgentAborted');
    if (outcome.stopReason === 'error' || outcome.stopReason === 'aborted') {
      throw ApplicationFailure.nonRetryable(
        `The agent stopped with ${outcome.stopReason}: ${outcome.errorMessage ?? 'no message'}`,
        'AgentRunFailed',
      );
    }
    setStatus('committing');
    const { commit, filesChanged } = await quick.commitWork({
      worktreePath: worktree.path,
      baseSha: input.baseSha,
      excludes: worktree.excludes,
      message: `dash: ${input.title}\n\nIntent: ${input.intentId}\nTask: ${input.taskKey}\nSession: ${input.sessionId}`,
    });
    await projection.markSession({
      ...record,
      status: 'completed',
      usage: outcome.usage,
      agentMs: outcome.agentMs,
      stopReason: outcome.stopReason,
    });
    await projection.markTask({
      taskId: input.taskId,
      status: 'completed',
      commitSha: commit,
      filesChanged,
      usage: outcome.usage,
    });
    // The branch holds the commit; the worktree goes or stays by policy (snapshot first, always).
    await cleanUp(true);
    setStatus('completed');
    // Updates accepted while committing must finish before the workflow does.
    await condition(allHandlersFinished);
    return {
      taskKey: input.taskKey,
      sessionId: input.sessionId,
      branch: input.branch,
      commit,
      filesChanged,
      usage: outcome.usage,
      agentMs: outcome.agentMs,
    };
  } catch (err) {
    const final: SessionStatus = isCancellation(err) ? 'cancelled' : abortRequested ? 'aborted' : 'failed';
    state.error ??= err instanceof Error ? err.message : String(err);
    await CancellationScope.nonCancellable(async () => {
      setStatus(final);
      await projection.markSession({ ...record, status: final, error: state.error ?? null });
      await projection.markTask({
        taskId: input.taskId,
        status: final === 'failed' ? 'failed' : 'cancelled',
        error: { code: `session_${final}`, message: state.error ?? '' },
      });
      await cleanUp(false);
    });
    throw err;
  }
}
