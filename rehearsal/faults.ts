// Injected faults for tests: the next `count` matching requests fail (or are delayed), then the
// fault is used up. This is the one stateful part of the rehearsal server, by design.
import { z } from 'zod';

export const FaultSpecSchema = z
  .object({
    status: z.number().int().min(400).max(599),
    count: z.number().int().positive(),
    retryAfterSeconds: z.number().nonnegative().optional(),
    latencyMs: z.number().int().nonnegative().optional(),
    message: z.string().optional(),
    match: z
      .object({
        model: z.string().optional(),
        api: z.enum(['openai', 'anthropic', 'google']).optional(),
        userContains: z.string().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type FaultSpec = z.infer<typeof FaultSpecSchema>;

export class FaultBook {
  private faults: { spec: FaultSpec; left: number }[] = [];

  add(spec: FaultSpec): void {
    this.faults.push({ spec: FaultSpecSchema.parse(spec), left: spec.count });
  }

  clear(): void {
    this.faults = [];
  }

  /** Takes one use of the first fault matching this request, if any. */
  take(req: {
    api: 'openai' | 'anthropic' | 'google';
    model: string;
    lastUser: string;
  }): FaultSpec | undefined {
    const hit = this.faults.find(({ spec: { match: m }, left }) => {
      if (left <= 0) return false;
      if (m?.api && m.api !== req.api) return false;
      if (m?.model && m.model !== req.model) return false;
      if (m?.userContains && !req.lastUser.includes(m.userContains)) return false;
      return true;
    });
    if (!hit) return undefined;
    hit.left--;
    return hit.spec;
  }
}
