// /api/v1/agents and /api/v1/worktrees against a live session, through the API and the `dash`
// binary: list, live state, steer and abort, and their errors.
import { serve, type ServerType } from '@hono/node-server';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as s from '../../drizzle/schema.js';
import { freePort } from '../../temporal-dev/dev-server.js';
import { waitFor } from '../helpers/processes.js';
import { makeRepo } from '../helpers/repo.js';
import { callApi, runDash } from '../helpers/api.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
let server: ServerType;
let apiUrl: string;
let intentId: string;
let sessionId: string;

beforeAll(async () => {
  stack = await startTestStack({
    scenarios: [
      {
        name: 'agents-api',
        rules: [
          {
            name: 'agents-api-plan',
            when: { system: 'Dash planner', user: 'agents api drill' },
            steps: [
              {
                text: JSON.stringify({
                  tasks: [{ id: 'long', title: 'Long task', prompt: 'AGENTS-API-LONG', dependsOn: [] }],
                }),
              },
            ],
          },
          {
            name: 'agents-api-long',
            when: { user: 'AGENTS-API-LONG', hasTools: true },
            steps: [{ tool: { name: 'bash', arguments: { command: 'sleep 120' } } }, { text: 'never' }],
          },
        ],
      },
    ],
  });
  const port = await freePort();
  server = serve({ fetch: stack.app.fetch, hostname: '127.0.0.1', port });
  apiUrl = `http://127.0.0.1:${port}`;
  const res = await call('POST', '/api/v1/intents', {
    intent: 'agents api drill',
    repo: makeRepo({ 'a.txt': 'a\n' }),
  });
  intentId = res.body.id;
  sessionId = `${intentId}-long`;
  await waitFor(
    async () =>
      (await stack.db.database.db.select().from(s.agentSessions).where(eq(s.agentSessions.id, sessionId)))[0]
        ?.currentTool === 'bash',
    60_000,
    'the session to be in its bash tool',
  );
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await stack?.stop();
});

const call = (method: string, url: string, body?: unknown) => callApi(stack.app, method, url, body);

const dash = (args: string[]) => runDash(args, { ...process.env, DASH_API_URL: apiUrl });

describe('agents', () => {
  it('lists the running session and shows its live state', async () => {
    const list = await call('GET', `/api/v1/agents?intent_id=${intentId}`);
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({
      id: sessionId,
      status: 'running',
      role: 'worker',
      current_tool: 'bash',
    });
    const one = await call('GET', `/api/v1/agents/${sessionId}`);
    expect(one.body.live).toMatchObject({ status: 'running' });
    const cli = await dash(['agent', 'list', '--intent', intentId, '--json']);
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout).data[0].id).toBe(sessionId);
    const show = await dash(['agent', 'show', sessionId]);
    expect(show.stdout).toMatch(/running \(worker, pi, attempt 1\)/);
  });

  it("serves the agent's Pi session tree, and the CLI prints it", async () => {
    await waitFor(
      async () => (await call('GET', `/api/v1/agents/${sessionId}/tree`)).status === 200,
      10_000,
      'the Pi session file',
    );
    const tree = await call('GET', `/api/v1/agents/${sessionId}/tree`);
    const user = tree.body.entries.find((e: { role: string }) => e.role === 'user');
    const assistant = tree.body.entries.find((e: { role: string }) => e.role === 'assistant');
    expect(user.preview).toMatch(/AGENTS-API-LONG/);
    expect(assistant.parent_id).toBe(user.id);
    expect(assistant.preview).toBe('[bash]');
    const cli = await dash(['pi', 'session', 'tree', sessionId]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/user: Task: Long task AGENTS-API-LONG/);
    expect(cli.stdout).toMatch(/assistant: \[bash\]/);
    // The seed's spelling, `dash pi tree`, is the same command.
    const alias = await dash(['pi', 'tree', sessionId, '--json']);
    expect(alias.code).toBe(0);
    expect(JSON.parse(alias.stdout).entries).toEqual(tree.body.entries);
    expect((await call('GET', '/api/v1/agents/int-zzzzzzzzzz-x/tree')).status).toBe(404);
  });

  it('lists its worktree with a port range', async () => {
    const wts = await call('GET', '/api/v1/worktrees?status=active');
    const mine = wts.body.data.find((w: { id: string }) => w.id === sessionId);
    expect(mine).toMatchObject({ status: 'active', branch: `dash/${intentId}/task-long` });
    expect(mine.port_base).toBeGreaterThanOrEqual(20_000);
    const cli = await dash(['worktree', 'list', '--json']);
    expect(JSON.parse(cli.stdout).data.some((w: { id: string }) => w.id === sessionId)).toBe(true);
    expect((await call('GET', '/api/v1/worktrees/nope-nope')).status).toBe(404);
  });

  it('validates control requests', async () => {
    expect((await call('POST', `/api/v1/agents/${sessionId}/steer`, { message: '  ' })).body.error.code).toBe(
      'validation_failed',
    );
    expect((await call('POST', `/api/v1/agents/${sessionId}/steer`, '{"message":')).body.error.code).toBe(
      'malformed_json',
    );
    expect((await call('POST', '/api/v1/agents/int-zzzzzzzzzz-x/steer', { message: 'hi' })).status).toBe(404);
    expect((await call('GET', '/api/v1/agents/BAD..ID')).status).toBe(400);
    const missing = await dash(['agent', 'steer', 'int-zzzzzzzzzz-x', 'hello']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/No agent with id/);
  });

  it('terminates the agent through the CLI, after which it refuses to be steered', async () => {
    const cli = await dash(['agent', 'terminate', sessionId, '--reason', 'test is over']);
    expect(cli.code).toBe(0);
    await waitFor(
      async () => (await call('GET', `/api/v1/agents/${sessionId}`)).body.status === 'aborted',
      20_000,
      'the session to be aborted',
    );
    const late = await call('POST', `/api/v1/agents/${sessionId}/steer`, { message: 'too late' });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('agent_not_running');
    // The intent records why it failed instead of hanging on the aborted task.
    await waitFor(
      async () =>
        (await stack.db.database.db.select().from(s.intents).where(eq(s.intents.id, intentId)))[0]?.status ===
        'failed',
      20_000,
      'the intent to fail',
    );
    const [intent] = await stack.db.database.db.select().from(s.intents).where(eq(s.intents.id, intentId));
    expect(intent?.error?.message).toMatch(/aborted: test is over/);
  });
});
