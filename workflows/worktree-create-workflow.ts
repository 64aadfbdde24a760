// Makes a worktree for a person rather than an agent (`dash worktree create`): the same branch,
// shared dependency links, .env and port range an agent gets, kept until `dash worktree cleanup`.
// It runs on a worker because worktrees live on worker hosts, not where the API runs.
import { proxyActivities } from '@temporalio/workflow';
import type { DashActivities } from '../activities/index.js';
import type { PreparedWorktree, WorktreeSpec } from '../activities/worktrees.js';

const quick = proxyActivities<DashActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
});

export async function WorktreeCreateWorkflow(spec: WorktreeSpec): Promise<PreparedWorktree> {
  const prepared = await quick.createWorktree(spec);
  await quick.keepWorktree({ sessionId: spec.sessionId, policy: 'manual' });
  return prepared;
}
