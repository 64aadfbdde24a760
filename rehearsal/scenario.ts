// Scenario files: scripted model behaviour, validated on load so a typo fails loudly with the
// file's name instead of producing a silent wrong answer.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const ToolCall = z.object({ name: z.string().min(1), arguments: z.record(z.string(), z.unknown()) });

export const StepSchema = z.union([
  z
    .object({
      text: z.string(),
      chunkSize: z.number().int().positive().optional(),
      delayPerChunkMs: z.number().int().nonnegative().optional(),
      latencyMs: z.number().int().nonnegative().optional(),
      /** Streams only: drop the connection after this many text chunks (a mid-stream failure). */
      failAfterChunks: z.number().int().positive().optional(),
    })
    .strict(),
  z.object({ tool: ToolCall, latencyMs: z.number().int().nonnegative().optional() }).strict(),
  z
    .object({ tools: z.array(ToolCall).min(1), latencyMs: z.number().int().nonnegative().optional() })
    .strict(),
  z
    .object({
      fault: z.object({
        status: z.number().int().min(400).max(599),
        retryAfterSeconds: z.number().nonnegative().optional(),
        message: z.string().optional(),
      }),
    })
    .strict(),
]);

export const RuleSchema = z
  .object({
    name: z.string().min(1),
    when: z
      .object({
        system: z.string().optional(),
        user: z.string().optional(),
        hasTools: z.boolean().optional(),
      })
      .strict()
      .default({}),
    steps: z.array(StepSchema).min(1),
  })
  .strict();

export const ScenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().default(''),
    priority: z.number().default(0),
    rules: z.array(RuleSchema),
  })
  .strict();

export type Step = z.infer<typeof StepSchema>;
export type Rule = z.infer<typeof RuleSchema>;
export type Scenario = z.input<typeof ScenarioSchema>;
export type LoadedScenario = z.infer<typeof ScenarioSchema>;

export function loadScenarioDir(dir: string): LoadedScenario[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const loaded = files.map((file) => {
    const full = path.join(dir, file);
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(full, 'utf8'));
    } catch (err) {
      throw new Error(`Rehearsal scenario ${full} is not valid JSON: ${(err as Error).message}`);
    }
    const parsed = ScenarioSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(
        `Rehearsal scenario ${full} is invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
      );
    }
    return parsed.data;
  });
  // Stable: higher priority first, then file name order (sort is stable).
  return loaded.sort((a, b) => b.priority - a.priority);
}

export function parseScenarios(list: Scenario[]): LoadedScenario[] {
  return list.map((s) => ScenarioSchema.parse(s));
}
