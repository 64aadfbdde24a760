// The live event stream end to end: a real swarm (Temporal, Pi against the rehearsal server, git,
// Postgres) watched over SSE, the SDK and the WebSocket by clients that drop mid-swarm and resume
// from their last event id. Each must end up with exactly the rows of the events table, once.
import { serve, type ServerType } from '@hono/node-server';
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { attachEventSocket, type EventSocket } from '../../api/events-socket.js';
import * as s from '../../drizzle/schema.js';
import type { Rule } from '../../rehearsal/scenario.js';
import { DashClient, type DashEvent } from '../../sdk/client.js';
import { freePort } from '../../temporal-dev/dev-server.js';
import type { IntentWorkflow } from '../../workflows/intent-workflow.js';
import { callApi, runDash } from '../helpers/api.js';
import { requireBuild } from '../helpers/processes.js';
import { makeRepo } from '../helpers/repo.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

const planRule = (name: string, trigger: string, tasks: unknown[]): Rule => ({
  name,
  when: { system: 'Dash planner', user: trigger },
  steps: [{ text: JSON.stringify({ summary: name, tasks }) }],
});
const writeRule = (name: string, trigger: string, file: string, sleep: number): Rule => ({
  name,
  when: { user: trigger, hasTools: true },
  steps: [
    { tool: { name: 'bash', arguments: { command: `sleep ${sleep}` } } },
    { tool: { name: 'write', arguments: { path: file, content: `${file}\n` } } },
    { text: `${name} done` },
  ],
});

let stack: TestStack;
let servers: { server: ServerType; url: string; socket: EventSocket }[] = [];

async function startServer() {
  const port = await freePort();
  const server = serve({ fetch: stack.app.fetch, hostname: '127.0.0.1', port });
  const socket = attachEventSocket(server as Server, { database: stack.db.database, jwtSecret: undefined });
  const entry = { server, url: `http://127.0.0.1:${port}`, socket };
  servers.push(entry);
  return entry;
}

beforeAll(async () => {
  process.env.DASH_EVENTS_HEARTBEAT_MS = '400';
  stack = await startTestStack({
    dbKind: 'postgres',
    scenarios: [
      {
        name: 'events',
        rules: [
          planRule('ev-plan', 'event drill', [
            { id: 'one', title: 'One', prompt: 'EV-ONE', dependsOn: [] },
            { id: 'two', title: 'Two', prompt: 'EV-TWO', dependsOn: [] },
            { id: 'three', title: 'Three', prompt: 'EV-THREE', dependsOn: ['one', 'two'] },
          ]),
          writeRule('ev-one', 'EV-ONE', 'one.txt', 2),
          writeRule('ev-two', 'EV-TWO', 'two.txt', 3),
          writeRule('ev-three', 'EV-THREE', 'three.txt', 1),
        ],
      },
    ],
  });
});

afterAll(async () => {
  for (const { server, socket } of servers) {
    await socket.close();
    await new Promise((r) => server.close(r));
  }
  servers = [];
  await stack?.stop();
});

/** A minimal SSE reader over fetch, so the wire format itself is checked. */
async function readSse(
  url: string,
  headers: Record<string, string>,
  onMessage: (m: { id?: string; event?: string; data: string }) => boolean | void,
  signal: AbortSignal,
): Promise<{ status: number; contentType: string | null; comments: number }> {
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal });
  const result = { status: res.status, contentType: res.headers.get('content-type'), comments: 0 };
  if (!res.ok || !res.body) return result;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return result;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const m: { id?: string; event?: string; data: string } = { data: '' };
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) result.comments++;
          else if (line.startsWith('id: ')) m.id = line.slice(4);
          else if (line.startsWith('event: ')) m.event = line.slice(7);
          else if (line.startsWith('data: ')) m.data += line.slice(6);
        }
        if ((m.data || m.event) && onMessage(m) === true) {
          await reader.cancel();
          return result;
        }
      }
    }
  } catch (err) {
    if (signal.aborted) return result;
    throw err;
  }
}

const tableIds = async (intentId: string) =>
  (
    await stack.db.database.db
      .select({ id: s.events.id })
      .from(s.events)
      .where(eq(s.events.intentId, intentId))
      .orderBy(asc(s.events.id))
  ).map((r) => Number(r.id));

