// /api/v1/intents: start an intent (a Temporal workflow) and read its projection.
import crypto from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { webUiWorkflowUrl } from '../../core/config.js';
import { DashError, UnavailableError } from '../../core/errors.js';
import { inspectRepo } from '../../core/git.js';
import { agentTaskQueueOf } from '../../core/task-queues.js';
import { findLandedTasks } from '../../activities/landed.js';
import * as s from '../../drizzle/schema.js';
import {
  pauseSwarmUpdate,
  planDecisionUpdate,
  resultBranchOf,
  resumeSwarmUpdate,
  type IntentWorkflow,
} from '../../workflows/intent-workflow.js';
import type { IntentInput, PlanResult } from '../../workflows/types.js';
import { DashIntentId, DashKind } from '../../workflows/search-attributes.js';
import { tenantOf, type AuthEnv } from '../auth.js';
import type { ApiDeps } from '../context.js';
import { findOwned } from '../owned.js';
import { afterCursor, newestFirst, pageOf, pageParams } from '../cursor.js';
import { storable, validate } from '../validate.js';
import { workflowControl } from '../workflow-control.js';

export const CreateIntent = z
  .object({
    intent: z
      .string()
      .trim()
      .min(1, 'the intent must not be empty')
      .max(10_000)
      .refine(...storable),
    repo: z
      .string()
      .trim()
      .min(1, 'repo is required (a path to a git repository on the server)')
      .refine(...storable),
    base_branch: z.string().trim().min(1).max(200).optional(),
    cleanup: z.enum(['immediate', 'on_success', 'delayed', 'manual']).optional(),
    /** The repository's test command, run on every merge into the result branch. */
    gate: z
      .string()
      .trim()
      .min(1)
      .max(2_000)
      .refine(...storable)
      .optional(),
    concurrency: z.number().int().min(1).max(500).optional(),
    max_fix_attempts: z.number().int().min(0).max(10).optional(),
    /** Reviewer rounds per task before it counts as rejected; 0 turns review off. */
    review_rounds: z.number().int().min(0).max(5).optional(),
    budget: z
      .object({
        usd: z.number().positive().max(1_000_000).optional(),
        tokens: z.number().int().positive().optional(),
      })
      .strict()
      .refine((b) => b.usd !== undefined || b.tokens !== undefined, 'a budget needs usd or tokens')
      .optional(),
    /** Plan first, then wait for POST /:id/approve (or /reject) before any agent starts. */
    approve_plan: z.boolean().optional(),
    /** The Monitor stops an agent silent this long (after a nudge); 0 turns it off. */
    stall_timeout_ms: z.number().int().min(0).max(86_400_000).optional(),
    /** Branches merged and gated together at most (1: one at a time); a failing batch is bisected. */
    merge_batch: z.number().int().min(1).max(20).optional(),
  })
  .strict();

export const ResetIntent = z
  .object({
    /**
     * Where the new run starts: `swarm-start` (after planning, before the first agent), or the id
     * of a WorkflowTaskCompleted event (as shown in the Temporal Web UI).
     */
    to: z.union([z.literal('swarm-start'), z.number().int().positive()]).default('swarm-start'),
    reason: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .refine(...storable)
      .optional(),
  })
  .strict();

export const Decision = z.object({ reason: z.string().trim().max(2_000).optional() }).strict();

export const IntentId = z.object({
  id: z.string().regex(/^int-[a-z0-9]{10}$/, 'intent ids look like int-xxxxxxxxxx'),
});

export const ListQuery = z.object({
  ...pageParams,
  status: z.enum(s.intentStatuses).optional(),
});

export const newIntentId = () =>
  `int-${crypto.randomBytes(8).readBigUInt64BE().toString(36).padStart(13, '0').slice(-10)}`;

type IntentRow = typeof s.intents.$inferSelect;

/** The workflow's validators refuse an update the intent cannot take in its current phase. */
const control = workflowControl('intent_state_conflict', 'intent');

