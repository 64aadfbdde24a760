// Pi spends ~1.4 s of CPU importing its modules at startup. Fifty at once on two cores starve the
// worker's event loop until workflow tasks time out (seen in bench/concurrent-sessions). Startups
// are therefore admitted a few at a time; running agents are not limited here (the agent worker's
// slots do that).
import os from 'node:os';

export class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly capacity: number) {}

  async acquire(): Promise<() => void> {
    if (this.active >= this.capacity) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.waiting.shift()?.();
    };
  }
}

export const piStartupGate = new Gate(
  Math.max(1, Number(process.env.DASH_PI_STARTUP_CONCURRENCY) || os.cpus().length),
);