const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);

describe('live events during a swarm', () => {
  let intentId: string;

  it('SSE, SDK and WebSocket clients that drop mid-swarm and resume get every event exactly once', async () => {
    const main = await startServer();
    const flaky = await startServer();
    const repo = makeRepo({ 'README.md': '# events\n' });
    const created = await callApi(stack.app, 'POST', '/api/v1/intents', { intent: 'event drill', repo });
    expect(created.status).toBe(202);
    intentId = created.body.id;
    const handle = stack.client.workflow.getHandle<typeof IntentWorkflow>(intentId);
    const done = new AbortController();
    const endedOf = (data: string) => {
      const e = JSON.parse(data) as DashEvent;
      return e.kind === 'intent.status' && ['completed', 'failed'].includes(String(e.payload.status));
    };

    // 1. Raw SSE: read a few events, hang up, come back with Last-Event-ID.
    const sseIds: number[] = [];
    const sse = (async () => {
      const first = new AbortController();
      const r1 = await readSse(
        `${main.url}/api/v1/events?intent_id=${intentId}`,
        {},
        (m) => {
          if (m.event) return;
          expect(JSON.parse(m.data).id).toBe(Number(m.id));
          sseIds.push(Number(m.id));
          return sseIds.length >= 4;
        },
        first.signal,
      );
      expect(r1.status).toBe(200);
      expect(r1.contentType).toMatch(/^text\/event-stream/);
      await new Promise((r) => setTimeout(r, 1_500));
      const r2 = await readSse(
        `${main.url}/api/v1/events?intent_id=${intentId}`,
        { 'last-event-id': String(sseIds.at(-1)) },
        (m) => {
          if (m.event) return;
          sseIds.push(Number(m.id));
          return endedOf(m.data);
        },
        done.signal,
      );
      expect(r2.status).toBe(200);
    })();

    // 2. The SDK on a server whose connections the test cuts: it reconnects by itself.
    const sdkEvents: DashEvent[] = [];
    let reconnects = 0;
    const sdk = (async () => {
      const client = new DashClient({ baseUrl: flaky.url });
      for await (const e of client.events({
        filters: { intent_id: intentId },
        signal: done.signal,
        onReconnect: () => reconnects++,
      })) {
        sdkEvents.push(e);
        if (sdkEvents.length === 3 || sdkEvents.length === 10) (flaky.server as Server).closeAllConnections();
        if (endedOf(JSON.stringify(e))) return;
      }
    })();

    // 3. The WebSocket: close after a few messages, reopen with ?after=.
    const wsIds: number[] = [];
    let caughtUpMessages = 0;
    const ws = (async () => {
      const open = (after: number | undefined, stopAt: (e: DashEvent) => boolean) =>
        new Promise<void>((resolve, reject) => {
          const sock = new WebSocket(
            `${main.url.replace('http', 'ws')}/events?intent_id=${intentId}${after ? `&after=${after}` : ''}`,
            { headers: { authorization: `Bearer ${stack.apiKey}` } },
          );
          sock.on('message', (raw) => {
            const m = JSON.parse(String(raw)) as DashEvent & { type?: string };
            if (m.type === 'caught_up') {
              caughtUpMessages++;
              return;
            }
            wsIds.push(m.id);
            if (stopAt(m)) sock.close();
          });
          sock.on('close', () => resolve());
          sock.on('error', reject);
        });
      await open(undefined, () => wsIds.length >= 5);
      await open(wsIds.at(-1), (e) => endedOf(JSON.stringify(e)));
    })();

    const result = await handle.result();
    expect(result.filesChanged).toEqual(['one.txt', 'three.txt', 'two.txt']);
    const timer = setTimeout(() => done.abort(), 30_000);
    await Promise.all([sse, sdk, ws]);
    clearTimeout(timer);

    // Events written after the intent's final status (none expected) would show up here too.
    const all = await tableIds(intentId);
    expect(all.length).toBeGreaterThan(20);
    const upToEnd = (ids: number[]) => all.filter((id) => id <= Math.max(...ids));
    for (const [name, ids] of [
      ['sse', sseIds],
      ['sdk', sdkEvents.map((e) => e.id)],
      ['ws', wsIds],
    ] as const) {
      expect(new Set(ids).size, `${name} got a duplicate`).toBe(ids.length);
      expect(sorted(ids), `${name} missed an event`).toEqual(upToEnd(ids));
    }
    expect(sorted(sseIds)).toEqual(all);
    expect(reconnects).toBeGreaterThanOrEqual(2);
    expect(caughtUpMessages).toBe(2);

    const kinds = new Set(sdkEvents.map((e) => e.kind));
    for (const k of ['intent.status', 'intent.plan', 'task.status', 'session.status', 'session.event'])
      expect(kinds).toContain(k);
    const statuses = sdkEvents.filter((e) => e.kind === 'intent.status').map((e) => e.payload.status);
    expect(statuses).toEqual(
      ['planning', 'running', 'merging', 'completed'].filter((x) => statuses.includes(x)),
    );
    expect(statuses.at(-1)).toBe('completed');
    expect(sdkEvents.some((e) => e.kind === 'session.event' && e.payload.tool === 'write')).toBe(true);
  });

  it('filters by session and kinds, replays from ?after=, and sends keep-alive comments', async () => {
    const { url } = servers[0]!;
    const db = stack.db.database.db;
    const sessionId = `${intentId}-one`;
    const expected = (
      await db.select().from(s.events).where(eq(s.events.sessionId, sessionId)).orderBy(asc(s.events.id))
    ).map((r) => Number(r.id));
    expect(expected.length).toBeGreaterThan(3);
    const client = new DashClient({ baseUrl: url });
    const bySession: DashEvent[] = [];
    for await (const e of client.events({ filters: { session_id: sessionId }, follow: false }))
      bySession.push(e);
    expect(bySession.map((e) => e.id)).toEqual(expected);
    expect(bySession.every((e) => e.session_id === sessionId && e.intent_id === intentId)).toBe(true);

    const kinds: DashEvent[] = [];
    for await (const e of client.events({
      filters: { intent_id: intentId, kinds: ['task.status', 'intent.plan'] },
      follow: false,
    }))
      kinds.push(e);
    expect(new Set(kinds.map((e) => e.kind))).toEqual(new Set(['task.status', 'intent.plan']));
    expect(kinds.filter((e) => e.kind === 'task.status' && e.payload.status === 'completed')).toHaveLength(3);

    const all = await tableIds(intentId);
    const after: number[] = [];
    for await (const e of client.events({ filters: { intent_id: intentId }, after: all[5], follow: false }))
      after.push(e.id);
    expect(sorted(after)).toEqual(all.slice(6));

    // An idle stream still sends comments (DASH_EVENTS_HEARTBEAT_MS=400 here).
    const idle = new AbortController();
    setTimeout(() => idle.abort(), 1_500);
    const r = await readSse(
      `${url}/api/v1/events?intent_id=${intentId}&kinds=proxy.request`,
      {},
      () => undefined,
      idle.signal,
    );
    expect(r.comments).toBeGreaterThanOrEqual(3);
  });

  it('answers bad filters with a 400 JSON error, unknown subjects with a 404, on SSE and WebSocket', async () => {
    const { url } = servers[0]!;
    const bad: [string, Record<string, string>, number, string][] = [
      ['kinds=intent.status,bogus', {}, 400, 'validation_failed'],
      ['kinds=', {}, 400, 'validation_failed'],
      ['intent_id=nope', {}, 400, 'validation_failed'],
      ['session_id=UPPER', {}, 400, 'validation_failed'],
      ['after=-1', {}, 400, 'validation_failed'],
      ['after=abc', {}, 400, 'validation_failed'],
      ['after=999999999', {}, 400, 'validation_failed'],
      ['colour=red', {}, 400, 'validation_failed'],
      ['', { 'last-event-id': 'x1' }, 400, 'validation_failed'],
      ['intent_id=int-zzzzzzzzzz', {}, 404, 'intent_not_found'],
      ['session_id=int-zzzzzzzzzz-x', {}, 404, 'agent_not_found'],
    ];
    for (const [query, headers, status, code] of bad) {
      const res = await callApi(stack.app, 'GET', `/api/v1/events?${query}`, undefined, headers);
      expect(res.status, query).toBe(status);
      expect(res.body.error.code, query).toBe(code);
      expect(res.body.error.message.length).toBeGreaterThan(5);
      if (Object.keys(headers).length) continue;
      const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const sock = new WebSocket(
          `${url.replace('http', 'ws')}/events?${query}&access_token=${stack.apiKey}`,
        );
        sock.on('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += String(c)));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        sock.on('open', () => reject(new Error(`socket opened for ${query}`)));
      });
      expect(refused.status, query).toBe(status);
      expect(JSON.parse(refused.body).error.code, query).toBe(code);
    }
    // The SDK throws them instead of retrying.
    const client = new DashClient({ baseUrl: url });
    await expect(client.events({ filters: { kinds: ['nope'] } }).next()).rejects.toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
  });

  // `dash logs` as users run it: the built binary (dist/, which `npm test` builds first) as a
  // subprocess, its SDK talking to the served app.
  it('dash logs prints the stored events, as lines or JSON lines, with clear exit statuses', async () => {
    const { url } = servers[0]!;
    const run = async (argv: string[], env: Record<string, string> = {}) => {
      const r = await runDash(['logs', ...argv], {
        ...process.env,
        DASH_API_URL: url,
        DASH_HOME: stack.config.home,
        ...env,
      });
      return { code: r.code, out: r.stdout, err: r.stderr };
    };
    const all = await tableIds(intentId);

    const json = await run([intentId, '--json']);
    expect(json.code).toBe(0);
    const lines = json.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as DashEvent);
    expect(sorted(lines.map((e) => e.id))).toEqual(all);

    // --follow on an ended intent prints everything and stops.
    const text = await run([intentId, '--follow']);
    expect(text.code).toBe(0);
    const textLines = text.out.trim().split('\n');
    expect(textLines).toHaveLength(all.length);
    expect(textLines.at(-1)).toMatch(/intent\.status +intent int-[a-z0-9]{10}: running → completed/);
    expect(text.out).toMatch(/task\.status +task one: running → completed/);
    expect(text.out).toMatch(/session\.event +int-[a-z0-9]{10}-one tool_execution_start write/);

    const session = await run([`${intentId}-two`, '--kinds', 'session.status', '--json']);
    expect(session.code).toBe(0);
    expect(
      session.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).kind),
    ).toEqual(expect.arrayContaining(['session.status']));

    // No id: every event of the caller's tenant.
    const everything = await run(['--kinds', 'intent.status', '--json']);
    expect(everything.code).toBe(0);
    const statuses = everything.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as DashEvent);
    expect(statuses.every((e) => e.kind === 'intent.status')).toBe(true);
    expect(statuses.map((e) => e.intent_id)).toContain(intentId);
    // ... and with --follow, until Ctrl-C, which ends it cleanly.
    const follower = spawn(process.execPath, [requireBuild('bin/run.js'), 'logs', '--follow', '--json'], {
      env: { ...process.env, DASH_API_URL: url, DASH_HOME: stack.config.home },
    });
    const firstLine = await new Promise<string>((resolve) =>
      follower.stdout.once('data', (d: Buffer) => resolve(d.toString())),
    );
    expect(JSON.parse(firstLine.split('\n')[0]!)).toHaveProperty('kind');
    follower.kill('SIGINT');
    expect(await new Promise((resolve) => follower.once('exit', (code) => resolve(code)))).toBe(0);

    // Following a run that failed ends with exit 1, as dash do does.
    await stack.db.database.db.insert(s.intents).values({
      id: 'int-failed0001',
      text: 'a failed run',
      repoPath: '/nowhere',
      baseBranch: 'main',
      workflowId: 'int-failed0001',
      status: 'failed',
    });
    const failed = await run(['int-failed0001', '--follow']);
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/intent int-failed0001 ended failed/);
    expect((await run(['int-failed0001'])).code).toBe(0);

    const [badId, badKinds, unknown, down] = await Promise.all([
      run(['NOT AN ID']),
      run([intentId, '--kinds', 'bogus']),
      run(['int-zzzzzzzzzz']),
      run([intentId], { DASH_API_URL: 'http://127.0.0.1:9' }),
    ]);
    expect(badId.code).toBe(2);
    expect(badId.err).toMatch(/is neither an intent id/);
    expect(badKinds.code).toBe(2);
    expect(unknown.code).toBe(4);
    expect(down.code).toBe(3);
    expect(down.err).toMatch(/Cannot reach the Dash API/);
  });
});
