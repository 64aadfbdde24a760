// Removes worktrees, snapshot first: with no ids, every delayed one past its TTL (started by the
// `dash-worktree-reaper` schedule); with ids, exactly those (`dash worktree cleanup`). It runs on
// a worker because worktrees live on worker hosts, not where the API runs.
import { proxyActivities } from '@temporalio/workflow';
import type { DashActivities } from '../activities/index.js';

const quick = proxyActivities<DashActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '5s', maximumAttempts: 3 },
});

export async function WorktreeReaperWorkflow(
  input: { ids?: string[] } = {},
): Promise<{ removed: { id: string; snapshotRef: string | null }[] }> {
  return quick.reapWorktrees(input);
}
