// One agent session: a worktree, an agent run, a commit, then cleanup. The agent run is one long
// heartbeating activity; if its worker dies, Temporal retries it elsewhere after the heartbeat
// timeout.
import {
  ApplicationFailure,
  CancellationScope,
  defineQuery,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { DashActivities } from '../activities/index.js';
import { DashIntentId, DashKind, DashRole, DashRuntime, DashStatus } from './search-attributes.js';
import type { SessionInput, SessionResult, Usage } from './types.js';

// Projection writes are idempotent upserts into Dash's own database: local activities skip a
// server round trip each, which is most of Dash's overhead per session (bench/README.md).
const projection = proxyLocalActivities<DashActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500ms', maximumInterval: '10s', maximumAttempts: 20 },
});

const quick = proxyActivities<DashActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 10 },
});

export interface SessionState {
  status: 'starting' | 'running' | 'committing' | 'completed' | 'failed';
  worktreePath?: string;
  usage: Usage;
  attempt: number;
  error?: string;
}

export const sessionStateQuery = defineQuery<SessionState>('sessionState');

export async function AgentSessionWorkflow(input: SessionInput): Promise<SessionResult> {
  const state: SessionState = { status: 'starting', usage: { input: 0, output: 0, cost: 0 }, attempt: 0 };
  setHandler(sessionStateQuery, () => state);
  const setStatus = (status: SessionState['status']) => {
    state.status = status;
    upsertSearchAttributes([{ key: DashStatus, value: status }]);
  };
  upsertSearchAttributes([
    { key: DashKind, value: 'session' },
    { key: DashIntentId, value: input.intentId },
    { key: DashRole, value: input.role },
    { key: DashRuntime, value: 'pi' },
  ]);
  setStatus('starting');
  // The agent's timeouts come from configuration, so this proxy is built per run.
  const agent = proxyActivities<DashActivities>({
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
  const worktree = await quick.createWorktree({
    sessionId: input.sessionId,
    repoPath: input.repoPath,
    path: `${input.worktreeRoot}/${input.intentId}/${input.taskKey}`,
    branch: input.branch,
    baseSha: input.baseSha,
  });
  state.worktreePath = worktree.path;
  await projection.markSession({ ...record, status: 'running', worktreePath: worktree.path });
  await projection.markTask({ taskId: input.taskId, status: 'running', branch: input.branch });
  setStatus('running');
  try {
    const outcome = await agent.runAgent({
      sessionId: input.sessionId,
      worktreePath: worktree.path,
      title: input.title,
      prompt: input.prompt,
      role: input.role,
    });
    state.usage = outcome.usage;
    state.attempt = outcome.attempt;
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
    // The branch holds the commit, so the worktree can go (cleanup policy: on success).
    await quick.removeWorktree({ sessionId: input.sessionId, repoPath: input.repoPath, path: worktree.path });
    setStatus('completed');
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
    state.error = err instanceof Error ? err.message : String(err);
    await CancellationScope.nonCancellable(async () => {
      setStatus('failed');
      await projection.markSession({ ...record, status: 'failed', error: state.error ?? null });
      await projection.markTask({
        taskId: input.taskId,
        status: 'failed',
        error: { code: 'session_failed', message: state.error ?? '' },
      });
    });
    throw err;
  }
}
