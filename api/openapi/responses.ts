// Response shapes for the OpenAPI document. The routes build their replies by hand (`present`), so
// these mirror them; tests/api/openapi.test.ts parses real replies with them to keep the two in step.
import { z } from 'zod';
import { intentStatuses, taskStatuses } from '../../drizzle/schema.js';

const isoTime = z.iso.datetime({ offset: true });
const nullableTime = isoTime.nullable();
const storedError = z.object({ code: z.string(), message: z.string() }).passthrough().nullable();

export const ErrorBody = z
  .object({
    error: z
      .object({
        code: z
          .string()
          .meta({ description: 'stable, machine-readable: validation_failed, intent_not_found, …' }),
        message: z.string().meta({ description: 'for people; may change' }),
        details: z.unknown().optional(),
      })
      .strict(),
  })
  .strict()
  .meta({ description: 'Every error the API returns has this shape.' });

export const Intent = z
  .object({
    id: z.string(),
    intent: z.string(),
    status: z.enum(intentStatuses),
    repo: z.string(),
    base_branch: z.string(),
    result_branch: z.string().nullable(),
    result_commit: z.string().nullable(),
    files_changed: z.array(z.string()),
    tokens: z.object({ input: z.number(), output: z.number(), total: z.number() }).strict(),
    cost_usd: z.number(),
    llm: z.string().nullable(),
    error: storedError,
    workflow_id: z.string(),
    web_ui_url: z.string(),
    created_at: isoTime,
    updated_at: isoTime,
    completed_at: nullableTime,
  })
  .strict();

/** What a task says of itself, as a swarm's detail or GET /api/v1/tasks shows it. */
const taskFields = {
  key: z.string(),
  title: z.string(),
  status: z.enum(taskStatuses),
  depends_on: z.array(z.string()),
  branch: z.string().nullable(),
  commit: z.string().nullable(),
  files_changed: z.array(z.string()),
  tokens: z.object({ input: z.number(), output: z.number() }).strict(),
  cost_usd: z.number(),
  error: storedError,
};

export const IntentDetail = Intent.extend({
  tasks: z.array(
    z
      .object({
        ...taskFields,
        session: z
          .object({
            id: z.string(),
            status: z.string(),
            attempt: z.number(),
            runtime: z.string(),
            last_activity_at: nullableTime,
            agent_ms: z.number().nullable(),
          })
          .strict()
          .nullable(),
      })
      .strict(),
  ),
}).strict();

const taskCounts = z
  .object({
    total: z.number(),
    pending: z.number(),
    running: z.number(),
    completed: z.number(),
    failed: z.number(),
    cancelled: z.number(),
  })
  .strict();

export const Swarm = z
  .object({
    id: z.string(),
    intent_id: z.string(),
    intent: z.string(),
    status: z.enum(intentStatuses),
    summary: z.string(),
    gate: z.string().nullable(),
    planner_model: z.string(),
    result_branch: z.string().nullable(),
    tasks: taskCounts,
    cost_usd: z.number(),
    web_ui_url: z.string(),
    created_at: isoTime,
    updated_at: isoTime,
  })
  .strict();

export const SwarmDetail = Swarm.extend({
  plan: z.array(
    z
      .object({
        key: z.string(),
        title: z.string(),
        role: z.string(),
        runtime: z.string(),
        depends_on: z.array(z.string()),
      })
      .strict(),
  ),
}).strict();

export const Task = z
  .object({
    id: z.string(),
    intent_id: z.string(),
    swarm_id: z.string().nullable(),
    prompt: z.string(),
    role: z.string(),
    runtime: z.string(),
    ...taskFields,
    session_id: z.string().nullable(),
    created_at: isoTime,
    updated_at: isoTime,
  })
  .strict();

export const Session = z
  .object({
    id: z.string(),
    intent_id: z.string().nullable(),
    task_id: z.string().nullable(),
    role: z.string(),
    runtime: z.string(),
    status: z.string(),
    attempt: z.number(),
    worktree: z.string().nullable(),
    pid: z.number().nullable(),
    current_tool: z.string().nullable(),
    tokens: z.object({ input: z.number(), output: z.number() }).strict(),
    cost_usd: z.number(),
    agent_ms: z.number().nullable(),
    error: z.string().nullable(),
    last_activity_at: nullableTime,
    created_at: isoTime,
    ended_at: nullableTime,
    workflow_id: z.string(),
    web_ui_url: z.string(),
  })
  .strict();

export const SessionDetail = Session.extend({
  live: z.unknown().meta({ description: "the workflow's live state while it runs, else null" }),
}).strict();

export const SessionTree = z
  .object({
    id: z.string(),
    session_file: z.string().nullable(),
    leaf_id: z.string().nullable(),
    entries: z.array(
      z
        .object({
          id: z.string(),
          parent_id: z.string().nullable(),
          type: z.string(),
          role: z.string().nullable(),
          preview: z.string(),
          children: z.array(z.string()),
        })
        .strict(),
    ),
  })
  .strict();

export const Worktree = z
  .object({
    id: z.string(),
    session_id: z.string().nullable(),
    repository: z.string(),
    path: z.string(),
    branch: z.string(),
    base_ref: z.string(),
    status: z.string(),
    cleanup: z.string(),
    port_base: z.number().nullable(),
    snapshot_ref: z.string().nullable(),
    created_at: isoTime,
    removed_at: nullableTime,
  })
  .strict();

export const CreatedWorktree = Worktree.extend({
  env: z.record(z.string(), z.string()),
  linked: z.array(z.string()),
}).strict();

/** Cursor pagination: pass `next_cursor` as `cursor` for the next page; null on the last one. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), next_cursor: z.string().nullable() }).strict();

export const Started = z.object({ workflow_id: z.string(), web_ui_url: z.string() });

export const CreatedAgent = Started.extend({
  id: z.string(),
  intent_id: z.string(),
  branch: z.string(),
  role: z.string(),
  runtime: z.string(),
}).strict();

export const ForkedAgent = Started.extend({
  id: z.string(),
  forked_from: z.object({ id: z.string(), entry_id: z.string() }).strict(),
}).strict();

export const Queued = z.object({ id: z.string(), queued: z.literal(true) }).strict();

export const Roles = z
  .object({
    data: z.array(
      z
        .object({ name: z.string(), alias: z.string(), purpose: z.string(), tools: z.array(z.string()) })
        .strict(),
    ),
  })
  .strict();

export const Usage = z
  .object({
    group_by: z.array(z.string()),
    rows: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()]))),
    total_cost_usd: z.number(),
  })
  .strict();

const check = z.object({ status: z.enum(['ok', 'error']), error: z.string().optional() });
export const Ready = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z
      .object({
        database: check.extend({ kind: z.string() }).strict(),
        temporal: check.extend({ address: z.string() }).strict(),
      })
      .strict(),
    llm: z.string(),
    temporal_ui: z.string(),
  })
  .strict();

const scope = z.enum(['proxy', 'read', 'write', 'admin']);

export const Whoami = z
  .object({
    tenant: z.string(),
    user: z.string(),
    scope,
    auth: z.enum(['api_key', 'jwt']),
    key_id: z.string().nullable(),
  })
  .strict();

export const ApiKey = z
  .object({
    id: z.string(),
    prefix: z.string(),
    name: z.string().nullable(),
    scope,
    tenant: z.string(),
    user: z.string(),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .strict();

export const ApiKeyCreated = ApiKey.extend({ key: z.string() }).strict();
