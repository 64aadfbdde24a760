// The source of truth for Dash's relational state. Temporal holds workflow state; these tables
// are projections and records that the API queries, plus what Temporal should not hold.
import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();
const tenantId = () => text('tenant_id').notNull().default('default');

export const intentStatuses = [
  'queued',
  'planning',
  'awaiting_approval',
  'running',
  'paused',
  'merging',
  'completed',
  'failed',
  'budget_exceeded',
  'cancelled',
] as const;
export type IntentStatus = (typeof intentStatuses)[number];

export const intents = pgTable(
  'intents',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    text: text('text').notNull(),
    repoPath: text('repo_path').notNull(),
    baseBranch: text('base_branch').notNull(),
    status: text('status').$type<IntentStatus>().notNull().default('queued'),
    workflowId: text('workflow_id').notNull(),
    resultBranch: text('result_branch'),
    resultCommit: text('result_commit'),
    filesChanged: jsonb('files_changed')
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    tokensInput: integer('tokens_input').notNull().default(0),
    tokensOutput: integer('tokens_output').notNull().default(0),
    costUsd: doublePrecision('cost_usd').notNull().default(0),
    llmProvider: text('llm_provider'),
    error: jsonb('error').$type<{ code: string; message: string } | null>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [
    index('intents_tenant_created_idx').on(t.tenantId, t.createdAt),
    index('intents_status_idx').on(t.status),
  ],
);

export const swarms = pgTable(
  'swarms',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    intentId: text('intent_id')
      .notNull()
      .references(() => intents.id, { onDelete: 'cascade' }),
    status: text('status').notNull().default('running'),
    plan: jsonb('plan').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('swarms_intent_idx').on(t.intentId)],
);

export const taskStatuses = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof taskStatuses)[number];

export const tasks = pgTable(
  'tasks',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    intentId: text('intent_id')
      .notNull()
      .references(() => intents.id, { onDelete: 'cascade' }),
    swarmId: text('swarm_id').references(() => swarms.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    title: text('title').notNull(),
    prompt: text('prompt').notNull(),
    role: text('role').notNull().default('worker'),
    runtime: text('runtime').notNull().default('pi'),
    dependsOn: jsonb('depends_on')
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    status: text('status').$type<TaskStatus>().notNull().default('pending'),
    branch: text('branch'),
    commitSha: text('commit_sha'),
    filesChanged: jsonb('files_changed')
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    tokensInput: integer('tokens_input').notNull().default(0),
    tokensOutput: integer('tokens_output').notNull().default(0),
    costUsd: doublePrecision('cost_usd').notNull().default(0),
    error: jsonb('error').$type<{ code: string; message: string } | null>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('tasks_intent_key_idx').on(t.intentId, t.key)],
);

