// Every documented route, once: its path, the zod schemas its handler validates with (imported from
// the route files, so the document cannot drift from the validation), its reply and its errors.
// tests/api/openapi.test.ts fails when a route mounted on the app is missing here.
import { z } from 'zod';
import * as auth from '../routes/auth.js';
import { EventQuery } from '../routes/events.js';
import * as intents from '../routes/intents.js';
import * as sessions from '../routes/sessions.js';
import * as swarms from '../routes/swarms.js';
import * as tasks from '../routes/tasks.js';
import { UsageQuery } from '../routes/usage.js';
import * as worktrees from '../routes/worktrees.js';
import * as r from './responses.js';

export interface RouteDoc {
  method: 'get' | 'post' | 'delete';
  /** OpenAPI style: `{id}`, not Hono's `:id`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  ok: { status: number; description: string; schema?: z.ZodType; contentType?: string; alsoStatus?: number };
  /** Error statuses beyond the ones every route of its kind has, with the codes they carry. */
  errors?: Record<number, string[]>;
}

const json = (status: number, description: string, schema: z.ZodType) => ({ status, description, schema });

const intentId = { params: intents.IntentId };
const agentId = { params: sessions.SessionId };
const worktreeId = { params: worktrees.WorktreeId };
const repoErrors = { 422: ['repo_not_found', 'repo_not_git', 'repo_no_commits'] };
const unavailable = { 503: ['temporal_unavailable'] };

