// The one way a route reads a row by id: within the caller's tenant, so another tenant's row is
// answered exactly like one that does not exist (404, the ids of others do not even leak).
import { and, eq } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { NotFoundError } from '../core/errors.js';
import type { Db } from '../drizzle/client.js';

type Owned = PgTable & { id: PgColumn; tenantId: PgColumn };

export async function findOwned<T extends Owned>(
  db: Db,
  table: T,
  resource: string,
  tenantId: string,
  id: string,
): Promise<T['$inferSelect']> {
  const [row] = await db
    .select()
    .from(table as PgTable)
    .where(and(eq(table.id, id), eq(table.tenantId, tenantId)));
  if (!row) throw new NotFoundError(resource, id);
  return row as T['$inferSelect'];
}
