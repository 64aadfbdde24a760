// zValidator with Dash's error shape, so a validation failure looks like every other error.
import { zValidator } from '@hono/zod-validator';
import type { ValidationTargets } from 'hono';
import type { ZodType } from 'zod';
import { errorResponse } from './errors.js';

/** PostgreSQL refuses NUL in text columns: text stored as it came is checked for it (`.refine(...storable)`). */
export const storable = [
  (v: string) => !v.includes('\0'),
  'must not contain NUL (\\u0000) characters',
] as const;

export const validate = <Target extends keyof ValidationTargets, Schema extends ZodType>(
  target: Target,
  schema: Schema,
) =>
  zValidator(target, schema, (result, c) => {
    if (!result.success) {
      const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      const first = issues[0];
      return errorResponse(
        c,
        400,
        'validation_failed',
        first
          ? `Invalid ${target}: ${first.path ? `${first.path}: ` : ''}${first.message}`
          : `Invalid ${target}.`,
        { issues },
      );
    }
    return undefined;
  });
