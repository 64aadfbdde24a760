// /api/v1/swarms: the swarm of each planned intent (its plan and how far its tasks are). A swarm's
// id is its intent's id; its status is the intent's, which the workflow keeps current.
import { and, eq, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { webUiWorkflowUrl } from '../../core/config.js';
import { NotFoundError } from '../../core/errors.js';
import * as s from '../../drizzle/schema.js';
import type { PlanResult } from '../../workflows/types.js';
import { tenantOf, type AuthEnv } from '../auth.js';
import type { ApiDeps } from '../context.js';
import { afterCursor, newestFirst, pageOf, pageParams } from '../cursor.js';
import { validate } from '../validate.js';
import { IntentId } from './intents.js';

export const SwarmId = IntentId;
export const SwarmListQuery = z.object({
  ...pageParams,
  /** The swarm's intent status (running, paused, merging, completed, failed, …). */
  status: z.enum(s.intentStatuses).optional(),
});

/** Tasks of the swarm counted per status, in one grouped query. */
const taskCounts = sql<Record<string, number>>`coalesce((
  select jsonb_object_agg(status, n) from (
    select status, count(*)::int as n from ${s.tasks} where ${s.tasks.swarmId} = ${s.swarms.id} group by status
  ) c), '{}'::jsonb)`;
const taskCost = sql<number>`coalesce((select sum(${s.tasks.costUsd}) from ${s.tasks} where ${s.tasks.swarmId} = ${s.swarms.id}), 0)::float8`;

export function swarmRoutes(deps: ApiDeps) {
  const { db } = deps.database;
  const query = () =>
    db
      .select({
        id: s.swarms.id,
        createdAt: s.swarms.createdAt,
        updatedAt: s.swarms.updatedAt,
        plan: s.swarms.plan,
        intentId: s.swarms.intentId,
        intent: s.intents.text,
        status: s.intents.status,
        resultBranch: s.intents.resultBranch,
        counts: taskCounts,
        cost: taskCost,
      })
      .from(s.swarms)
      .innerJoin(s.intents, eq(s.intents.id, s.swarms.intentId));
  type Row = Awaited<ReturnType<ReturnType<typeof query>['execute']>>[number];
  const present = (row: Row) => {
    const plan = row.plan as PlanResult;
    const counts = row.counts;
    return {
      id: row.id,
      intent_id: row.intentId,
      intent: row.intent,
      status: row.status,
      summary: plan.summary,
      gate: plan.gate ?? null,
      planner_model: plan.model,
      result_branch: row.resultBranch,
      tasks: {
        total: plan.tasks.length,
        pending: counts.pending ?? 0,
        running: counts.running ?? 0,
        completed: counts.completed ?? 0,
        failed: counts.failed ?? 0,
        cancelled: counts.cancelled ?? 0,
      },
      cost_usd: row.cost,
      web_ui_url: webUiWorkflowUrl(deps.config, row.intentId),
      created_at: row.createdAt.toISOString(),
      updated_at: row.updatedAt.toISOString(),
    };
  };

  return new Hono<AuthEnv>()
    .get('/', validate('query', SwarmListQuery), async (c) => {
      const q = c.req.valid('query');
      const rows = await query()
        .where(
          and(
            eq(s.swarms.tenantId, tenantOf(c)),
            q.status ? eq(s.intents.status, q.status) : undefined,
            afterCursor(s.swarms, q.cursor),
          ),
        )
        .orderBy(...newestFirst(s.swarms))
        .limit(q.limit + 1);
      return c.json(pageOf(rows, q.limit, present));
    })
    .get('/:id', validate('param', SwarmId), async (c) => {
      const { id } = c.req.valid('param');
      const [row] = await query().where(and(eq(s.swarms.id, id), eq(s.swarms.tenantId, tenantOf(c))));
      if (!row) throw new NotFoundError('swarm', id);
      const plan = row.plan as PlanResult;
      return c.json({
        ...present(row),
        plan: plan.tasks.map((t) => ({
          key: t.id,
          title: t.title,
          role: t.role,
          runtime: t.runtime ?? 'pi',
          depends_on: t.dependsOn,
        })),
      });
    });
}
