// Whether an intent's spend has reached its budget: used by the swarm before starting a task
// and by running agents each tick (activities/budget.ts).
import type { IntentBudget, Usage } from './types.js';

export const isOverBudget = (budget: Omit<IntentBudget, 'spentOutsideSessions'>, spent: Usage): boolean =>
  (budget.usd !== undefined && spent.cost >= budget.usd) ||
  (budget.tokens !== undefined && spent.input + spent.output >= budget.tokens);
