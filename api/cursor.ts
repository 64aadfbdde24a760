// Keyset pagination shared by list endpoints: newest first, keyed on (created_at, id), so pages
// stay stable while rows are added.
import { and, desc, eq, lt, or, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';

export const pageParams = {
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
};

interface Keyed {
  createdAt: PgColumn;
  id: PgColumn;
}

export function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [iso, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const createdAt = new Date(iso ?? '');
  // Only what encodeCursor makes gets to the database, which refuses NUL in text and years that
  // an ISO timestamp cannot hold in four digits.
  const year = createdAt.getUTCFullYear();
  if (!id || id.includes('\0') || Number.isNaN(createdAt.getTime()) || year < 1 || year > 9999)
    throw new ValidationError('Invalid cursor; pass next_cursor from a previous page.');
  return { createdAt, id };
}

/** The condition selecting rows after `cursor` (none when there is no cursor). */
export function afterCursor(table: Keyed, cursor: string | undefined): SQL | undefined {
  if (!cursor) return undefined;
  const after = decodeCursor(cursor);
  return or(
    lt(table.createdAt, after.createdAt),
    and(eq(table.createdAt, after.createdAt), lt(table.id, after.id)),
  );
}

export const newestFirst = (table: Keyed) => [desc(table.createdAt), desc(table.id)];

/** Rows were fetched with limit + 1: the extra one says whether another page exists. */
export function pageOf<Row extends { createdAt: Date; id: string }, View>(
  rows: Row[],
  limit: number,
  present: (r: Row) => View,
) {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { data: page.map(present), next_cursor: rows.length > limit && last ? encodeCursor(last) : null };
}
