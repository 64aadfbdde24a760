// A plan task with runtime "claude-code" runs through the real intent and agent-session workflows
// on the real Temporal dev server: the real claude binary edits its worktree, Dash commits the
// work to the result branch, and the session row records Claude Code's own usage and cost.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as s from '../../drizzle/schema.js';
import { gitIn, makeRepo } from '../helpers/repo.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { requestsOf, tokensOf } from './agent-cli-helpers.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    scenarios: [
      {
        name: 'claude-code-workflow',
        rules: [
          {
            name: 'claude-code-plan',
            when: { system: 'Dash planner', user: 'claude drill' },
            steps: [
              {
                text: '{"tasks": [{"id": "claude", "title": "rewrite the readme", "prompt": "[rehearsal:rewrite-readme] {{user_slug}}", "runtime": "claude-code", "dependsOn": []}]}',
              },
            ],
          },
        ],
      },
    ],
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('claude-code runtime in the workflow', () => {
  it('runs a planned task with the real claude binary, commits its edit and records its usage', async () => {
    const repo = makeRepo({ 'README.md': '# original\n' });
    const res = await stack.app.request('/api/v1/intents', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ intent: 'claude drill one', repo }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const result = await stack.client.workflow.getHandle(id).result();

    expect(result.filesChanged).toEqual(['README.md']);
    expect(gitIn(repo, 'show', `${result.resultBranch}:README.md`)).toMatch(
      /^# rewritten for Task: rewrite the readme\n[\s\S]*claude-drill-one/,
    );

    const [session] = await stack.db.database.db
      .select()
      .from(s.agentSessions)
      .where(eq(s.agentSessions.id, `${id}-claude`));
    expect(session).toMatchObject({ runtime: 'claude-code', status: 'completed', stopReason: 'stop' });
    // The agent's model calls (not the planner's) carried the task's marker; their usage is what
    // Claude Code reported and Dash stored.
    const calls = requestsOf(stack.rehearsal, '[rehearsal:rewrite-readme]');
    expect(calls.map((r) => [r.api, r.step])).toEqual([
      ['anthropic', 0],
      ['anthropic', 1],
      ['anthropic', 2],
    ]);
    expect(session?.tokensInput).toBe(tokensOf(calls).input);
    expect(session?.tokensOutput).toBe(tokensOf(calls).output);
    expect(session?.costUsd).toBeGreaterThan(0);
    const [task] = await stack.db.database.db.select().from(s.tasks).where(eq(s.tasks.intentId, id));
    expect(task?.runtime).toBe('claude-code');
  });
});
