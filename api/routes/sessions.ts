// /api/v1/agents: agent sessions, their live state, and control (steer, abort).
import crypto from 'node:crypto';
import fs from 'node:fs';
import { and, asc, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { webUiWorkflowUrl } from '../../core/config.js';
import { DashError, UnavailableError } from '../../core/errors.js';
import { inspectRepo } from '../../core/git.js';
import { isKnownAgentModel } from '../../core/agent-model.js';
import { roleNames } from '../../core/roles.js';
import { runtimeNames } from '../../runtimes/types.js';
import { newIntentId } from './intents.js';
import * as s from '../../drizzle/schema.js';
import {
  abortUpdate,
  compactUpdate,
  navigateUpdate,
  pauseUpdate,
  resumeUpdate,
  sessionStateQuery,
  steerUpdate,
} from '../../workflows/agent-session-workflow.js';
import type { RoleName, RuntimeName } from '../../workflows/types.js';
import { startSessionWorkflow } from '../session-start.js';
import { tenantOf, type AuthEnv } from '../auth.js';
import type { ApiDeps } from '../context.js';
import { findOwned } from '../owned.js';
import { afterCursor, newestFirst, pageOf, pageParams } from '../cursor.js';
import { storable, validate } from '../validate.js';
import { workflowControl } from '../workflow-control.js';

export const SessionId = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,100}$/, 'session ids are lowercase letters, digits and dashes'),
});
export const ListQuery = z.object({
  ...pageParams,
  status: z
    .string()
    .regex(/^[a-z_]{1,20}$/)
    .optional(),
  intent_id: z
    .string()
    .regex(/^int-[a-z0-9]{10}$/)
    .optional(),
});
const EntryIdSchema = z
  .string()
  .regex(/^[a-zA-Z0-9-]{1,64}$/, 'entry ids come from GET /api/v1/agents/:id/tree');
export const Navigate = z
  .object({ entry_id: EntryIdSchema, summary: z.string().trim().max(20_000).default('') })
  .strict();
export const Fork = z
  .object({
    /** Without an entry, the fork takes the whole active branch (Pi's clone). */
    entry_id: EntryIdSchema.optional(),
    prompt: z
      .string()
      .trim()
      .min(1)
      .max(20_000)
      .refine(...storable)
      .default('Continue from here.'),
  })
  .strict();
export const CreateAgent = z
  .object({
    repo: z.string().trim().min(1, 'repo is required (a path to a git repository on the server)'),
    prompt: z
      .string()
      .trim()
      .min(1, 'the prompt must not be empty')
      .max(20_000)
      .refine(...storable),
    title: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .refine(...storable)
      .optional(),
    role: z.enum(roleNames as [RoleName, ...RoleName[]]).default('worker'),
    runtime: z.enum(runtimeNames).default('pi'),
    /** A model alias (smart, fast, cheap, …) or id; default: the configured model. */
    model: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9._:/@-]{1,100}$/, 'model names are letters, digits and . _ : / @ -')
      .optional(),
    base_branch: z.string().trim().min(1).max(200).optional(),
    cleanup: z.enum(['immediate', 'on_success', 'delayed', 'manual']).optional(),
  })
  .strict();
export const Steer = z
  .object({ message: z.string().trim().min(1, 'message must not be empty').max(20_000) })
  .strict();
export const Abort = z
  .object({ reason: z.string().trim().max(2_000).default('aborted through the API') })
  .strict();
export const Resume = z.object({ message: z.string().trim().max(20_000).default('') }).strict();
export const Compact = z.object({ instructions: z.string().trim().max(20_000).default('') }).strict();
export const Empty = z.object({}).strict();

type SessionRow = typeof s.agentSessions.$inferSelect;

