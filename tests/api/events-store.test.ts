// The projection writes append their events in the same statement, once per real change, on
// PGlite and Postgres; the reader delivers them in one stable order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStoreActivities } from '../../activities/store.js';
import { AuditLog } from '../../proxy/audit.js';
import { followEvents, readEvents as readNow, START, type EventFilter } from '../../core/events.js';
import * as s from '../../drizzle/schema.js';
import type { Db } from '../../drizzle/client.js';
import { createTestDatabase, type DbKind, type TestDatabase } from '../helpers/databases.js';

/**
 * A reader delivers an event once no older transaction can still commit, and on Postgres that
 * horizon is the whole server's: while other test files write to other databases, a just-written
 * event can take a moment to become readable. Wait until every stored row is.
 */
async function readEvents(db: Db, filter: EventFilter, from: typeof START, limit: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const stored = (await db.select({ id: s.events.id }).from(s.events)).length;
    const got = await readNow(db, filter, from, limit);
    const all = await readNow(db, {}, START, 10_000);
    if (all.length === stored || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each<DbKind>(['pglite', 'postgres'])('events on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('writes one event per status change, none for a repeated write', async () => {
    const { db } = database.database;
    const store = createStoreActivities({ db } as never);
    const intentId = `int-${kind === 'pglite' ? 'aaaaaaaaaa' : 'bbbbbbbbbb'}`;
    await db.insert(s.intents).values({
      id: intentId,
      text: 'x',
      repoPath: '/tmp',
      baseBranch: 'main',
      workflowId: intentId,
    });
    await store.markIntent({ intentId, status: 'planning' });
    await store.markIntent({ intentId, status: 'planning' });
    await store.savePlan({
      intentId,
      plan: {
        summary: 'plan',
        tasks: [{ id: 'a', title: 'A', prompt: 'p', role: 'worker', dependsOn: [] }],
        usage: { input: 1, output: 1, cost: 0 },
      } as never,
      input: {} as never,
      usage: { input: 1, output: 1, cost: 0 },
    });
    await store.savePlan({
      intentId,
      plan: { summary: 'plan', tasks: [], usage: { input: 1, output: 1, cost: 0 } } as never,
      input: {} as never,
      usage: { input: 1, output: 1, cost: 0 },
    });
    await store.addTask({
      intentId,
      task: { id: 'fix', title: 'Fix', prompt: 'p', role: 'refinery', dependsOn: [] } as never,
    });
    await store.addTask({
      intentId,
      task: { id: 'fix', title: 'Fix', prompt: 'p', role: 'refinery', dependsOn: [] } as never,
    });
    await store.markTask({ taskId: `${intentId}-a`, status: 'running', branch: 'b' });
    await store.markTask({ taskId: `${intentId}-a`, status: 'running' });
    const session = {
      sessionId: `${intentId}-a`,
      intentId,
      taskId: `${intentId}-a`,
      workflowId: 'w',
    };
    await store.markSession({ ...session, status: 'starting' });
    await store.markSession({ ...session, status: 'running', worktreePath: '/w' });
    await store.markSession({ ...session, status: 'running' });
    await store.markSession({ ...session, status: 'completed', usage: { input: 3, output: 4, cost: 0.5 } });
    await store.markTask({ taskId: `${intentId}-a`, status: 'completed', filesChanged: ['a.txt'] });
    await store.markIntent({ intentId, status: 'completed', resultBranch: 'r', filesChanged: ['a.txt'] });

    const events = await readEvents(db, { intentId }, START, 100);
    expect(events.map((e) => `${e.kind}:${String(e.payload.status ?? '')}`)).toEqual([
      'intent.status:planning',
      'intent.plan:',
      'task.added:',
      'task.status:running',
      'session.status:starting',
      'session.status:running',
      'session.status:completed',
      'task.status:completed',
      'intent.status:completed',
    ]);
    expect(events[0]).toMatchObject({ intent_id: intentId, session_id: null, payload: { from: 'queued' } });
    expect(events[1]!.payload).toMatchObject({ summary: 'plan', tasks: [{ key: 'a', title: 'A' }] });
    expect(events[6]).toMatchObject({
      session_id: `${intentId}-a`,
      payload: { from: 'running', tokens: { input: 3, output: 4 }, cost_usd: 0.5 },
    });
    expect(events[8]!.payload).toMatchObject({ result_branch: 'r', files_changed: ['a.txt'] });
    expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort((a, b) => a - b));

    const sessionOnly = await readEvents(db, { sessionId: `${intentId}-a` }, START, 100);
    expect(sessionOnly.map((e) => e.kind)).toEqual(['session.status', 'session.status', 'session.status']);
    const kinds = await readEvents(db, { kinds: ['intent.status', 'intent.plan'] }, START, 100);
    expect(kinds.map((e) => e.kind)).toEqual(['intent.status', 'intent.plan', 'intent.status']);

    // Following from the middle gives the rest, then stops with the signal.
    const ac = new AbortController();
    const got: number[] = [];
    let caughtUp = -1;
    for await (const e of followEvents(db, { intentId }, events[3]!.position, {
      signal: ac.signal,
      pollMs: 20,
      onCaughtUp: (last) => {
        caughtUp = last;
        setTimeout(() => ac.abort(), 100);
      },
    }))
      got.push(e.id);
    expect(got).toEqual(events.slice(4).map((e) => e.id));
    expect(caughtUp).toBe(events[8]!.id);
  });

  it('appends a proxy.request event with every audit row', async () => {
    const { db } = database.database;
    const audit = new AuditLog(db, 10);
    for (const attempt of [1, 2])
      audit.push({
        requestId: 'req-1',
        attempt,
        authKind: 'virtual_key',
        tenantId: 'default',
        userId: 'ann',
        sessionId: 'int-cccccccccc-a',
        intentId: 'int-cccccccccc',
        surface: 'openai',
        requestedModel: 'gpt-4.1',
        provider: 'rehearsal',
        stream: false,
        status: attempt === 1 ? 429 : 200,
        inputTokens: 5,
        outputTokens: 7,
        costUsd: 0.01,
        latencyMs: 12,
      });
    await audit.flush();
    const events = await readEvents(db, { kinds: ['proxy.request'] }, START, 10);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({
      intent_id: 'int-cccccccccc',
      session_id: 'int-cccccccccc-a',
      payload: {
        request_id: 'req-1',
        attempt: 2,
        status: 200,
        tokens: { input: 5, output: 7 },
        model: 'gpt-4.1',
      },
    });
    expect(await db.select().from(s.proxyRequests)).toHaveLength(2);
  });
});
