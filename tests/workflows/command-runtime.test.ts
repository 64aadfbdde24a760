// The generic command runtime: a plan task with runtime "command" runs DASH_AGENT_COMMAND in its
// worktree with the prompt in DASH_PROMPT; its work is committed like any agent's; abort stops
// its process group; steering is refused with a reason.
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as s from '../../drizzle/schema.js';
import { isAlive, waitFor } from '../helpers/processes.js';
import { gitIn, makeRepo } from '../helpers/repo.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

const COMMAND = [
  'case "$DASH_PROMPT" in',
  '  *LONG-COMMAND*) sleep 120 & echo $! > sleeper.pid; wait ;;',
  '  *) printf "%s\\n" "$DASH_PROMPT" > prompt.txt; echo "port $PORT via $OPENAI_BASE_URL"; echo finished ;;',
  'esac',
].join('\n');

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    env: { DASH_AGENT_COMMAND: COMMAND },
    scenarios: [
      {
        name: 'command-runtime',
        rules: [
          {
            name: 'command-plan',
            when: { system: 'Dash planner', user: 'command drill (\\w+)' },
            steps: [
              {
                text: '{"tasks": [{"id": "cmd", "title": "command task", "prompt": "{{user_json}}", "runtime": "command", "dependsOn": []}]}',
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

async function submit(intent: string) {
  const repo = makeRepo({ 'a.txt': 'a\n' });
  const res = await stack.app.request('/api/v1/intents', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ intent, repo }),
  });
  const { id } = (await res.json()) as { id: string };
  return { id, repo };
}

describe('command runtime', () => {
  it('runs the command in the worktree with the prompt and the worktree environment, and commits its work', async () => {
    const { id, repo } = await submit('command drill quick');
    const result = await stack.client.workflow.getHandle(id).result();
    expect(result.filesChanged).toEqual(['prompt.txt']);
    expect(gitIn(repo, 'show', `${result.resultBranch}:prompt.txt`)).toMatch(/command drill quick/);
    const [session] = await stack.db.database.db
      .select()
      .from(s.agentSessions)
      .where(eq(s.agentSessions.id, `${id}-cmd`));
    expect(session).toMatchObject({ runtime: 'command', status: 'completed', runtimeSessionFile: null });
    const events = await stack.db.database.db
      .select()
      .from(s.sessionEvents)
      .where(eq(s.sessionEvents.sessionId, `${id}-cmd`));
    const lines = events.map((e) => (e.payload as { line?: string }).line);
    expect(lines).toContain('finished');
    expect(lines.find((l) => l?.startsWith('port '))).toMatch(
      /^port \d{5} via http:\/\/127\.0\.0\.1:\d+\/v1$/,
    );
    const [task] = await stack.db.database.db.select().from(s.tasks).where(eq(s.tasks.intentId, id));
    expect(task?.runtime).toBe('command');
  });

  it('refuses to steer it, and abort kills its process group', async () => {
    const { id } = await submit('command drill LONG-COMMAND');
    const sessionId = `${id}-cmd`;
    const worktree = path.join(stack.config.worktreeRoot, id, 'cmd');
    await waitFor(
      () => fs.existsSync(path.join(worktree, 'sleeper.pid')),
      60_000,
      'the command to start its sleeper',
    );
    const sleeper = Number(fs.readFileSync(path.join(worktree, 'sleeper.pid'), 'utf8'));
    expect(isAlive(sleeper)).toBe(true);

    const steer = await stack.app.request(`/api/v1/agents/${sessionId}/steer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'change course' }),
    });
    expect(steer.status).toBe(202);
    await waitFor(
      async () =>
        (
          await stack.db.database.db
            .select()
            .from(s.sessionControls)
            .where(eq(s.sessionControls.sessionId, sessionId))
        )[0]?.deliveredAt !== null,
      10_000,
      'the steer to be answered',
    );
    const [control] = await stack.db.database.db
      .select()
      .from(s.sessionControls)
      .where(eq(s.sessionControls.sessionId, sessionId));
    expect(control?.result).toBe('refused: the command runtime cannot be steered');

    const abort = await stack.app.request(`/api/v1/agents/${sessionId}/abort`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(abort.status).toBe(202);
    await waitFor(() => !isAlive(sleeper), 10_000, 'the sleeper to be killed');
    await stack.client.workflow
      .getHandle(id)
      .result()
      .catch(() => undefined);
    const [session] = await stack.db.database.db
      .select()
      .from(s.agentSessions)
      .where(eq(s.agentSessions.id, sessionId));
    expect(session?.status).toBe('aborted');
  });
});
