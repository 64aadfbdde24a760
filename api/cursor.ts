// Cursor pagination shared by list endpoints: newest first, keyed on (created_at, id).
import { ValidationError } from '../core/errors.js';

export function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [iso, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const createdAt = new Date(iso ?? '');
  if (!id || Number.isNaN(createdAt.getTime()))
    throw new ValidationError('Invalid cursor; pass next_cursor from a previous page.');
  return { createdAt, id };
}
