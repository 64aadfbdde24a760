// Standalone agents and worktrees through the built `dash` binary and the API: create, list the
// live Pi instances, pause, resume, and a person's own worktree; with their errors.
import fs from 'node:fs';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as s from '../../drizzle/schema.js';
import { freePort } from '../../temporal-dev/dev-server.js';
import { callApi, runDash } from '../helpers/api.js';
import { isAlive, waitFor } from '../helpers/processes.js';
import { gitIn, makeRepo } from '../helpers/repo.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
let server: ServerType;
let apiUrl: string;

beforeAll(async () => {
  stack = await startTestStack({
    scenarios: [
      {
        name: 'agent-lifecycle',
        rules: [
          {
            name: 'lc-quick',
            when: { user: 'LC-QUICK', hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: 'notes.md', content: '# notes\n' } } },
              { text: 'notes written' },
            ],
          },
          {
            name: 'lc-long',
            when: { user: 'LC-LONG', hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: 'first.txt', content: '1\n' } } },
              { tool: { name: 'bash', arguments: { command: 'sleep 60' } } },
              { text: 'never' },
            ],
          },
          {
            name: 'lc-resume',
            when: { user: 'LC-RESUME', hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: 'second.txt', content: '2\n' } } },
              { text: 'finished after resume' },
            ],
          },
        ],
      },
    ],
  });
  const port = await freePort();
  server = serve({ fetch: stack.app.fetch, hostname: '127.0.0.1', port });
  apiUrl = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await stack?.stop();
});

const dash = (args: string[]) => runDash(args, { ...process.env, DASH_API_URL: apiUrl });
const agentRow = async (id: string) =>
  (await stack.db.database.db.select().from(s.agentSessions).where(eq(s.agentSessions.id, id)))[0];

