// The single translation from errors to HTTP responses: one JSON shape with a stable code.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DashError } from '../core/errors.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function errorResponse(c: Context, status: number, code: string, message: string, details?: unknown) {
  const body: ErrorBody = { error: { code, message, ...(details !== undefined && { details }) } };
  return c.json(body, status as ContentfulStatusCode);
}

export function onError(err: Error, c: Context) {
  if (err instanceof DashError) return errorResponse(c, err.status, err.code, err.message, err.details);
  if (err instanceof HTTPException) {
    const malformed = /malformed json/i.test(err.message);
    return errorResponse(
      c,
      err.status,
      malformed ? 'malformed_json' : 'bad_request',
      malformed ? 'The request body is not valid JSON.' : err.message || 'Bad request.',
    );
  }
  console.error('[dash api] unexpected error', err);
  return errorResponse(c, 500, 'internal_error', 'Unexpected server error; see the server log.');
}
