// Turns an intent into a validated plan by asking the model. Transient provider failures are
// retried by Temporal (honouring Retry-After); rejected requests and hopeless plans are not.
import fs from 'node:fs';
import { ApplicationFailure } from '@temporalio/activity';
import { chat, LlmHttpError } from '../core/llm.js';
import { parsePlanText } from '../core/plan.js';
import { costOf } from '../providers/models.js';
import type { PlanResult } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

export const PLANNER_SYSTEM_PROMPT = `You are the Dash planner. Split the user's intent for a git repository into 1 to 8 coding tasks that agents can do in separate git worktrees.
Reply with JSON only, no prose, in this shape:
{"summary": "one sentence", "gate": "the repository's test command, if it has one", "tasks": [{"id": "kebab-case-id", "title": "short title", "prompt": "complete instructions for a coding agent", "dependsOn": ["ids of tasks that must finish first"], "model": "optional: smart, fast or cheap", "acceptance": ["shell commands that must pass when the task is done"]}]}
Prefer independent tasks that touch different files. Each prompt must say which files to create or change and how to check the work; put those checks in "acceptance".`;

export function createPlannerActivities({ llm }: ActivityDeps) {
  return {
    async planIntent(input: { intentId: string; text: string; repoPath: string }): Promise<PlanResult> {
      const user = `Intent: ${input.text}\n\nRepository files (top level):\n${listTopLevel(input.repoPath)}`;
      let reply;
      try {
        reply = await chat(llm, { system: PLANNER_SYSTEM_PROMPT, user, model: llm.plannerModel });
      } catch (err) {
        if (err instanceof LlmHttpError) {
          if (!err.retryable) throw ApplicationFailure.nonRetryable(err.message, 'LlmRejected');
          throw ApplicationFailure.create({
            message: err.message,
            type: 'LlmUnavailable',
            nextRetryDelay: err.retryAfterSeconds ? `${err.retryAfterSeconds}s` : undefined,
          });
        }
        throw ApplicationFailure.retryable(`LLM call failed: ${(err as Error).message}`, 'LlmUnavailable');
      }
      const parsed = parsePlanText(reply.text);
      if (!parsed.ok) {
        // Bounded by the activity's maximumAttempts: a model may do better on a second try.
        throw ApplicationFailure.retryable(
          `The planner returned an invalid plan: ${parsed.error}`,
          'PlanInvalid',
        );
      }
      return {
        summary: parsed.plan.summary,
        ...(parsed.plan.gate && { gate: parsed.plan.gate }),
        tasks: parsed.plan.tasks,
        model: reply.model,
        usage: { ...reply.usage, cost: costOf(llm.plannerModel, reply.usage) },
      };
    },
  };
}

function listTopLevel(repo: string): string {
  try {
    return fs
      .readdirSync(repo, { withFileTypes: true })
      .filter((e) => e.name !== '.git')
      .slice(0, 100)
      .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
      .join('\n');
  } catch {
    return '(unreadable)';
  }
}
