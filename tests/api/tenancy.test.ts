// Tenant isolation, resource by resource. Tenant `beta` runs a real intent (planner, two Pi
// sessions, worktrees, merges), makes a worktree by hand and calls the LLM proxy; the default
// tenant does some of the same. Every row the workflows wrote for beta carries beta's tenant, beta
// sees all of it, and the default tenant's admin sees none of it: lists leave it out, and every
// read or control route answers as if it did not exist (404), so ids do not even leak.
import type { Server } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import { inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachEventSocket, type EventSocket } from '../../api/events-socket.js';
import * as r from '../../api/openapi/responses.js';
import * as s from '../../drizzle/schema.js';
import { mintVirtualKey } from '../../proxy/auth.js';
import { DashClient, type DashEvent } from '../../sdk/client.js';
import { freePort } from '../../temporal-dev/dev-server.js';
import { callApi } from '../helpers/api.js';
import { makeDemoRepo, makeRepo } from '../helpers/repo.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
let server: ServerType;
let socket: EventSocket;
let url: string;
let betaKey: string;
let defaultKey: string;
const beta: {
  intent: string;
  sessions: string[];
  tasks: { key: string; id: string }[];
  worktree: string;
  key: string;
} = {} as never;
const mine: { worktree: string } = {} as never;

const as = (key: string) => ({ authorization: `Bearer ${key}` });
const api = (key: string, method: string, path: string, body?: unknown) =>
  callApi(stack.rawApp, method, path, body, as(key));

beforeAll(async () => {
  stack = await startTestStack();
  defaultKey = stack.apiKey;
  betaKey = (
    await mintVirtualKey(stack.db.database.db, {
      tenantId: 'beta',
      userId: 'beta-admin',
      name: 'beta admin',
      scope: 'admin',
    })
  ).key;
  const port = await freePort();
  server = serve({ fetch: stack.rawApp.fetch, hostname: '127.0.0.1', port });
  socket = attachEventSocket(server as Server, { database: stack.db.database, jwtSecret: undefined });
  url = `http://127.0.0.1:${port}`;

  const started = await api(betaKey, 'POST', '/api/v1/intents', {
    intent: 'Add a greet(name) function with a test and document it',
    repo: makeDemoRepo(),
  });
  expect(started.status).toBe(202);
  beta.intent = started.body.id;
  await stack.client.workflow.getHandle(beta.intent).result();
  const detail = await api(betaKey, 'GET', `/api/v1/intents/${beta.intent}`);
  expect(detail.body.status).toBe('completed');
  beta.sessions = detail.body.tasks.map((t: { session: { id: string } }) => t.session.id);
  beta.tasks = detail.body.tasks.map((t: { key: string }) => ({ key: t.key, id: `${beta.intent}-${t.key}` }));
  expect(beta.sessions).toHaveLength(2);

  const wt = await api(betaKey, 'POST', '/api/v1/worktrees', { repo: makeRepo({ 'a.txt': 'a\n' }) });
  expect(wt.status).toBe(201);
  beta.worktree = wt.body.id;
  const own = await api(defaultKey, 'POST', '/api/v1/worktrees', { repo: makeRepo({ 'b.txt': 'b\n' }) });
  mine.worktree = own.body.id;

  const created = await api(betaKey, 'POST', '/api/v1/auth/keys', { name: 'beta reader' });
  beta.key = created.body.id;

  for (const key of [betaKey, defaultKey]) {
    const res = await fetch(`${url}/proxy/v1/chat/completions`, {
      method: 'POST',
      headers: { ...as(key), 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'rehearsal-1', messages: [{ role: 'user', content: 'hello there' }] }),
    });
    expect(res.status).toBe(200);
  }
}, 240_000);

afterAll(async () => {
  await socket?.close();
  await new Promise((r) => server?.close(r));
  await stack?.stop();
});