export function intentRoutes(deps: ApiDeps) {
  const { db } = deps.database;
  const present = (row: IntentRow) => ({
    id: row.id,
    intent: row.text,
    status: row.status,
    repo: row.repoPath,
    base_branch: row.baseBranch,
    result_branch: row.resultBranch,
    result_commit: row.resultCommit,
    files_changed: row.filesChanged,
    tokens: { input: row.tokensInput, output: row.tokensOutput, total: row.tokensInput + row.tokensOutput },
    cost_usd: row.costUsd,
    llm: row.llmProvider,
    error: row.error,
    workflow_id: row.workflowId,
    web_ui_url: webUiWorkflowUrl(deps.config, row.workflowId),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    completed_at: row.completedAt?.toISOString() ?? null,
  });

  const find = (tenantId: string, id: string) => findOwned(db, s.intents, 'intent', tenantId, id);

  return new Hono<AuthEnv>()
    .post('/', validate('json', CreateIntent), async (c) => {
      const body = c.req.valid('json');
      const repo = await inspectRepo(body.repo, body.base_branch);
      const id = newIntentId();
      const [row] = await db
        .insert(s.intents)
        .values({
          id,
          tenantId: tenantOf(c),
          text: body.intent,
          repoPath: repo.path,
          baseBranch: repo.baseBranch,
          workflowId: id,
          llmProvider: deps.llmKind,
        })
        .returning();
      try {
        await deps.temporal.workflow.start<typeof IntentWorkflow>('IntentWorkflow', {
          taskQueue: deps.config.temporal.taskQueue,
          workflowId: id,
          args: [
            {
              intentId: id,
              text: body.intent,
              repoPath: repo.path,
              baseBranch: repo.baseBranch,
              baseSha: repo.baseSha,
              worktreeRoot: deps.config.worktreeRoot,
              agentTaskQueue: agentTaskQueueOf(deps.config.temporal.taskQueue),
              cleanup: body.cleanup ?? deps.config.worktreeCleanup,
              worktreeTtlMs: deps.config.worktreeTtlMs,
              agentHeartbeatTimeoutMs: deps.config.agent.heartbeatTimeoutMs,
              agentTimeoutMs: deps.config.agent.timeoutMs,
              concurrency: body.concurrency ?? deps.config.swarm.concurrency,
              maxFixAttempts: body.max_fix_attempts ?? deps.config.swarm.maxFixAttempts,
              reviewRounds: body.review_rounds ?? deps.config.swarm.reviewRounds,
              rateLimit: deps.config.swarm.rateLimit,
              stallMs: body.stall_timeout_ms ?? deps.config.swarm.stallMs,
              mergeBatchSize: body.merge_batch ?? deps.config.swarm.mergeBatchSize,
              ...(body.budget && { budget: body.budget }),
              ...(body.approve_plan && { approvePlan: true }),
              ...((body.gate ?? deps.config.swarm.gateCommand) && {
                gateCommand: body.gate ?? deps.config.swarm.gateCommand,
              }),
            },
          ],
          typedSearchAttributes: [
            { key: DashKind, value: 'intent' },
            { key: DashIntentId, value: id },
          ],
        });
      } catch (err) {
        await db
          .update(s.intents)
          .set({
            status: 'failed',
            error: { code: 'temporal_unavailable', message: (err as Error).message },
            updatedAt: sql`now()`,
          })
          .where(eq(s.intents.id, id));
        throw new UnavailableError(
          'temporal_unavailable',
          `Could not start the intent workflow: ${(err as Error).message}`,
        );
      }
      return c.json(present(row!), 202);
    })
    .get('/', validate('query', ListQuery), async (c) => {
      const q = c.req.valid('query');
      const rows = await db
        .select()
        .from(s.intents)
        .where(
          and(
            eq(s.intents.tenantId, tenantOf(c)),
            q.status ? eq(s.intents.status, q.status) : undefined,
            afterCursor(s.intents, q.cursor),
          ),
        )
        .orderBy(...newestFirst(s.intents))
        .limit(q.limit + 1);
      return c.json(pageOf(rows, q.limit, present));
    })
    .post('/:id/retry', validate('param', IntentId), async (c) => {
      const { id } = c.req.valid('param');
      const row = await find(tenantOf(c), id);
      if (!['failed', 'budget_exceeded', 'cancelled'].includes(row.status))
        throw new DashError(
          'intent_not_retryable',
          `Intent ${id} is ${row.status}; only a failed, cancelled or over-budget intent can be retried.`,
          409,
        );
      const [swarm] = await db.select().from(s.swarms).where(eq(s.swarms.intentId, id));
      const stored = swarm?.plan as (PlanResult & { input: IntentInput }) | undefined;
      if (!stored?.input)
        throw new DashError(
          'intent_has_no_plan',
          `Intent ${id} failed before it had a plan; start it again with dash do.`,
          409,
        );
      const landed = await findLandedTasks(db, {
        intentId: id,
        repoPath: row.repoPath,
        resultBranch: resultBranchOf(id),
        keys: stored.tasks.map((t) => t.id),
      });
      await deps.temporal.workflow.start<typeof IntentWorkflow>('IntentWorkflow', {
        taskQueue: deps.config.temporal.taskQueue,
        workflowId: id,
        args: [{ ...stored.input, retry: { plan: stored, landed } }],
        typedSearchAttributes: [
          { key: DashKind, value: 'intent' },
          { key: DashIntentId, value: id },
        ],
      });
      await db
        .update(s.intents)
        .set({ status: 'queued', updatedAt: sql`now()` })
        .where(eq(s.intents.id, id));
      return c.json(
        {
          id,
          rerun: stored.tasks.map((t) => t.id).filter((k) => !landed.some((l) => l.key === k)),
          kept: landed.map((l) => l.key),
          web_ui_url: webUiWorkflowUrl(deps.config, id),
        },
        202,
      );
    })
    .post('/:id/reset', validate('param', IntentId), validate('json', ResetIntent), async (c) => {
      const row = await find(tenantOf(c), c.req.valid('param').id);
      const body = c.req.valid('json');
      const handle = deps.temporal.workflow.getHandle(row.workflowId);
      const { runId } = await control(() => handle.describe());
      const history = await handle.fetchHistory();
      const events = history.events ?? [];
      // The swarm starts where it asks which tasks already landed (older runs: at their first
      // child); resetting to that workflow task makes the new run ask again, so landed work stays.
      const swarmStart = () => {
        const asked = events.find(
          (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'landedTasks',
        )?.activityTaskScheduledEventAttributes;
        const child = events.find(
          (e) => e.startChildWorkflowExecutionInitiatedEventAttributes,
        )?.startChildWorkflowExecutionInitiatedEventAttributes;
        return Number(asked?.workflowTaskCompletedEventId ?? child?.workflowTaskCompletedEventId ?? 0);
      };
      const point = body.to === 'swarm-start' ? swarmStart() : body.to;
      const target = events.find((e) => Number(e.eventId) === point);
      if (!target?.workflowTaskCompletedEventAttributes)
        throw new DashError(
          'reset_point_not_found',
          body.to === 'swarm-start'
            ? `Intent ${row.id} never started its swarm (no agent ran); start it again with dash do.`
            : `Event ${point} of intent ${row.id} is not a WorkflowTaskCompleted event; pick one in the Web UI.`,
          422,
        );
      const reset = await deps.temporal.workflowService.resetWorkflowExecution({
        namespace: deps.config.temporal.namespace,
        workflowExecution: { workflowId: row.workflowId, runId },
        reason: body.reason ?? `dash swarm reset --to ${body.to}`,
        workflowTaskFinishEventId: target.eventId,
        requestId: crypto.randomUUID(),
      });
      await db
        .update(s.intents)
        .set({ status: 'running', error: null, updatedAt: sql`now()` })
        .where(eq(s.intents.id, row.id));
      return c.json(
        {
          id: row.id,
          reset_to_event: point,
          run_id: reset.runId,
          web_ui_url: webUiWorkflowUrl(deps.config, row.id),
        },
        202,
      );
    })
    .post('/:id/cancel', validate('param', IntentId), async (c) => {
      const { id } = c.req.valid('param');
      const row = await find(tenantOf(c), id);
      if (!['queued', 'planning', 'awaiting_approval', 'running', 'paused', 'merging'].includes(row.status))
        throw new DashError(
          'intent_not_running',
          `Intent ${id} is ${row.status}; there is nothing to cancel.`,
          409,
        );
      // A workflow terminated behind Dash's back (say, from the Web UI) has nothing to cancel.
      await control(() => deps.temporal.workflow.getHandle(row.workflowId).cancel());
      return c.json({ id, cancelling: true }, 202);
    })
    .post('/:id/approve', validate('param', IntentId), validate('json', Decision), async (c) => {
      const row = await find(tenantOf(c), c.req.valid('param').id);
      const { reason } = c.req.valid('json');
      await control(() =>
        deps.temporal.workflow
          .getHandle(row.workflowId)
          .executeUpdate(planDecisionUpdate, { args: [{ approve: true, ...(reason && { reason }) }] }),
      );
      return c.json({ id: row.id, approved: true }, 202);
    })
    .post('/:id/reject', validate('param', IntentId), validate('json', Decision), async (c) => {
      const row = await find(tenantOf(c), c.req.valid('param').id);
      const { reason } = c.req.valid('json');
      await control(() =>
        deps.temporal.workflow
          .getHandle(row.workflowId)
          .executeUpdate(planDecisionUpdate, { args: [{ approve: false, ...(reason && { reason }) }] }),
      );
      return c.json({ id: row.id, approved: false }, 202);
    })
    .post('/:id/pause', validate('param', IntentId), async (c) => {
      const row = await find(tenantOf(c), c.req.valid('param').id);
      const r = await control(() =>
        deps.temporal.workflow.getHandle(row.workflowId).executeUpdate(pauseSwarmUpdate),
      );
      return c.json({ id: row.id, paused: true, held_sessions: r.held }, 202);
    })
    .post('/:id/resume', validate('param', IntentId), async (c) => {
      const row = await find(tenantOf(c), c.req.valid('param').id);
      const r = await control(() =>
        deps.temporal.workflow.getHandle(row.workflowId).executeUpdate(resumeSwarmUpdate),
      );
      return c.json({ id: row.id, resumed: true, released_sessions: r.released }, 202);
    })
    .get('/:id', validate('param', IntentId), async (c) => {
      const { id } = c.req.valid('param');
      const row = await find(tenantOf(c), id);
      const tasks = await db
        .select()
        .from(s.tasks)
        .where(eq(s.tasks.intentId, id))
        .orderBy(s.tasks.createdAt, s.tasks.key);
      const sessions = await db.select().from(s.agentSessions).where(eq(s.agentSessions.intentId, id));
      return c.json({
        ...present(row),
        tasks: tasks.map((t) => {
          const session = sessions.find((x) => x.taskId === t.id);
          return {
            key: t.key,
            title: t.title,
            status: t.status,
            depends_on: t.dependsOn,
            branch: t.branch,
            commit: t.commitSha,
            files_changed: t.filesChanged,
            tokens: { input: t.tokensInput, output: t.tokensOutput },
            cost_usd: t.costUsd,
            error: t.error,
            session: session
              ? {
                  id: session.id,
                  status: session.status,
                  attempt: session.attempt,
                  runtime: session.runtime,
                  last_activity_at: session.lastActivityAt?.toISOString() ?? null,
                  agent_ms: session.agentMs,
                }
              : null,
          };
        }),
      });
    });
}