const documented: RouteDoc[] = [
  // Health: open, for probes.
  {
    method: 'get',
    path: '/health',
    tag: 'health',
    summary: 'Service name and which model endpoint agents use',
    ok: json(
      200,
      'Up',
      z.object({ status: z.literal('ok'), service: z.literal('dash'), llm: z.string() }).strict(),
    ),
  },
  {
    method: 'get',
    path: '/health/live',
    tag: 'health',
    summary: 'Liveness',
    ok: json(200, 'The process answers', z.object({ status: z.literal('ok') }).strict()),
  },
  {
    method: 'get',
    path: '/health/ready',
    tag: 'health',
    summary: 'Readiness: the database and Temporal answer within 3 s',
    description: 'Answers 503 with the same body when a check fails.',
    ok: { ...json(200, 'Ready (503 with the same shape when not)', r.Ready), alsoStatus: 503 },
  },
  {
    method: 'get',
    path: '/metrics',
    tag: 'metrics',
    summary: 'Prometheus metrics, text format 0.0.4',
    ok: { status: 200, description: 'Prometheus exposition', contentType: 'text/plain; version=0.0.4' },
  },
  // Intents and their swarms.
  {
    method: 'post',
    path: '/api/v1/intents',
    tag: 'intents',
    summary: 'Start an intent: plan it, run its swarm, merge into a result branch',
    body: intents.CreateIntent,
    ok: json(202, 'Accepted; the workflow runs', r.Intent),
    errors: { ...repoErrors, ...unavailable },
  },
  {
    method: 'get',
    path: '/api/v1/intents',
    tag: 'intents',
    summary: 'Intents, newest first, with cursor pagination',
    query: intents.ListQuery,
    ok: json(200, 'A page of intents', r.pageOf(r.Intent)),
  },
  {
    method: 'get',
    path: '/api/v1/intents/{id}',
    tag: 'intents',
    summary: 'An intent with its tasks and their sessions',
    ...intentId,
    ok: json(200, 'The intent', r.IntentDetail),
    errors: { 404: ['intent_not_found'] },
  },
  {
    method: 'post',
    path: '/api/v1/intents/{id}/retry',
    tag: 'intents',
    summary: 'Rerun what did not land of a failed, cancelled or over-budget intent',
    ...intentId,
    ok: json(
      202,
      'Restarted',
      z
        .object({
          id: z.string(),
          rerun: z.array(z.string()),
          kept: z.array(z.string()),
          web_ui_url: z.string(),
        })
        .strict(),
    ),
    errors: { 404: ['intent_not_found'], 409: ['intent_not_retryable', 'intent_has_no_plan'] },
  },
  {
    method: 'post',
    path: '/api/v1/intents/{id}/cancel',
    tag: 'intents',
    summary: 'Cancel a running intent; agents stop and worktrees are snapshotted',
    ...intentId,
    ok: json(202, 'Cancelling', z.object({ id: z.string(), cancelling: z.literal(true) }).strict()),
    errors: { 404: ['intent_not_found'], 409: ['intent_not_running'] },
  },
  ...(['approve', 'reject'] as const).map((decision): RouteDoc => ({
    method: 'post',
    path: `/api/v1/intents/{id}/${decision}`,
    tag: 'intents',
    summary:
      decision === 'approve'
        ? 'Approve the plan of an intent started with approve_plan'
        : 'Reject the plan of an intent started with approve_plan',
    ...intentId,
    body: intents.Decision,
    ok: json(202, 'Decided', z.object({ id: z.string(), approved: z.boolean() }).strict()),
    errors: { 404: ['intent_not_found'], 409: ['intent_state_conflict'] },
  })),
  {
    method: 'post',
    path: '/api/v1/intents/{id}/pause',
    tag: 'intents',
    summary: 'Hold a swarm: start nothing new and pause its running agents',
    ...intentId,
    ok: json(
      202,
      'Paused',
      z.object({ id: z.string(), paused: z.literal(true), held_sessions: z.number() }).strict(),
    ),
    errors: { 404: ['intent_not_found'], 409: ['intent_state_conflict'] },
  },
  {
    method: 'post',
    path: '/api/v1/intents/{id}/resume',
    tag: 'intents',
    summary: 'Release a held swarm',
    ...intentId,
    ok: json(
      202,
      'Resumed',
      z.object({ id: z.string(), resumed: z.literal(true), released_sessions: z.number() }).strict(),
    ),
    errors: { 404: ['intent_not_found'], 409: ['intent_state_conflict'] },
  },
  {
    method: 'post',
    path: '/api/v1/intents/{id}/reset',
    tag: 'intents',
    summary:
      'Temporal reset of an intent to the start of its swarm (or a WorkflowTaskCompleted event): tasks that landed are not redone',
    ...intentId,
    body: intents.ResetIntent,
    ok: json(
      202,
      'Reset',
      z
        .object({ id: z.string(), reset_to_event: z.number(), run_id: z.string(), web_ui_url: z.string() })
        .strict(),
    ),
    errors: { 404: ['intent_not_found'], 409: ['intent_state_conflict'], 422: ['reset_point_not_found'] },
  },
  // Swarms (one per planned intent, sharing its id) and their tasks.
  {
    method: 'get',
    path: '/api/v1/swarms',
    tag: 'swarms',
    summary: 'Swarms, newest first, with their task counts and cost; cursor pagination',
    query: swarms.SwarmListQuery,
    ok: json(200, 'A page of swarms', r.pageOf(r.Swarm)),
  },
  {
    method: 'get',
    path: '/api/v1/swarms/{id}',
    tag: 'swarms',
    summary: "A swarm with its plan (the tasks' keys, roles and dependencies)",
    params: swarms.SwarmId,
    ok: json(200, 'The swarm', r.SwarmDetail),
    errors: { 404: ['swarm_not_found'] },
  },
  {
    method: 'get',
    path: '/api/v1/tasks',
    tag: 'tasks',
    summary: 'Tasks of every swarm, newest first, filtered by intent, status or role; cursor pagination',
    query: tasks.TaskListQuery,
    ok: json(200, 'A page of tasks', r.pageOf(r.Task)),
  },
  {
    method: 'get',
    path: '/api/v1/tasks/{id}',
    tag: 'tasks',
    summary: 'A task, with its branch, commit, cost and latest agent session',
    params: tasks.TaskId,
    ok: json(200, 'The task', r.Task),
    errors: { 404: ['task_not_found'] },
  },
  // Agent sessions.
  {
    method: 'post',
    path: '/api/v1/agents',
    tag: 'agents',
    summary: 'Start a standalone agent session (an intent of one task)',
    body: sessions.CreateAgent,
    ok: json(202, 'Started', r.CreatedAgent),
    errors: { 422: [...repoErrors[422], 'unknown_model'], ...unavailable },
  },
  {
    method: 'get',
    path: '/api/v1/agents',
    tag: 'agents',
    summary: 'Agent sessions, newest first, with cursor pagination',
    query: sessions.ListQuery,
    ok: json(200, 'A page of sessions', r.pageOf(r.Session)),
  },
  {
    method: 'get',
    path: '/api/v1/agents/{id}',
    tag: 'agents',
    summary: 'An agent session, with its live state while it runs',
    ...agentId,
    ok: json(200, 'The session', r.SessionDetail),
    errors: { 404: ['agent_not_found'] },
  },
  {
    method: 'get',
    path: '/api/v1/agents/{id}/tree',
    tag: 'agents',
    summary: "The agent's Pi session tree",
    ...agentId,
    ok: json(200, 'The tree', r.SessionTree),
    errors: { 404: ['agent_not_found', 'session_tree_missing'] },
  },
  {
    method: 'post',
    path: '/api/v1/agents/{id}/fork',
    tag: 'agents',
    summary: 'Fork the session at an entry (default: its leaf) into a new session and worktree',
    ...agentId,
    body: sessions.Fork,
    ok: json(202, 'Started', r.ForkedAgent),
    errors: {
      404: ['agent_not_found', 'session_file_missing'],
      409: ['fork_source_incomplete'],
      422: ['fork_entry_not_found'],
    },
  },
  ...(
    [
      ['steer', sessions.Steer, 'Tell a running agent something; it reads it after its current tool call'],
      ['abort', sessions.Abort, 'Abort the running agent; its tool processes are killed'],
      ['pause', sessions.Empty, 'Pause: end the run, hold no process, keep the work'],
    ] as const
  ).map(([action, body, summary]): RouteDoc => ({
    method: 'post',
    path: `/api/v1/agents/{id}/${action}`,
    tag: 'agents',
    summary,
    ...agentId,
    body,
    ok: json(202, 'Queued for the agent', r.Queued),
    errors: { 404: ['agent_not_found'], 409: ['agent_not_running'] },
  })),
  {
    method: 'post',
    path: '/api/v1/agents/{id}/resume',
    tag: 'agents',
    summary: 'Resume a paused agent in the same conversation, optionally with a message',
    ...agentId,
    body: sessions.Resume,
    ok: json(202, 'Resumed', z.object({ id: z.string(), resumed: z.literal(true) }).strict()),
    errors: { 404: ['agent_not_found'], 409: ['agent_not_running'] },
  },
  {
    method: 'post',
    path: '/api/v1/agents/{id}/navigate',
    tag: 'agents',
    summary: 'Move a paused session back to an entry of its tree',
    ...agentId,
    body: sessions.Navigate,
    ok: json(
      200,
      'Moved',
      z.object({ id: z.string(), entry_id: z.string(), branch_entry_id: z.string() }).strict(),
    ),
    errors: { 404: ['agent_not_found'], 409: ['agent_not_running'], 422: ['entry_not_found'] },
  },
  {
    method: 'post',
    path: '/api/v1/agents/{id}/compact',
    tag: 'agents',
    summary: 'Compact a paused session',
    ...agentId,
    body: sessions.Compact,
    ok: json(
      200,
      'Compacted',
      z.object({ id: z.string(), tokens_before: z.number(), summary: z.string() }).strict(),
    ),
    errors: { 404: ['agent_not_found'], 409: ['agent_not_running'] },
  },
  // Worktrees.
  {
    method: 'post',
    path: '/api/v1/worktrees',
    tag: 'worktrees',
    summary: 'A kept worktree for a person, prepared like an agent gets one',
    body: worktrees.CreateWorktree,
    ok: json(201, 'Created', r.CreatedWorktree),
    errors: { ...repoErrors, 409: ['branch_exists'] },
  },
  {
    method: 'get',
    path: '/api/v1/worktrees',
    tag: 'worktrees',
    summary: 'Worktrees, newest first, with cursor pagination',
    query: worktrees.ListQuery,
    ok: json(200, 'A page of worktrees', r.pageOf(r.Worktree)),
  },
  {
    method: 'get',
    path: '/api/v1/worktrees/{id}',
    tag: 'worktrees',
    summary: 'A worktree with its branch, ports and snapshot ref',
    ...worktreeId,
    ok: json(200, 'The worktree', r.Worktree),
    errors: { 404: ['worktree_not_found'] },
  },
  {
    method: 'post',
    path: '/api/v1/worktrees/{id}/cleanup',
    tag: 'worktrees',
    summary: 'Snapshot and remove an active worktree',
    ...worktreeId,
    ok: json(
      200,
      'Removed',
      z.object({ id: z.string(), removed: z.boolean(), snapshot_ref: z.string().nullable() }).strict(),
    ),
    errors: { 404: ['worktree_not_found'], 409: ['worktree_not_active'] },
  },
  // Roles and usage.
  {
    method: 'get',
    path: '/api/v1/roles',
    tag: 'roles',
    summary: 'Coordinator, Worker, Reviewer, Refinery, Monitor and their enforced tools',
    ok: json(200, 'The roles', r.Roles),
  },
  {
    method: 'get',
    path: '/api/v1/usage',
    tag: 'usage',
    summary: "Tokens and dollars from the LLM proxy's audit, grouped and filtered",
    description:
      'group_by is a comma-separated list of tenant, user, intent, swarm, session, model, provider, day.',
    query: UsageQuery,
    ok: json(200, 'Usage rows', r.Usage),
  },
  // Live events.
  {
    method: 'get',
    path: '/api/v1/events',
    tag: 'events',
    summary: 'Live events as Server-Sent Events, replayed from a position, then followed',
    description:
      'Every stored event after `Last-Event-ID` (header; a reconnecting EventSource sends it) or ' +
      '`after`, then new ones as they are written; each message `id:` is the event id. A ' +
      '`caught_up` event marks the end of the replay. The WebSocket twin at `/events` takes the same query.',
    query: EventQuery,
    ok: { status: 200, description: 'The event stream', contentType: 'text/event-stream' },
    errors: { 404: ['intent_not_found', 'agent_not_found'] },
  },
  // Auth: the caller, and the tenant's API keys (admin).
  {
    method: 'get',
    path: '/api/v1/auth/whoami',
    tag: 'auth',
    summary: "The caller: tenant, user and the key's scope",
    ok: json(200, 'The caller', r.Whoami),
  },
  {
    method: 'post',
    path: '/api/v1/auth/keys',
    tag: 'auth',
    summary: 'Create an API key in your tenant; its secret is in the reply, and only there',
    body: auth.CreateKey,
    ok: json(201, 'The key, with its secret in `key`', r.ApiKeyCreated),
  },
  {
    method: 'get',
    path: '/api/v1/auth/keys',
    tag: 'auth',
    summary: "The tenant's API keys (never their secrets), newest first",
    query: auth.ListKeys,
    ok: json(200, 'A page of keys', r.pageOf(r.ApiKey)),
  },
  {
    method: 'delete',
    path: '/api/v1/auth/keys/{id}',
    tag: 'auth',
    summary: 'Revoke a key: it stops working at once on this API process, within 5 s on others',
    params: auth.KeyId,
    ok: json(
      200,
      'Revoked (`was_revoked`: it already was)',
      z.object({ id: z.string(), revoked: z.boolean(), was_revoked: z.boolean() }).strict(),
    ),
    errors: { 404: ['key_not_found'] },
  },
  // This document.
  {
    method: 'get',
    path: '/api/v1/openapi.json',
    tag: 'reference',
    summary: 'This OpenAPI 3.1 document',
    ok: { status: 200, description: 'The document', contentType: 'application/json' },
  },
  {
    method: 'get',
    path: '/api/v1/docs',
    tag: 'reference',
    summary: 'This document rendered as an HTML page',
    ok: { status: 200, description: 'The reference page', contentType: 'text/html; charset=UTF-8' },
  },
];

/** `/api/v1/pi/sessions` is the same router as `/api/v1/agents`, under the seed's name. */
const piSessionAliases = documented
  .filter((d) => d.path.startsWith('/api/v1/agents'))
  .map((d): RouteDoc => ({
    ...d,
    path: d.path.replace('/api/v1/agents', '/api/v1/pi/sessions'),
    tag: 'pi',
    description: `Same as ${d.method.toUpperCase()} ${d.path}.`,
  }));

export const routes: RouteDoc[] = [...documented, ...piSessionAliases];
