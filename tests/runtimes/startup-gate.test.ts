import { describe, expect, it } from 'vitest';
import { Gate } from '../../runtimes/pi/startup-gate.js';

describe('Pi startup gate', () => {
  it('admits at most `capacity` holders at once, in order, and loses none', async () => {
    const gate = new Gate(2);
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, async (_, i) => {
        const release = await gate.acquire();
        inside++;
        most = Math.max(most, inside);
        order.push(i);
        await new Promise((r) => setTimeout(r, 5));
        inside--;
        release();
        release(); // a second release is harmless
      }),
    );
    expect(most).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});
