// A fresh database per test file: a new Postgres database on the machine's server, or an
// in-memory PGlite. Both run the committed migrations.
import crypto from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, type Database } from '../../drizzle/client.js';

export const POSTGRES_ADMIN_URL =
  process.env.DASH_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type DbKind = 'postgres' | 'pglite';

export interface TestDatabase {
  database: Database;
  url: string | undefined;
  drop(): Promise<void>;
}

export async function createTestDatabase(kind: DbKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const database = await openDatabase({ dataDir: 'memory://' });
    return { database, url: undefined, drop: () => database.close() };
  }
  const name = `dash_test_${crypto.randomBytes(5).toString('hex')}`;
  const admin = postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), maxConnections: 5 });
  return {
    database,
    url: url.toString(),
    drop: async () => {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
