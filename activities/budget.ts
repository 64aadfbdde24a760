// The intent's budget, enforced while agents work. Every running session writes its live usage
// to its own row each tick and reads back the intent's total, so parallel sessions (workers,
// reviewers, refineries) share one limit without a coordinator. A session that sees the total
// at or over the limit aborts its agent: the spend stops within the request that crossed it.
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../drizzle/client.js';
import * as s from '../drizzle/schema.js';
import type { IntentBudget, Usage } from '../workflows/types.js';

export { isOverBudget } from '../workflows/budget.js';

export async function intentSpendWith(
  db: Db,
  budget: IntentBudget & { intentId: string },
  sessionId: string,
  sessionUsage: Usage,
): Promise<Usage> {
  await db
    .update(s.agentSessions)
    .set({ tokensInput: sessionUsage.input, tokensOutput: sessionUsage.output, costUsd: sessionUsage.cost })
    .where(eq(s.agentSessions.id, sessionId));
  const [row] = await db
    .select({
      input: sql<string>`coalesce(sum(${s.agentSessions.tokensInput}), 0)`,
      output: sql<string>`coalesce(sum(${s.agentSessions.tokensOutput}), 0)`,
      cost: sql<string>`coalesce(sum(${s.agentSessions.costUsd}), 0)`,
    })
    .from(s.agentSessions)
    .where(eq(s.agentSessions.intentId, budget.intentId));
  return {
    input: Number(row?.input ?? 0) + budget.spentOutsideSessions.input,
    output: Number(row?.output ?? 0) + budget.spentOutsideSessions.output,
    cost: Number(row?.cost ?? 0) + budget.spentOutsideSessions.cost,
  };
}
