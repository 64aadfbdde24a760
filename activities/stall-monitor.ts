// The Monitor: watches one agent run for lack of progress. An agent that emits no event for the
// stall time is nudged once (a steer saying so); if it stays silent for another stall time, its
// run is stopped and the session decides what next (restart once, then fail), with the reason
// recorded. Silence, not slowness, is the signal: a long tool that streams output is progress.
export type MonitorAction = 'none' | 'nudge' | 'stop';

export const NUDGE_MESSAGE =
  'Dash Monitor: you have made no progress for a while. If a command is hanging or waiting for input, stop it and take another way; otherwise finish the task.';

export class StallMonitor {
  private nudgedAt: number | undefined;
  stopped = false;

  constructor(
    private readonly stallMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** What to do, given when the agent last did anything. */
  check(lastActivityAt: number): MonitorAction {
    if (this.stopped) return 'none';
    const since = Math.max(lastActivityAt, this.nudgedAt ?? 0);
    if (this.now() - since < this.stallMs) return 'none';
    if (this.nudgedAt === undefined || lastActivityAt > this.nudgedAt) {
      this.nudgedAt = this.now();
      return 'nudge';
    }
    this.stopped = true;
    return 'stop';
  }

  reason(): string {
    return `the Monitor stopped the agent: no events for ${Math.round(this.stallMs / 1000)} s, then none for another ${Math.round(this.stallMs / 1000)} s after a nudge`;
  }
}