export function sessionRoutes(deps: ApiDeps) {
  const { db } = deps.database;
  const present = (r: SessionRow) => ({
    id: r.id,
    intent_id: r.intentId,
    task_id: r.taskId,
    role: r.role,
    runtime: r.runtime,
    status: r.status,
    attempt: r.attempt,
    worktree: r.worktreePath,
    pid: r.pid,
    current_tool: r.currentTool,
    tokens: { input: r.tokensInput, output: r.tokensOutput },
    cost_usd: r.costUsd,
    agent_ms: r.agentMs,
    error: r.error,
    last_activity_at: r.lastActivityAt?.toISOString() ?? null,
    created_at: r.createdAt.toISOString(),
    ended_at: r.endedAt?.toISOString() ?? null,
    workflow_id: r.workflowId,
    web_ui_url: webUiWorkflowUrl(deps.config, r.workflowId),
  });
  const find = (tenantId: string, id: string) => findOwned(db, s.agentSessions, 'agent', tenantId, id);
  const treeOf = (sessionId: string) =>
    db
      .select()
      .from(s.sessionEntries)
      .where(eq(s.sessionEntries.sessionId, sessionId))
      .orderBy(asc(s.sessionEntries.position));
  /** Updates are refused by the workflow's validators when the session is not running. */
  const control = workflowControl('agent_not_running', 'agent');

  return new Hono<AuthEnv>()
    .post('/', validate('json', CreateAgent), async (c) => {
      const body = c.req.valid('json');
      if (
        body.model &&
        !isKnownAgentModel(
          { kind: deps.llmKind, model: deps.config.llm.model },
          body.model,
          deps.config.proxy.aliases,
        )
      )
        throw new DashError(
          'unknown_model',
          `No model or alias '${body.model}'; use an alias (${Object.keys(deps.config.proxy.aliases).join(', ')}) or a model listed at GET /proxy/v1/models.`,
          422,
          { model: body.model },
        );
      const repo = await inspectRepo(body.repo, body.base_branch);
      // A standalone agent is an intent of one task, so its cost is attributed like any other.
      const intentId = newIntentId();
      const id = `${intentId}-agent`;
      const title = body.title ?? body.prompt.split('\n')[0]!.slice(0, 80);
      await db.transaction(async (tx) => {
        await tx.insert(s.intents).values({
          id: intentId,
          tenantId: tenantOf(c),
          text: body.prompt,
          repoPath: repo.path,
          baseBranch: repo.baseBranch,
          workflowId: `${intentId}-task-agent`,
          status: 'running',
          llmProvider: deps.llmKind,
        });
        await tx.insert(s.tasks).values({
          id,
          tenantId: tenantOf(c),
          intentId,
          key: 'agent',
          title,
          prompt: body.prompt,
          role: body.role,
          runtime: body.runtime,
          status: 'pending',
        });
      });
      const branch = `dash/${intentId}/task-agent`;
      const started = await startSessionWorkflow(deps, {
        intentId,
        taskKey: 'agent',
        taskId: id,
        sessionId: id,
        repoPath: repo.path,
        baseSha: repo.baseSha,
        branch,
        title,
        prompt: body.prompt,
        role: body.role,
        runtime: body.runtime,
        ...(body.model && { model: body.model }),
        ownsIntent: true,
        ...(body.cleanup && { cleanup: body.cleanup }),
      }).catch(async (err: unknown) => {
        await db
          .update(s.intents)
          .set({ status: 'failed', error: { code: 'temporal_unavailable', message: String(err) } })
          .where(eq(s.intents.id, intentId));
        throw new UnavailableError('temporal_unavailable', `Could not start the agent: ${String(err)}`);
      });
      return c.json(
        { id, intent_id: intentId, branch, role: body.role, runtime: body.runtime, ...started },
        202,
      );
    })
    .get('/', validate('query', ListQuery), async (c) => {
      const q = c.req.valid('query');
      const rows = await db
        .select()
        .from(s.agentSessions)
        .where(
          and(
            eq(s.agentSessions.tenantId, tenantOf(c)),
            q.status ? eq(s.agentSessions.status, q.status) : undefined,
            q.intent_id ? eq(s.agentSessions.intentId, q.intent_id) : undefined,
            afterCursor(s.agentSessions, q.cursor),
          ),
        )
        .orderBy(...newestFirst(s.agentSessions))
        .limit(q.limit + 1);
      return c.json(pageOf(rows, q.limit, present));
    })
    .get('/:id', validate('param', SessionId), async (c) => {
      const row = await find(tenantOf(c), c.req.valid('param').id);
      // Live state from the workflow itself when it still runs; the row otherwise.
      const live = await deps.temporal.workflow
        .getHandle(row.workflowId)
        .query(sessionStateQuery)
        .catch(() => null);
      return c.json({ ...present(row), live });
    })
    .get('/:id/tree', validate('param', SessionId), async (c) => {
      const row = await find(tenantOf(c), c.req.valid('param').id);
      const entries = await treeOf(row.id);
      if (entries.length === 0) {
        throw new DashError(
          'session_tree_missing',
          `Agent ${row.id} has no session tree yet: it is recorded when the agent's first run ends.`,
          404,
        );
      }
      const children = new Map<string, string[]>();
      for (const e of entries)
        if (e.parentId) children.set(e.parentId, [...(children.get(e.parentId) ?? []), e.entryId]);
      return c.json({
        id: row.id,
        session_file: row.runtimeSessionFile,
        leaf_id: entries.find((e) => e.isLeaf)?.entryId ?? null,
        entries: entries.map((e) => ({
          id: e.entryId,
          parent_id: e.parentId,
          type: e.type,
          role: e.role,
          preview: e.preview,
          children: children.get(e.entryId) ?? [],
        })),
      });
    })
    .post('/:id/fork', validate('param', SessionId), validate('json', Fork), async (c) => {
      const source = await find(tenantOf(c), c.req.valid('param').id);
      const body = c.req.valid('json');
      if (!source.runtimeSessionFile || !fs.existsSync(source.runtimeSessionFile)) {
        throw new DashError(
          'session_file_missing',
          `Agent ${source.id} has no Pi session file to fork from.`,
          404,
        );
      }
      const entries = await treeOf(source.id);
      const entryId = body.entry_id ?? entries.find((e) => e.isLeaf)?.entryId;
      if (!entryId || !entries.some((e) => e.entryId === entryId)) {
        throw new DashError(
          'fork_entry_not_found',
          `Entry '${body.entry_id ?? '(leaf)'}' is not in agent ${source.id}'s session; see its tree.`,
          422,
          { entry_id: body.entry_id ?? null },
        );
      }
      const [task] = source.taskId
        ? await db.select().from(s.tasks).where(eq(s.tasks.id, source.taskId))
        : [];
      const [worktree] = await db.select().from(s.worktrees).where(eq(s.worktrees.id, source.id));
      const [intent] = source.intentId
        ? await db.select().from(s.intents).where(eq(s.intents.id, source.intentId))
        : [];
      if (!task || !worktree || !intent)
        throw new DashError(
          'fork_source_incomplete',
          `Agent ${source.id} has no task or worktree record to fork.`,
          409,
        );
      const key = `fork-${crypto.randomBytes(3).toString('hex')}`;
      const id = `${intent.id}-${key}`;
      const title = `Fork of ${task.key} at ${entryId}`;
      await db.insert(s.tasks).values({
        id,
        tenantId: intent.tenantId,
        intentId: intent.id,
        swarmId: task.swarmId,
        key,
        title,
        prompt: body.prompt,
        role: task.role,
      });
      const started = await startSessionWorkflow(deps, {
        intentId: intent.id,
        taskKey: key,
        taskId: id,
        sessionId: id,
        repoPath: intent.repoPath,
        // The code starts where the source task started; the conversation is cut at the entry.
        baseSha: worktree.baseRef,
        branch: `dash/${intent.id}/task-${key}`,
        title,
        prompt: body.prompt,
        role: task.role as RoleName,
        runtime: task.runtime as RuntimeName,
        forkFrom: { sessionFile: source.runtimeSessionFile, entryId },
      });
      return c.json(
        {
          id,
          forked_from: { id: source.id, entry_id: entryId },
          ...started,
        },
        202,
      );
    })
    .post('/:id/steer', validate('param', SessionId), validate('json', Steer), async (c) => {
      const row = await find(tenantOf(c), c.req.valid('param').id);
      const { message } = c.req.valid('json');
      await control(() =>
        deps.temporal.workflow.getHandle(row.workflowId).executeUpdate(steerUpdate, { args: [message] }),
      );
      return c.json({ id: row.id, queued: true }, 202);
    })
    .post('/:id/abort', validate('param', SessionId), validate('json', Abort), async (c) => {
      const row = await find(tenantOf(c), c.req.valid('param').id);
      const { reason } = c.req.valid('json');
      await control(() =>
        deps.temporal.workflow.getHandle(row.workflowId).executeUpdate(abortUpdate, { args: [reason] }),
      );
      return c.json({ id: row.id, queued: true }, 202);
    })
    .post('/:id/pause', validate('param', SessionId), validate('json', Empty), async (c) => {
      const row = await find(tenantOf(c), c.req.valid('param').id);
      await control(() => deps.temporal.workflow.getHandle(row.workflowId).executeUpdate(pauseUpdate));
      return c.json({ id: row.id, queued: true }, 202);
    })
    .post('/:id/resume', validate('param', SessionId), validate('json', Resume), async (c) => {
      const row = await find(tenantOf(c), c.req.valid('param').id);
      const { message } = c.req.valid('json');
      await control(() =>
        deps.temporal.workflow.getHandle(row.workflowId).executeUpdate(resumeUpdate, { args: [message] }),
      );
      return c.json({ id: row.id, resumed: true }, 202);
    })
    .post('/:id/navigate', validate('param', SessionId), validate('json', Navigate), async (c) => {
      const row = await find(tenantOf(c), c.req.valid('param').id);
      const { entry_id: entryId, summary } = c.req.valid('json');
      if (!(await treeOf(row.id)).some((e) => e.entryId === entryId))
        throw new DashError(
          'entry_not_found',
          `Entry '${entryId}' is not in agent ${row.id}'s session.`,
          422,
          {
            entry_id: entryId,
          },
        );
      const result = await control(() =>
        deps.temporal.workflow
          .getHandle(row.workflowId)
          .executeUpdate(navigateUpdate, { args: [entryId, summary] }),
      );
      return c.json({ id: row.id, entry_id: entryId, branch_entry_id: result.branchEntryId });
    })
    .post('/:id/compact', validate('param', SessionId), validate('json', Compact), async (c) => {
      const row = await find(tenantOf(c), c.req.valid('param').id);
      const { instructions } = c.req.valid('json');
      const result = await control(() =>
        deps.temporal.workflow
          .getHandle(row.workflowId)
          .executeUpdate(compactUpdate, { args: [instructions] }),
      );
      return c.json({ id: row.id, tokens_before: result.tokensBefore, summary: result.summary });
    });
}