describe('dash agent create', () => {
  it('runs a standalone agent to a committed branch, recorded as an intent of one task with its cost', async () => {
    const repo = makeRepo({ 'README.md': '# r\n' });
    const run = await dash([
      'agent',
      'create',
      'LC-QUICK: write notes',
      '--repo',
      repo,
      '--model',
      'rehearsal-fast',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const created = JSON.parse(run.stdout) as {
      id: string;
      intent_id: string;
      branch: string;
      runtime: string;
    };
    expect(created).toMatchObject({ runtime: 'pi', role: 'worker' });
    expect(run.stderr).toMatch(/dash agent show/);
    await stack.client.workflow.getHandle(`${created.intent_id}-task-agent`).result();
    expect(gitIn(repo, 'show', `${created.branch}:notes.md`)).toBe('# notes\n');
    const intent = await callApi(stack.app, 'GET', `/api/v1/intents/${created.intent_id}`);
    expect(intent.body).toMatchObject({
      status: 'completed',
      result_branch: created.branch,
      files_changed: ['notes.md'],
    });
    expect(intent.body.tokens.input).toBeGreaterThan(0);
    expect((await agentRow(created.id))?.status).toBe('completed');
    // The agent asked the model it was given, not the default.
    const calls = stack.rehearsal.requests.filter((r) => r.lastUser.includes('LC-QUICK'));
    expect(calls.length).toBeGreaterThan(0);
    expect(new Set(calls.map((r) => r.model))).toEqual(new Set(['rehearsal-fast']));
  });

  it('refuses bad input with a clear error and stores nothing', async () => {
    const before = (await stack.db.database.db.select().from(s.intents)).length;
    const badRole = await dash(['agent', 'create', 'x', '--repo', makeRepo({ a: 'a' }), '--role', 'boss']);
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toMatch(/role/);
    const badRepo = await dash(['agent', 'create', 'x', '--repo', '/nonexistent/repo']);
    expect(badRepo.code).toBe(2);
    expect(badRepo.stderr).toMatch(/does not exist/);
    const api = await callApi(stack.app, 'POST', '/api/v1/agents', {
      prompt: 'x',
      repo: '.',
      runtime: 'gpt',
    });
    expect(api.status).toBe(400);
    expect(api.body.error.code).toBe('validation_failed');
    const badModel = await dash(['agent', 'create', 'x', '--repo', makeRepo({ a: 'a' }), '--model', 'gpt-9']);
    expect(badModel.code).toBe(2);
    expect(badModel.stderr).toMatch(/No model or alias 'gpt-9'.*smart/);
    expect((await callApi(stack.app, 'POST', '/api/v1/agents', '{"prompt":')).body.error.code).toBe(
      'malformed_json',
    );
    expect((await stack.db.database.db.select().from(s.intents)).length).toBe(before);
  });
});

describe('pi instances, pause and resume through the CLI', () => {
  it('lists the live Pi process, pauses it (process gone), and resumes it to completion', async () => {
    const repo = makeRepo({ 'README.md': '# r\n' });
    const run = await dash(['pi', 'session', 'create', 'LC-LONG: a long job', '--repo', repo, '--json']);
    expect(run.code).toBe(0);
    const {
      id,
      intent_id: intentId,
      branch,
    } = JSON.parse(run.stdout) as {
      id: string;
      intent_id: string;
      branch: string;
    };
    await waitFor(
      async () => (await agentRow(id))?.currentTool === 'bash',
      60_000,
      'the agent to be in bash',
    );

    const instances = await dash(['pi', 'instances', '--json']);
    const mine = (JSON.parse(instances.stdout) as { data: { id: string; pid: number }[] }).data.find(
      (a) => a.id === id,
    );
    expect(mine?.pid).toBeGreaterThan(0);
    expect(isAlive(mine!.pid)).toBe(true);
    expect((await dash(['pi', 'instances'])).stdout).toContain(id);

    // Compaction and navigation need a paused session; the CLI says so with the conflict's status.
    const compactRunning = await dash(['pi', 'session', 'compact', id]);
    expect(compactRunning.code).toBe(2);
    expect(compactRunning.stderr).toMatch(/The session is running; pause it/);
    expect((await dash(['pi', 'session', 'navigate', id, '--entry', 'nope'])).code).toBe(2);

    const pause = await dash(['agent', 'pause', id]);
    expect(pause.code).toBe(0);
    expect(pause.stdout).toMatch(/dash agent resume/);
    await waitFor(async () => (await agentRow(id))?.status === 'paused', 30_000, 'the agent to be paused');
    await waitFor(() => !isAlive(mine!.pid), 10_000, 'the paused Pi process to exit');
    const paused = await dash(['agent', 'list', '--status', 'paused', '--json']);
    expect((JSON.parse(paused.stdout) as { data: { id: string }[] }).data.map((a) => a.id)).toContain(id);
    // Pausing twice is refused with the conflict's exit status.
    expect((await dash(['agent', 'pause', id])).code).toBe(2);

    const resume = await dash(['agent', 'resume', id, '[rehearsal:lc-resume] finish up', '--json']);
    expect(resume.code).toBe(0);
    expect(JSON.parse(resume.stdout)).toEqual({ id, resumed: true });
    await stack.client.workflow.getHandle(`${intentId}-task-agent`).result();
    expect(gitIn(repo, 'show', `${branch}:first.txt`)).toBe('1\n');
    expect(gitIn(repo, 'show', `${branch}:second.txt`)).toBe('2\n');
    expect((await dash(['agent', 'resume', id])).code).toBe(2);
  });
});

describe('dash worktree create', () => {
  it('makes a kept worktree with shared node_modules, its own .env and ports; cleanup snapshots it', async () => {
    const repo = makeRepo({ 'package.json': '{}\n', '.gitignore': 'node_modules\n.env\n' });
    fs.mkdirSync(path.join(repo, 'node_modules', 'left-pad'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'node_modules', 'left-pad', 'index.js'), 'module.exports = 1;\n');
    fs.writeFileSync(path.join(repo, '.env'), 'SECRET=main\n');
    const run = await dash(['worktree', 'create', '--repo', repo, '--branch', 'spike/cache', '--json']);
    expect(run.code).toBe(0);
    const wt = JSON.parse(run.stdout) as {
      id: string;
      path: string;
      branch: string;
      cleanup: string;
      env: Record<string, string>;
    };
    expect(wt).toMatchObject({ branch: 'spike/cache', cleanup: 'manual', status: 'active' });
    expect(fs.lstatSync(path.join(wt.path, 'node_modules')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(wt.path, 'node_modules', 'left-pad', 'index.js'), 'utf8')).toContain(
      '1',
    );
    expect(Number(wt.env.PORT)).toBeGreaterThanOrEqual(20_000);
    expect(gitIn(repo, 'rev-parse', '--abbrev-ref', 'spike/cache').trim()).toBe('spike/cache');

    const again = await dash(['worktree', 'create', '--repo', repo, '--branch', 'spike/cache']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
    const bad = await dash(['worktree', 'create', '--repo', repo, '--branch', 'bad..name']);
    expect(bad.code).toBe(2);

    fs.writeFileSync(path.join(wt.path, 'work.txt'), 'unsaved\n');
    const cleanup = await dash(['worktree', 'cleanup', wt.id, '--json']);
    expect(cleanup.code).toBe(0);
    const { snapshot_ref: ref } = JSON.parse(cleanup.stdout) as { snapshot_ref: string };
    expect(fs.existsSync(wt.path)).toBe(false);
    expect(gitIn(repo, 'show', `${ref}:work.txt`)).toBe('unsaved\n');
  });
});
