// Projections of workflow progress into the database, for the API and the CLI. Every write is an
// upsert or a keyed update, so a retried activity leaves the same rows behind. Each state change
// also appends its `events` row (the live stream) in the same statement or transaction.
import { eq, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import * as s from '../drizzle/schema.js';
import type { IntentInput, PlannedTaskInput, PlanResult, Usage } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';
import { tenantOfIntent } from './tenant.js';

export interface IntentPatch {
  intentId: string;
  status: s.IntentStatus;
  resultBranch?: string;
  resultCommit?: string;
  filesChanged?: string[];
  usage?: Usage;
  /**
   * Set the intent's usage to this (Dash's own calls: the planner) plus every session of the
   * intent, failed and stopped ones included: what the intent really cost.
   */
  usageBeyondSessions?: Usage;
  error?: { code: string; message: string } | null;
}

export interface TaskPatch {
  taskId: string;
  status: s.TaskStatus;
  branch?: string;
  commitSha?: string;
  filesChanged?: string[];
  usage?: Usage;
  error?: { code: string; message: string } | null;
}

export interface SessionPatch {
  sessionId: string;
  intentId: string;
  taskId: string;
  workflowId: string;
  role?: string;
  runtime?: string;
  status: string;
  worktreePath?: string;
  usage?: Usage;
  agentMs?: number;
  stopReason?: string;
  error?: string | null;
}

/** The token and cost columns shared by intents, tasks and sessions. */
const usageColumns = (u: Usage | undefined) =>
  u === undefined ? {} : { tokensInput: u.input, tokensOutput: u.output, costUsd: u.cost };

const sessionTotals = (intentId: string, extra: Usage) => {
  const sum = (column: AnyPgColumn, plus: number) =>
    sql`${plus} + (select coalesce(sum(${column}), 0) from ${s.agentSessions} where ${s.agentSessions.intentId} = ${intentId})`;
  return {
    tokensInput: sum(s.agentSessions.tokensInput, extra.input),
    tokensOutput: sum(s.agentSessions.tokensOutput, extra.output),
    costUsd: sum(s.agentSessions.costUsd, extra.cost),
  };
};

/**
 * Status writes append their `events` row in the same statement (`prev` sees the row as it was
 * before it): one round trip, nothing lost between the two, and only a real change is an event,
 * so a retried activity leaves the same events behind too.
 */
const statusChanged = sql`where prev.status is distinct from u.status`;

export function createStoreActivities({ db }: ActivityDeps) {
  return {
    async markIntent(p: IntentPatch): Promise<void> {
      const done = ['completed', 'failed', 'budget_exceeded', 'cancelled'].includes(p.status);
      const update = db
        .update(s.intents)
        .set({
          status: p.status,
          updatedAt: sql`now()`,
          ...(p.resultBranch !== undefined && { resultBranch: p.resultBranch }),
          ...(p.resultCommit !== undefined && { resultCommit: p.resultCommit }),
          ...(p.filesChanged !== undefined && { filesChanged: p.filesChanged }),
          ...usageColumns(p.usage),
          ...(p.usageBeyondSessions && sessionTotals(p.intentId, p.usageBeyondSessions)),
          ...(p.error !== undefined && { error: p.error }),
          ...(done && { completedAt: sql`now()` }),
        })
        .where(eq(s.intents.id, p.intentId))
        .returning();
      await db.execute(sql`
        with prev as (select status from intents where id = ${p.intentId}), u as (${update.getSQL()})
        insert into events (tenant_id, kind, intent_id, payload)
        select u.tenant_id, 'intent.status', u.id, jsonb_strip_nulls(jsonb_build_object(
          'status', u.status, 'from', prev.status, 'error', u.error,
          'result_branch', u.result_branch, 'result_commit', u.result_commit,
          'files_changed', case when u.status = 'completed' then u.files_changed end,
          'tokens', jsonb_build_object('input', u.tokens_input, 'output', u.tokens_output),
          'cost_usd', u.cost_usd))
        from u left join prev on true
        ${statusChanged}`);
    },

    /** A task the swarm adds on its own (a Refinery resolving a conflict), recorded like planned ones. */
    async addTask(p: { intentId: string; task: PlannedTaskInput }): Promise<void> {
      const insert = db
        .insert(s.tasks)
        .values({
          id: `${p.intentId}-${p.task.id}`,
          tenantId: tenantOfIntent(p.intentId),
          intentId: p.intentId,
          swarmId: p.intentId,
          key: p.task.id,
          title: p.task.title,
          prompt: p.task.prompt,
          role: p.task.role,
          runtime: p.task.runtime ?? 'pi',
          dependsOn: p.task.dependsOn,
        })
        .onConflictDoNothing()
        .returning();
      // Only a task really added is announced: a retried call inserts nothing and says nothing.
      await db.execute(sql`
        with u as (${insert.getSQL()})
        insert into events (tenant_id, kind, intent_id, payload)
        select u.tenant_id, 'task.added', u.intent_id, jsonb_build_object(
          'task_id', u.id, 'key', u.key, 'title', u.title, 'role', u.role, 'runtime', u.runtime,
          'depends_on', u.depends_on)
        from u`);
    },

    async savePlan(p: {
      intentId: string;
      plan: PlanResult;
      input: IntentInput;
      usage: Usage;
    }): Promise<void> {
      // The plan and the options it ran with: what `dash swarm retry` runs again.
      const stored = {
        summary: p.plan.summary,
        gate: p.plan.gate,
        tasks: p.plan.tasks,
        usage: p.plan.usage,
        model: p.plan.model,
        input: { ...p.input, retry: undefined },
      };
      await db.transaction(async (tx) => {
        const [swarm] = await tx
          .insert(s.swarms)
          .values({
            id: p.intentId,
            tenantId: tenantOfIntent(p.intentId),
            intentId: p.intentId,
            plan: stored,
          })
          .onConflictDoNothing()
          .returning({ tenantId: s.swarms.tenantId });
        if (swarm)
          await tx.insert(s.events).values({
            tenantId: swarm.tenantId,
            kind: 'intent.plan',
            intentId: p.intentId,
            payload: {
              summary: p.plan.summary,
              gate: p.plan.gate ?? null,
              tasks: p.plan.tasks.map((task) => ({
                key: task.id,
                title: task.title,
                role: task.role,
                runtime: task.runtime ?? 'pi',
                depends_on: task.dependsOn,
              })),
            },
          });
        for (const task of p.plan.tasks) {
          await tx
            .insert(s.tasks)
            .values({
              id: `${p.intentId}-${task.id}`,
              tenantId: tenantOfIntent(p.intentId),
              intentId: p.intentId,
              swarmId: p.intentId,
              key: task.id,
              title: task.title,
              prompt: task.prompt,
              role: task.role,
              runtime: task.runtime ?? 'pi',
              dependsOn: task.dependsOn,
            })
            .onConflictDoNothing();
        }
        await tx
          .update(s.intents)
          .set({
            ...usageColumns(p.usage),
            updatedAt: sql`now()`,
          })
          .where(eq(s.intents.id, p.intentId));
      });
    },

    async markTask(p: TaskPatch): Promise<void> {
      const update = db
        .update(s.tasks)
        .set({
          status: p.status,
          updatedAt: sql`now()`,
          ...(p.branch !== undefined && { branch: p.branch }),
          ...(p.commitSha !== undefined && { commitSha: p.commitSha }),
          ...(p.filesChanged !== undefined && { filesChanged: p.filesChanged }),
          ...usageColumns(p.usage),
          ...(p.error !== undefined && { error: p.error }),
        })
        .where(eq(s.tasks.id, p.taskId))
        .returning();
      await db.execute(sql`
        with prev as (select status from tasks where id = ${p.taskId}), u as (${update.getSQL()})
        insert into events (tenant_id, kind, intent_id, payload)
        select u.tenant_id, 'task.status', u.intent_id, jsonb_strip_nulls(jsonb_build_object(
          'task_id', u.id, 'key', u.key, 'status', u.status, 'from', prev.status, 'error', u.error,
          'branch', u.branch, 'commit', u.commit_sha,
          'files_changed', case when u.status = 'completed' then u.files_changed end,
          'tokens', jsonb_build_object('input', u.tokens_input, 'output', u.tokens_output),
          'cost_usd', u.cost_usd))
        from u left join prev on true
        ${statusChanged}`);
    },

    /** Queues a steer or abort for the running agent; a retried call queues it once. */
    async queueControl(p: {
      sessionId: string;
      requestId: string;
      kind: s.ControlKind;
      message?: string;
    }): Promise<void> {
      await db
        .insert(s.sessionControls)
        .values({ sessionId: p.sessionId, requestId: p.requestId, kind: p.kind, message: p.message ?? null })
        .onConflictDoNothing();
    },

    async markSession(p: SessionPatch): Promise<void> {
      const ended = ['completed', 'failed', 'cancelled', 'aborted'].includes(p.status);
      const fields = {
        status: p.status,
        updatedAt: sql`now()`,
        ...(p.worktreePath !== undefined && { worktreePath: p.worktreePath }),
        ...usageColumns(p.usage),
        ...(p.agentMs !== undefined && { agentMs: p.agentMs }),
        ...(p.stopReason !== undefined && { stopReason: p.stopReason }),
        ...(p.error !== undefined && { error: p.error }),
        ...(ended && { endedAt: sql`now()`, currentTool: null }),
      };
      const upsert = db
        .insert(s.agentSessions)
        .values({
          id: p.sessionId,
          tenantId: tenantOfIntent(p.intentId),
          intentId: p.intentId,
          taskId: p.taskId,
          workflowId: p.workflowId,
          ...(p.role && { role: p.role }),
          ...(p.runtime && { runtime: p.runtime }),
          ...fields,
        })
        .onConflictDoUpdate({ target: s.agentSessions.id, set: fields })
        .returning();
      await db.execute(sql`
        with prev as (select status from agent_sessions where id = ${p.sessionId}), u as (${upsert.getSQL()})
        insert into events (tenant_id, kind, intent_id, session_id, payload)
        select u.tenant_id, 'session.status', u.intent_id, u.id, jsonb_strip_nulls(jsonb_build_object(
          'status', u.status, 'from', prev.status, 'task_id', u.task_id, 'role', u.role,
          'runtime', u.runtime, 'attempt', u.attempt, 'worktree', u.worktree_path, 'error', u.error,
          'stop_reason', u.stop_reason, 'agent_ms', u.agent_ms,
          'tokens', jsonb_build_object('input', u.tokens_input, 'output', u.tokens_output),
          'cost_usd', u.cost_usd))
        from u left join prev on true
        ${statusChanged}`);
    },
  };
}
