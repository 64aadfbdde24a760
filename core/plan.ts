// The plan an intent is split into. The planner's output is untrusted model text, so it is
// parsed and validated here before any agent starts.
import { z } from 'zod';

export const TaskKey = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'task ids are 1-40 lowercase letters, digits or dashes');

export const PlannedTaskSchema = z.object({
  id: TaskKey,
  title: z.string().trim().min(1).max(200),
  prompt: z.string().trim().min(1).max(20_000),
  role: z.enum(['coordinator', 'worker', 'reviewer', 'refinery', 'monitor']).default('worker'),
  runtime: z.enum(['pi', 'command', 'claude-code', 'codex', 'openclaw']).default('pi'),
  /** A model alias (smart, fast, cheap, or one configured) or a model id; unset: the default model. */
  model: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/, 'a model is an alias or a model id')
    .optional(),
  dependsOn: z.array(TaskKey).default([]),
  /** Shell commands that must pass in the task's worktree before the task counts as done. */
  acceptance: z.array(z.string().trim().min(1).max(2_000)).max(10).default([]),
});

export const PlanSchema = z
  .object({
    summary: z.string().max(2_000).default(''),
    /** The repository's test command, if the planner found one; run on every merge. */
    gate: z.string().trim().min(1).max(2_000).optional(),
    tasks: z.array(PlannedTaskSchema).min(1).max(50),
  })
  .superRefine((plan, ctx) => {
    const ids = new Set<string>();
    for (const task of plan.tasks) {
      if (ids.has(task.id)) ctx.addIssue({ code: 'custom', message: `duplicate task id '${task.id}'` });
      ids.add(task.id);
    }
    for (const task of plan.tasks) {
      for (const dep of task.dependsOn) {
        if (!ids.has(dep))
          ctx.addIssue({ code: 'custom', message: `task '${task.id}' depends on unknown task '${dep}'` });
      }
    }
    const cycle = findCycle(plan.tasks);
    if (cycle) ctx.addIssue({ code: 'custom', message: `dependency cycle: ${cycle.join(' -> ')}` });
  });

export type Plan = z.infer<typeof PlanSchema>;
export type PlannedTask = z.infer<typeof PlannedTaskSchema>;

function findCycle(tasks: { id: string; dependsOn: string[] }[]): string[] | undefined {
  const deps = new Map(tasks.map((t) => [t.id, t.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of deps.get(id) ?? []) {
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const t of tasks) {
    const found = visit(t.id);
    if (found) return found;
  }
  return undefined;
}

/** Models often wrap JSON in prose or code fences; take the outermost object. */
export function parsePlanText(text: string): { ok: true; plan: Plan } | { ok: false; error: string } {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start === -1 || end <= start) return { ok: false, error: 'the planner reply contains no JSON object' };
  let raw: unknown;
  try {
    raw = JSON.parse(text.slice(start, end + 1));
  } catch (err) {
    return { ok: false, error: `the planner reply is not valid JSON: ${(err as Error).message}` };
  }
  const parsed = PlanSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      error: parsed.error.issues.map((i) => `${i.path.join('.') || 'plan'}: ${i.message}`).join('; '),
    };
  }
  return { ok: true, plan: parsed.data };
}