export const agentSessions = pgTable(
  'agent_sessions',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    intentId: text('intent_id').references(() => intents.id, { onDelete: 'cascade' }),
    taskId: text('task_id').references(() => tasks.id, { onDelete: 'cascade' }),
    workflowId: text('workflow_id').notNull(),
    runtime: text('runtime').notNull().default('pi'),
    role: text('role').notNull().default('worker'),
    status: text('status').notNull().default('starting'),
    attempt: integer('attempt').notNull().default(1),
    worktreePath: text('worktree_path'),
    runtimeSessionFile: text('runtime_session_file'),
    pid: integer('pid'),
    tokensInput: integer('tokens_input').notNull().default(0),
    tokensOutput: integer('tokens_output').notNull().default(0),
    costUsd: doublePrecision('cost_usd').notNull().default(0),
    agentMs: integer('agent_ms'),
    stopReason: text('stop_reason'),
    error: text('error'),
    lastActivityAt: timestamp('last_activity_at', { withTimezone: true }),
    currentTool: text('current_tool'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [index('agent_sessions_intent_idx').on(t.intentId), index('agent_sessions_task_idx').on(t.taskId)],
);

export const worktrees = pgTable(
  'worktrees',
  {
    id: text('id').primaryKey(),
    tenantId: tenantId(),
    sessionId: text('session_id'),
    repoPath: text('repo_path').notNull(),
    path: text('path').notNull(),
    branch: text('branch').notNull(),
    baseRef: text('base_ref').notNull(),
    status: text('status').notNull().default('active'),
    cleanupPolicy: text('cleanup_policy').notNull().default('on_success'),
    /** First port of the range the worktree's processes may bind (PORT, DASH_PORT_BASE). */
    portBase: integer('port_base'),
    /** refs/dash/snapshots/<id>: the worktree's full state, taken before removal. */
    snapshotRef: text('snapshot_ref'),
    /** For the `delayed` cleanup policy: the reaper schedule removes the worktree after this. */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    createdAt: createdAt(),
    removedAt: timestamp('removed_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('worktrees_path_idx').on(t.path), index('worktrees_status_idx').on(t.status)],
);

export const sessionEvents = pgTable(
  'session_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sessionId: text('session_id').notNull(),
    attempt: integer('attempt').notNull().default(1),
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: createdAt(),
  },
  // A retried activity re-sends a batch; the unique key makes the insert idempotent.
  (t) => [uniqueIndex('session_events_session_seq_idx').on(t.sessionId, t.attempt, t.seq)],
);

export const controlKinds = ['steer', 'abort'] as const;
export type ControlKind = (typeof controlKinds)[number];

/**
 * Commands for a running agent (steer, abort), queued by the session workflow's update handlers
 * and picked up by whichever worker runs the agent, so control needs no host affinity.
 */
export const sessionControls = pgTable(
  'session_controls',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sessionId: text('session_id').notNull(),
    /** Idempotency key: an update retried by Temporal queues its command once. */
    requestId: text('request_id').notNull(),
    kind: text('kind').$type<ControlKind>().notNull(),
    message: text('message'),
    createdAt: createdAt(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    result: text('result'),
  },
  (t) => [
    uniqueIndex('session_controls_request_idx').on(t.requestId),
    index('session_controls_pending_idx').on(t.sessionId, t.deliveredAt),
  ],
);

/**
 * The runtime's session tree (Pi: entries linked by id/parentId), mirrored after every run so
 * the API serves it without the session file, which lives on the worker's host.
 */
export const sessionEntries = pgTable(
  'session_entries',
  {
    sessionId: text('session_id').notNull(),
    entryId: text('entry_id').notNull(),
    parentId: text('parent_id'),
    /** Order in the session file: the last one is the active leaf. */
    position: integer('position').notNull(),
    type: text('type').notNull(),
    role: text('role'),
    preview: text('preview').notNull(),
    isLeaf: boolean('is_leaf').notNull().default(false),
    entryAt: timestamp('entry_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.sessionId, t.entryId] }),
    index('session_entries_position_idx').on(t.sessionId, t.position),
  ],
);

/** Postgres' 64-bit transaction id: orders events by the transaction that wrote them. */
const xid8 = customType<{ data: string }>({ dataType: () => 'xid8' });

/**
 * The live event log behind GET /api/v1/events and the /events WebSocket: one append-only row per
 * state change (intent, task and session status, agent session events, proxy requests), written
 * in the same transaction or statement as the change. `id` is the event id clients resume from;
 * `xid` is the writing transaction, so a reader delivers an event only once no transaction that
 * started before it can still commit (see core/events.ts).
 */
export const events = pgTable(
  'events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tenantId: tenantId(),
    kind: text('kind').notNull(),
    intentId: text('intent_id'),
    sessionId: text('session_id'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    xid: xid8('xid')
      .notNull()
      .default(sql`pg_current_xact_id()`),
    createdAt: createdAt(),
  },
  (t) => [
    index('events_position_idx').on(t.xid, t.id),
    index('events_intent_idx').on(t.intentId, t.xid, t.id),
    index('events_session_idx').on(t.sessionId, t.xid, t.id),
  ],
);

export * from './proxy-schema.js';
