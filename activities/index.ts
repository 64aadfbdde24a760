// createActivities(deps): every activity Dash registers, one capability per file.
import { createCheckActivities } from './checks.js';
import { createSessionOpsActivities } from './session-ops.js';
import { createAgentActivities } from './agents.js';
import type { ActivityDeps } from './deps.js';
import { createGitActivities } from './git.js';
import { withHeartbeats } from './heartbeats.js';
import { createPlannerActivities } from './planner.js';
import { createLandedActivities } from './landed.js';
import { createRefineryActivities } from './refinery.js';
import { createStoreActivities } from './store.js';
import { createWorktreeActivities } from './worktrees.js';

export type { ActivityDeps } from './deps.js';

export function createActivities(deps: ActivityDeps) {
  return withHeartbeats(
    {
      ...createStoreActivities(deps),
      ...createPlannerActivities(deps),
      ...createWorktreeActivities(deps),
      ...createGitActivities(deps),
      ...createAgentActivities(deps),
      ...createSessionOpsActivities(deps),
      ...createCheckActivities(deps),
      ...createRefineryActivities(deps),
      ...createLandedActivities(deps),
    },
    // runAgent heartbeats with progress details of its own.
    ['runAgent'],
  );
}

export type DashActivities = ReturnType<typeof createActivities>;
