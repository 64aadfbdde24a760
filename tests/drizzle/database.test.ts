// The same migrations and queries on real Postgres (127.0.0.1:5432) and on embedded PGlite.
import fs from 'node:fs';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase, openDatabase } from '../../drizzle/client.js';
import * as s from '../../drizzle/schema.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { tempDir } from '../helpers/repo.js';

describe.each(['postgres', 'pglite'] as const)('database on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t.drop();
  });

  it('creates every table of the schema through the committed migrations', async () => {
    const rows = await t.database.db.execute<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    const names = (Array.isArray(rows) ? rows : (rows as { rows: { table_name: string }[] }).rows).map(
      (r) => r.table_name,
    );
    expect(names).toEqual([
      'agent_sessions',
      'events',
      'intents',
      'proxy_keys',
      'proxy_requests',
      'session_controls',
      'session_entries',
      'session_events',
      'swarms',
      'tasks',
      'worktrees',
    ]);
  });

  it('round-trips an intent with its tasks, sessions and events', async () => {
    const { db } = t.database;
    await db.insert(s.intents).values({
      id: 'int-aaaaaaaaaa',
      text: 'do it',
      repoPath: '/r',
      baseBranch: 'main',
      workflowId: 'int-aaaaaaaaaa',
    });
    await db
      .insert(s.swarms)
      .values({ id: 'int-aaaaaaaaaa', intentId: 'int-aaaaaaaaaa', plan: { tasks: [] } });
    await db.insert(s.tasks).values({
      id: 'int-aaaaaaaaaa-one',
      intentId: 'int-aaaaaaaaaa',
      swarmId: 'int-aaaaaaaaaa',
      key: 'one',
      title: 'One',
      prompt: 'p',
      dependsOn: ['zero'],
    });
    await db
      .insert(s.agentSessions)
      .values({ id: 'sess-1', intentId: 'int-aaaaaaaaaa', taskId: 'int-aaaaaaaaaa-one', workflowId: 'wf' });
    await db.insert(s.sessionEvents).values([
      { sessionId: 'sess-1', seq: 1, type: 'agent_start', payload: { a: 1 } },
      { sessionId: 'sess-1', seq: 2, type: 'agent_end', payload: { b: [1, 2] } },
    ]);
    const [task] = await db.select().from(s.tasks).where(eq(s.tasks.intentId, 'int-aaaaaaaaaa'));
    expect(task?.dependsOn).toEqual(['zero']);
    expect(task?.status).toBe('pending');
    const events = await db
      .select()
      .from(s.sessionEvents)
      .where(eq(s.sessionEvents.sessionId, 'sess-1'))
      .orderBy(s.sessionEvents.seq);
    expect(events.map((e) => e.payload)).toEqual([{ a: 1 }, { b: [1, 2] }]);
  });

  it('makes a re-sent event batch idempotent through the unique key', async () => {
    const { db } = t.database;
    const batch = [{ sessionId: 'sess-2', seq: 1, type: 'x', payload: {} }];
    await db.insert(s.sessionEvents).values(batch).onConflictDoNothing();
    await db.insert(s.sessionEvents).values(batch).onConflictDoNothing();
    const rows = await db.select().from(s.sessionEvents).where(eq(s.sessionEvents.sessionId, 'sess-2'));
    expect(rows).toHaveLength(1);
  });

  it('re-running migrations is a no-op that keeps data', async () => {
    await migrateDatabase(t.database);
    const [row] = await t.database.db.select().from(s.intents).where(eq(s.intents.id, 'int-aaaaaaaaaa'));
    expect(row?.text).toBe('do it');
  });

  it('rejects a task that points at a missing intent (foreign key)', async () => {
    await expect(
      t.database.db
        .insert(s.tasks)
        .values({ id: 'orphan', intentId: 'int-missing000', key: 'k', title: 't', prompt: 'p' }),
    ).rejects.toThrow();
  });
});

describe('embedded PGlite on disk', () => {
  it('keeps data across close and reopen in its data directory', async () => {
    const dir = path.join(tempDir(), 'data');
    const first = await openDatabase({ dataDir: dir });
    await first.db.insert(s.intents).values({
      id: 'int-bbbbbbbbbb',
      text: 'persist me',
      repoPath: '/r',
      baseBranch: 'main',
      workflowId: 'w',
    });
    await first.close();
    expect(fs.existsSync(dir)).toBe(true);
    const second = await openDatabase({ dataDir: dir });
    const [row] = await second.db.select().from(s.intents).where(eq(s.intents.id, 'int-bbbbbbbbbb'));
    await second.close();
    expect(row?.text).toBe('persist me');
  });
});
