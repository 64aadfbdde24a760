// Starting an AgentSessionWorkflow from the API: a standalone agent (`dash agent create`) or a
// fork of another session. Both take their timeouts, queues and cleanup policy from the config.
import { webUiWorkflowUrl } from '../core/config.js';
import { agentTaskQueueOf } from '../core/task-queues.js';
import type { AgentSessionWorkflow } from '../workflows/agent-session-workflow.js';
import type { SessionInput } from '../workflows/types.js';
import type { ApiDeps } from './context.js';

export type SessionSpec = Omit<
  SessionInput,
  'worktreeRoot' | 'agentTaskQueue' | 'heartbeatTimeoutMs' | 'timeoutMs' | 'worktreeTtlMs' | 'cleanup'
> & { cleanup?: SessionInput['cleanup'] };

export async function startSessionWorkflow(
  deps: ApiDeps,
  spec: SessionSpec,
): Promise<{ workflow_id: string; web_ui_url: string }> {
  const workflowId = `${spec.intentId}-task-${spec.taskKey}`;
  await deps.temporal.workflow.start<typeof AgentSessionWorkflow>('AgentSessionWorkflow', {
    taskQueue: deps.config.temporal.taskQueue,
    workflowId,
    args: [
      {
        ...spec,
        worktreeRoot: deps.config.worktreeRoot,
        agentTaskQueue: agentTaskQueueOf(deps.config.temporal.taskQueue),
        cleanup: spec.cleanup ?? deps.config.worktreeCleanup,
        worktreeTtlMs: deps.config.worktreeTtlMs,
        heartbeatTimeoutMs: deps.config.agent.heartbeatTimeoutMs,
        timeoutMs: deps.config.agent.timeoutMs,
        rateLimit: deps.config.swarm.rateLimit,
        stallMs: deps.config.swarm.stallMs,
      },
    ],
  });
  return { workflow_id: workflowId, web_ui_url: webUiWorkflowUrl(deps.config, workflowId) };
}
