// Temporal schedules Dash relies on, created idempotently when a stack or worker starts.
import { ScheduleAlreadyRunning, type Client } from '@temporalio/client';

export const reaperScheduleId = (taskQueue: string) => `dash-worktree-reaper-${taskQueue}`;

export async function ensureReaperSchedule(client: Client, taskQueue: string, every = '5m'): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: reaperScheduleId(taskQueue),
      spec: { intervals: [{ every }] },
      action: { type: 'startWorkflow', workflowType: 'WorktreeReaperWorkflow', taskQueue, args: [] },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}
