// Provider rate limits as back-pressure on a swarm, not failures. A session whose agent ends on a
// 429 (after the runtime's own retries) waits and continues its conversation, and tells its swarm,
// which halves the sessions it lets start; each task that lands lets one more start again
// (additive increase, multiplicative decrease), up to the configured concurrency.
import { defineSignal } from '@temporalio/workflow';

/** Sent by a session to its parent swarm when its provider rate-limited it. */
export const rateLimitedSignal = defineSignal<[{ taskKey: string; message: string }]>('rateLimited');

/** Whether an agent's error is the provider pushing back (429, 529, "rate limit", "overloaded"). */
export function isRateLimited(message: string | undefined): boolean {
  return /\b(429|529)\b|rate[ _-]?limit|too many requests|overloaded/i.test(message ?? '');
}

/** How long a rate-limited session waits before its next run: doubling, capped at 5 minutes. */
export function rateLimitDelayMs(baseMs: number, waitsSoFar: number): number {
  return Math.min(baseMs * 2 ** waitsSoFar, 5 * 60_000);
}

export interface PressureState {
  /** Sessions the swarm lets start now (the configured concurrency when there is no pressure). */
  limit: number;
  configured: number;
  lowest: number;
  rateLimits: number;
}

export class SwarmPressure {
  readonly state: PressureState;

  constructor(configured: number) {
    this.state = { limit: configured, configured, lowest: configured, rateLimits: 0 };
  }

  /** A session was rate-limited while `running` sessions held slots: halve what may run. */
  rateLimited(running: number): void {
    const s = this.state;
    s.rateLimits++;
    s.limit = Math.max(1, Math.floor(Math.min(s.limit, Math.max(running, 1)) / 2));
    s.lowest = Math.min(s.lowest, s.limit);
  }

  /** A task landed: one more session may start, up to the configured concurrency. */
  landed(): void {
    const s = this.state;
    if (s.limit < s.configured) s.limit++;
  }
}
