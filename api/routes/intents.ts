// /api/v1/intents: start an intent (a Temporal workflow) and read its projection.
import crypto from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { webUiWorkflowUrl } from '../../core/config.js';
import { NotFoundError, UnavailableError } from '../../core/errors.js';
import { inspectRepo } from '../../core/git.js';
import { agentTaskQueueOf } from '../../core/task-queues.js';
import * as s from '../../drizzle/schema.js';
import type { IntentWorkflow } from '../../workflows/intent-workflow.js';
import { DashIntentId, DashKind } from '../../workflows/search-attributes.js';
import type { ApiDeps } from '../context.js';
import { afterCursor, newestFirst, pageOf, pageParams } from '../cursor.js';
import { validate } from '../validate.js';

const CreateIntent = z
  .object({
    intent: z.string().trim().min(1, 'the intent must not be empty').max(10_000),
    repo: z.string().trim().min(1, 'repo is required (a path to a git repository on the server)'),
    base_branch: z.string().trim().min(1).max(200).optional(),
    cleanup: z.enum(['immediate', 'on_success', 'delayed', 'manual']).optional(),
  })
  .strict();

const IntentId = z.object({
  id: z.string().regex(/^int-[a-z0-9]{10}$/, 'intent ids look like int-xxxxxxxxxx'),
});

const ListQuery = z.object({
  ...pageParams,
  status: z.enum(s.intentStatuses).optional(),
});

export const newIntentId = () =>
  `int-${crypto.randomBytes(8).readBigUInt64BE().toString(36).padStart(13, '0').slice(-10)}`;

type IntentRow = typeof s.intents.$inferSelect;

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

  return new Hono()
    .post('/', validate('json', CreateIntent), async (c) => {
      const body = c.req.valid('json');
      const repo = await inspectRepo(body.repo, body.base_branch);
      const id = newIntentId();
      const [row] = await db
        .insert(s.intents)
        .values({
          id,
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
        .where(and(q.status ? eq(s.intents.status, q.status) : undefined, afterCursor(s.intents, q.cursor)))
        .orderBy(...newestFirst(s.intents))
        .limit(q.limit + 1);
      return c.json(pageOf(rows, q.limit, present));
    })
    .get('/:id', validate('param', IntentId), async (c) => {
      const { id } = c.req.valid('param');
      const [row] = await db.select().from(s.intents).where(eq(s.intents.id, id));
      if (!row) throw new NotFoundError('intent', id);
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
