// The stable JSON envelope `openclaw agent exec --json` prints on stdout when the run ends:
// status ok|error|timeout, the final text, usage, cost and a tool summary. Parsed with zod because
// it is another program's output.
import { z } from 'zod';

export const OpenClawResult = z.looseObject({
  ok: z.boolean(),
  status: z.string(),
  final: z.string().nullish(),
  usage: z.looseObject({ input: z.number().default(0), output: z.number().default(0) }).optional(),
  costUsd: z.number().optional(),
  toolSummary: z.looseObject({ calls: z.number().default(0) }).optional(),
  error: z.looseObject({ message: z.string(), kind: z.string().optional() }).nullish(),
  sessionId: z.string().nullish(),
});

export type OpenClawResult = z.infer<typeof OpenClawResult>;

/** The envelope in a run's stdout, or undefined when it never printed one. */
export function parseOpenClawResult(stdout: string): OpenClawResult | undefined {
  const start = stdout.indexOf('{');
  if (start === -1) return undefined;
  try {
    const parsed = OpenClawResult.safeParse(JSON.parse(stdout.slice(start)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
