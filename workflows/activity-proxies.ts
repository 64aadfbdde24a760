// Activity proxies shared by Dash's workflows, one per timeout class.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { DashActivities } from '../activities/index.js';

// Projection writes are idempotent upserts into Dash's own database: local activities skip a
// server round trip each, which is most of Dash's overhead per session (bench/README.md).
export const projection = proxyLocalActivities<DashActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500ms', maximumInterval: '10s', maximumAttempts: 20 },
});

/**
 * Git and filesystem work: worktrees, commits, merges. The activities heartbeat while they run
 * (activities/heartbeats.ts), so a dead worker's step is retried after 10 s, whatever its length.
 */
export const quick = proxyActivities<DashActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '10 seconds',
  retry: {
    initialInterval: '1s',
    maximumInterval: '30s',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['MergeConflict'],
  },
});

/**
 * The Refinery's gated merges: git work plus the repository's own test command, once per merge
 * or several times when a failing batch is bisected. Heartbeats as above; the bound is the gates.
 */
export const gated = proxyActivities<DashActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 10 },
});
