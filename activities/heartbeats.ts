// Short activities (git, worktrees) heartbeat in the background while they run, so that when a
// worker dies mid-step Temporal retries the step elsewhere after the heartbeat timeout (seconds)
// instead of after the start-to-close timeout (minutes, sized for big checkouts). Seen in the
// durability test: a worker killed inside removeWorktree stalled its session for two minutes.
import { Context } from '@temporalio/activity';

export const HEARTBEAT_EVERY_MS = 2_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyActivity = (...args: any[]) => Promise<unknown>;

export function withHeartbeats<T extends Record<string, AnyActivity>>(
  activities: T,
  except: (keyof T)[] = [],
): T {
  const wrapped = { ...activities };
  for (const name of Object.keys(activities) as (keyof T)[]) {
    if (except.includes(name)) continue;
    const fn = activities[name]!;
    wrapped[name] = (async (...args: unknown[]) => {
      let ctx: Context | undefined;
      try {
        ctx = Context.current();
      } catch {
        ctx = undefined; // called outside an activity (tests, startup reconciliation)
      }
      if (!ctx || ctx.info.isLocal) return fn(...args);
      const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        return await fn(...args);
      } finally {
        clearInterval(timer);
      }
    }) as T[keyof T];
  }
  return wrapped;
}
