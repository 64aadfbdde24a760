// Started by the `dash-worktree-reaper` schedule: removes delayed worktrees whose TTL passed
// (each with a snapshot ref first, like every removal).
import { proxyActivities } from '@temporalio/workflow';
import type { DashActivities } from '../activities/index.js';

const quick = proxyActivities<DashActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '5s', maximumAttempts: 3 },
});

export async function WorktreeReaperWorkflow(): Promise<{ removed: string[] }> {
  return quick.reapExpiredWorktrees();
}
