// Opens Dash's database: Postgres when a URL is given (real deployments, shared by many
// processes), otherwise embedded PGlite in a data directory (one process owns it). Both run the
// same committed drizzle migrations.
import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { fromRoot } from '../core/paths.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Round trip used by readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres://… ; when absent PGlite is used. */
  url?: string | undefined;
  /** PGlite data directory; `memory://` for an in-memory database. */
  dataDir?: string;
  /** Apply migrations on open (default true). */
  migrate?: boolean;
  /** Postgres pool size. */
  maxConnections?: number;
}

const migrationsFolder = () => fromRoot('drizzle', 'migrations');

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  const database = opts.url
    ? await openPostgres(opts.url, opts.maxConnections ?? 10)
    : await openPglite(opts);
  if (opts.migrate !== false) await migrateDatabase(database);
  return database;
}

export async function migrateDatabase(database: Database): Promise<void> {
  if (database.kind === 'postgres') {
    // Concurrent starts (API replicas, workers) must not race the migrator.
    await database.db.execute('select pg_advisory_lock(7373001)');
    try {
      await migratePostgres(database.db as never, { migrationsFolder: migrationsFolder() });
    } finally {
      await database.db.execute('select pg_advisory_unlock(7373001)');
    }
  } else {
    await migratePglite(database.db as never, { migrationsFolder: migrationsFolder() });
  }
}

async function openPostgres(url: string, max: number): Promise<Database> {
  const sql = postgres(url, { max, onnotice: () => undefined });
  const db = drizzlePostgres(sql, { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    ping: async () => {
      await sql`select 1`;
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

async function openPglite(opts: DatabaseOptions): Promise<Database> {
  const dataDir = opts.dataDir ?? 'memory://';
  if (!dataDir.startsWith('memory://')) fs.mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir);
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    ping: async () => {
      await client.query('select 1');
    },
    close: () => client.close(),
  };
}