describe('tenant isolation', () => {
  it("writes every row of beta's intent under beta", async () => {
    const { db } = stack.db.database;
    for (const table of ['intents', 'swarms', 'tasks', 'agent_sessions', 'events']) {
      const column = table === 'intents' ? 'id' : 'intent_id';
      const rows = await stack.db.database.db.execute<{ tenant_id: string }>(
        sql`select distinct tenant_id from ${sql.identifier(table)} where ${sql.identifier(column)} = ${beta.intent}`,
      );
      const tenants = Array.isArray(rows) ? rows : (rows as { rows: { tenant_id: string }[] }).rows;
      expect(
        tenants.map((r) => r.tenant_id),
        table,
      ).toEqual(['beta']);
    }
    const worktrees = await db
      .select({ t: s.worktrees.tenantId })
      .from(s.worktrees)
      .where(inArray(s.worktrees.id, [...beta.sessions, beta.worktree]));
    expect(worktrees.map((r) => r.t)).toEqual(['beta', 'beta', 'beta']);
  });

  it('intents: beta sees its own; the default tenant cannot see or touch them', async () => {
    expect((await api(betaKey, 'GET', `/api/v1/intents/${beta.intent}`)).status).toBe(200);
    const betaList = await api(betaKey, 'GET', '/api/v1/intents?limit=100');
    expect(betaList.body.data.map((i: { id: string }) => i.id)).toEqual([beta.intent]);
    const list = await api(defaultKey, 'GET', '/api/v1/intents?limit=100');
    expect(list.body.data.map((i: { id: string }) => i.id)).not.toContain(beta.intent);
    expect(await api(defaultKey, 'GET', '/api/v1/intents?status=completed')).toMatchObject({
      body: { data: [] },
    });
    for (const [method, path, body] of [
      ['GET', '', undefined],
      ['POST', '/cancel', undefined],
      ['POST', '/retry', undefined],
      ['POST', '/reset', {}],
      ['POST', '/approve', {}],
      ['POST', '/reject', {}],
      ['POST', '/pause', undefined],
      ['POST', '/resume', undefined],
    ] as const) {
      const res = await api(defaultKey, method, `/api/v1/intents/${beta.intent}${path}`, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe('intent_not_found');
    }
  });

  it('swarms: the plan and task counts of its own swarms, a 404 for the other tenant', async () => {
    const list = await api(betaKey, 'GET', '/api/v1/swarms?limit=100');
    expect(list.status).toBe(200);
    const [swarm] = r.pageOf(r.Swarm).parse(list.body).data;
    expect(swarm).toMatchObject({
      id: beta.intent,
      intent_id: beta.intent,
      status: 'completed',
      tasks: { total: 2, completed: 2, failed: 0, running: 0, pending: 0 },
    });
    expect(swarm!.cost_usd).toBeGreaterThan(0);
    const detail = r.SwarmDetail.parse((await api(betaKey, 'GET', `/api/v1/swarms/${beta.intent}`)).body);
    expect(detail.plan.map((t) => t.key).sort()).toEqual(beta.tasks.map((t) => t.key).sort());
    const done = await api(betaKey, 'GET', '/api/v1/swarms?status=completed');
    expect(done.body.data.map((x: { id: string }) => x.id)).toEqual([beta.intent]);
    expect((await api(betaKey, 'GET', '/api/v1/swarms?status=failed')).body.data).toEqual([]);

    expect((await api(defaultKey, 'GET', '/api/v1/swarms?limit=100')).body.data).toEqual([]);
    const other = await api(defaultKey, 'GET', `/api/v1/swarms/${beta.intent}`);
    expect(other).toMatchObject({ status: 404, body: { error: { code: 'swarm_not_found' } } });
    expect(await api(betaKey, 'GET', '/api/v1/swarms/int-0000000000')).toMatchObject({ status: 404 });
    for (const bad of ['/api/v1/swarms/nope', '/api/v1/swarms?status=bogus', '/api/v1/swarms?limit=0'])
      expect(await api(betaKey, 'GET', bad), bad).toMatchObject({
        status: 400,
        body: { error: { code: 'validation_failed' } },
      });
  });

  it('swarms: pages with a cursor, newest first, every swarm once', async () => {
    // Projection rows of a third tenant: the paging is what is under test, not the workflows.
    const { db } = stack.db.database;
    const ids = ['int-gamma00001', 'int-gamma00002', 'int-gamma00003'];
    for (const [i, id] of ids.entries()) {
      const createdAt = new Date(Date.UTC(2026, 0, 1 + i));
      await db.insert(s.intents).values({
        id,
        tenantId: 'gamma',
        text: `gamma ${i}`,
        repoPath: '/nowhere',
        baseBranch: 'main',
        workflowId: id,
        status: 'running',
        createdAt,
      });
      await db.insert(s.swarms).values({
        id,
        tenantId: 'gamma',
        intentId: id,
        plan: { summary: `plan ${i}`, tasks: [], usage: {}, model: 'rehearsal' },
        createdAt,
      });
    }
    const { key } = await mintVirtualKey(db, { tenantId: 'gamma', userId: 'g', name: 'g', scope: 'read' });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await api(key, 'GET', `/api/v1/swarms?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((x: { id: string }) => x.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect((await api(key, 'GET', `/api/v1/swarms/${beta.intent}`)).status).toBe(404);
  });

  it('tasks: listed, filtered and paged within the tenant, each with its session', async () => {
    const list = await api(betaKey, 'GET', `/api/v1/tasks?intent_id=${beta.intent}`);
    const tasks = r.pageOf(r.Task).parse(list.body).data;
    expect(tasks.map((t) => t.id).sort()).toEqual(beta.tasks.map((t) => t.id).sort());
    for (const task of tasks) {
      expect(task).toMatchObject({ status: 'completed', intent_id: beta.intent, swarm_id: beta.intent });
      expect(beta.sessions).toContain(task.session_id);
      expect(task.commit).toMatch(/^[0-9a-f]{40}$/);
    }
    // Pages of one: two pages, no task twice, the second says it is the last.
    const first = await api(betaKey, 'GET', '/api/v1/tasks?limit=1');
    const second = await api(betaKey, 'GET', `/api/v1/tasks?limit=1&cursor=${first.body.next_cursor}`);
    expect(second.body.next_cursor).toBeNull();
    expect([first.body.data[0].id, second.body.data[0].id].sort()).toEqual(tasks.map((t) => t.id).sort());
    const one = await api(betaKey, 'GET', `/api/v1/tasks/${tasks[0]!.id}`);
    expect(r.Task.parse(one.body)).toEqual(tasks.find((t) => t.id === tasks[0]!.id));
    expect((await api(betaKey, 'GET', '/api/v1/tasks?status=failed')).body.data).toEqual([]);
    expect((await api(betaKey, 'GET', '/api/v1/tasks?role=reviewer')).body.data).toEqual([]);

    expect((await api(defaultKey, 'GET', '/api/v1/tasks?limit=100')).body.data).toEqual([]);
    const other = await api(defaultKey, 'GET', `/api/v1/tasks/${tasks[0]!.id}`);
    expect(other).toMatchObject({ status: 404, body: { error: { code: 'task_not_found' } } });
    for (const bad of [
      '/api/v1/tasks/x',
      '/api/v1/tasks?status=done',
      '/api/v1/tasks?intent_id=42',
      '/api/v1/tasks?cursor=zz',
    ])
      expect(await api(betaKey, 'GET', bad), bad).toMatchObject({
        status: 400,
        body: { error: { code: 'validation_failed' } },
      });
  });

  it('pi sessions: the same agent sessions under /api/v1/pi/sessions, with the same isolation', async () => {
    const list = await api(betaKey, 'GET', '/api/v1/pi/sessions?limit=100');
    const agents = await api(betaKey, 'GET', '/api/v1/agents?limit=100');
    expect(list.body).toEqual(agents.body);
    const id = beta.sessions[0]!;
    const tree = await api(betaKey, 'GET', `/api/v1/pi/sessions/${id}/tree`);
    expect(tree.status).toBe(200);
    expect(tree.body.entries.length).toBeGreaterThan(0);
    expect((await api(defaultKey, 'GET', '/api/v1/pi/sessions?limit=100')).body.data).toEqual([]);
    for (const path of ['', '/tree'])
      expect(await api(defaultKey, 'GET', `/api/v1/pi/sessions/${id}${path}`)).toMatchObject({
        status: 404,
        body: { error: { code: 'agent_not_found' } },
      });
  });

  it('agents: listed and controlled by their tenant only', async () => {
    const betaAgents = await api(betaKey, 'GET', '/api/v1/agents?limit=100');
    expect(betaAgents.body.data.map((a: { id: string }) => a.id).sort()).toEqual([...beta.sessions].sort());
    const list = await api(defaultKey, 'GET', `/api/v1/agents?limit=100&intent_id=${beta.intent}`);
    expect(list.body.data).toEqual([]);
    const all = await api(defaultKey, 'GET', '/api/v1/agents?limit=100');
    for (const id of beta.sessions) expect(all.body.data.map((a: { id: string }) => a.id)).not.toContain(id);
    const id = beta.sessions[0]!;
    expect((await api(betaKey, 'GET', `/api/v1/agents/${id}/tree`)).status).toBe(200);
    for (const [method, path, body] of [
      ['GET', '', undefined],
      ['GET', '/tree', undefined],
      ['POST', '/fork', {}],
      ['POST', '/steer', { message: 'hi' }],
      ['POST', '/abort', {}],
      ['POST', '/pause', {}],
      ['POST', '/resume', {}],
      ['POST', '/navigate', { entry_id: 'abc' }],
      ['POST', '/compact', {}],
    ] as const) {
      const res = await api(defaultKey, method, `/api/v1/agents/${id}${path}`, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe('agent_not_found');
    }
  });

  it('worktrees: each tenant lists and cleans up its own', async () => {
    const betaList = await api(betaKey, 'GET', '/api/v1/worktrees?limit=100');
    const betaIds = betaList.body.data.map((w: { id: string }) => w.id);
    expect(betaIds).toEqual(expect.arrayContaining([beta.worktree, ...beta.sessions]));
    expect(betaIds).not.toContain(mine.worktree);
    const list = await api(defaultKey, 'GET', '/api/v1/worktrees?limit=100');
    expect(list.body.data.map((w: { id: string }) => w.id)).toEqual([mine.worktree]);
    for (const [method, path] of [
      ['GET', ''],
      ['POST', '/cleanup'],
    ] as const) {
      const res = await api(defaultKey, method, `/api/v1/worktrees/${beta.worktree}${path}`);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe('worktree_not_found');
    }
    const wt = await api(betaKey, 'GET', `/api/v1/worktrees/${beta.worktree}`);
    expect(wt.body.status).toBe('active');
  });

  it("usage: each tenant's spending only, whatever tenant= says", async () => {
    const betaUsage = await api(betaKey, 'GET', '/api/v1/usage?group_by=tenant');
    expect(betaUsage.body.rows.map((r: { tenant: string }) => r.tenant)).toEqual(['beta']);
    const usage = await api(defaultKey, 'GET', '/api/v1/usage?group_by=tenant');
    expect(usage.body.rows.map((r: { tenant: string }) => r.tenant)).toEqual(['default']);
    const asked = await api(defaultKey, 'GET', '/api/v1/usage?group_by=tenant&tenant=beta');
    expect(asked.body.rows).toEqual([]);
  });

  it('events: the stream carries the caller’s tenant only, over SSE and the WebSocket', async () => {
    const read = async (key: string) => {
      const events: DashEvent[] = [];
      for await (const e of new DashClient({ baseUrl: url, apiKey: key }).events({ follow: false }))
        events.push(e);
      return events;
    };
    const betaEvents = await read(betaKey);
    expect(betaEvents.filter((e) => e.intent_id === beta.intent).length).toBeGreaterThan(5);
    const own = await read(defaultKey);
    expect(own.filter((e) => e.intent_id === beta.intent)).toEqual([]);
    const filtered = await api(defaultKey, 'GET', `/api/v1/events?intent_id=${beta.intent}`);
    expect(filtered).toMatchObject({ status: 404, body: { error: { code: 'intent_not_found' } } });
    const session = await api(defaultKey, 'GET', `/api/v1/events?session_id=${beta.sessions[0]}`);
    expect(session).toMatchObject({ status: 404, body: { error: { code: 'agent_not_found' } } });

    const { WebSocket } = await import('ws');
    const refused = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${url.replace('http', 'ws')}/events?intent_id=${beta.intent}`, {
        headers: as(defaultKey),
      });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('opened a socket on another tenant’s intent')));
      ws.on('error', () => undefined);
    });
    expect(refused).toBe(404);
  });

  it("keys: a tenant's admin lists and revokes its own keys only", async () => {
    const list = await api(defaultKey, 'GET', '/api/v1/auth/keys?limit=100');
    expect(list.body.data.map((k: { id: string }) => k.id)).not.toContain(beta.key);
    expect(list.body.data.every((k: { tenant: string }) => k.tenant === 'default')).toBe(true);
    const revoke = await api(defaultKey, 'DELETE', `/api/v1/auth/keys/${beta.key}`);
    expect(revoke).toMatchObject({ status: 404, body: { error: { code: 'key_not_found' } } });
    const betaList = await api(betaKey, 'GET', '/api/v1/auth/keys?limit=100');
    expect(betaList.body.data.map((k: { id: string }) => k.id)).toContain(beta.key);
    // Keys made through the API belong to the maker's tenant; the body cannot name another.
    const created = await api(betaKey, 'POST', '/api/v1/auth/keys', { name: 'x', scope: 'admin' });
    expect(created.body.tenant).toBe('beta');
  });
});
