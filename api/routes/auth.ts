// /api/v1/auth: who is calling (`whoami`), and the tenant's API keys: created by an admin key of
// that tenant, shown once, stored as a sha256, listed without their secret, revoked at once.
import { and, eq, isNull, ne } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { proxyKeys } from '../../drizzle/proxy-schema.js';
import { revokeVirtualKey } from '../../proxy/auth.js';
import { principalOf, tenantOf, type AuthEnv } from '../auth.js';
import { createApiKey, presentKey } from '../key-view.js';
import type { ApiDeps } from '../context.js';
import { findOwned } from '../owned.js';
import { afterCursor, newestFirst, pageOf, pageParams } from '../cursor.js';
import { storable, validate } from '../validate.js';

export const CreateKey = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'name the key after who uses it')
      .max(100)
      .refine(...storable),
    scope: z.enum(['read', 'write', 'admin']).default('read'),
    /** Days until the key stops working; without it the key lasts until revoked. */
    expires_in_days: z.number().int().min(1).max(3650).optional(),
  })
  .strict();
export const KeyId = z.object({
  id: z.string().regex(/^vk_[0-9a-f]{16}$/, 'key ids look like vk_ and 16 hex digits'),
});
export const ListKeys = z.object({
  ...pageParams,
  /** Also list revoked keys (they are never deleted: the audit refers to them). */
  include_revoked: z.enum(['true', 'false']).default('false'),
});

export function authRoutes(deps: ApiDeps) {
  const { db } = deps.database;
  return new Hono<AuthEnv>()
    .get('/whoami', (c) => {
      const p = principalOf(c);
      return c.json({
        tenant: p.tenantId,
        user: p.userId,
        scope: p.scope,
        auth: p.authKind === 'jwt' ? 'jwt' : 'api_key',
        key_id: p.authKind === 'jwt' ? null : p.keyId,
      });
    })
    .post('/keys', validate('json', CreateKey), async (c) => {
      const body = c.req.valid('json');
      const p = principalOf(c);
      const created = await createApiKey(db, {
        tenantId: p.tenantId,
        userId: p.userId,
        name: body.name,
        scope: body.scope,
        expiresInDays: body.expires_in_days,
      });
      return c.json(created, 201);
    })
    .get('/keys', validate('query', ListKeys), async (c) => {
      const q = c.req.valid('query');
      const rows = await db
        .select()
        .from(proxyKeys)
        .where(
          and(
            eq(proxyKeys.tenantId, tenantOf(c)),
            // Agents' per-session keys are the proxy's business, not people's: listed by their session.
            ne(proxyKeys.scope, 'proxy'),
            q.include_revoked === 'true' ? undefined : isNull(proxyKeys.revokedAt),
            afterCursor(proxyKeys, q.cursor),
          ),
        )
        .orderBy(...newestFirst(proxyKeys))
        .limit(q.limit + 1);
      return c.json(pageOf(rows, q.limit, presentKey));
    })
    .delete('/keys/:id', validate('param', KeyId), async (c) => {
      const { id } = c.req.valid('param');
      await findOwned(db, proxyKeys, 'key', tenantOf(c), id);
      const revoked = await revokeVirtualKey(db, id);
      return c.json({ id, revoked, was_revoked: !revoked });
    });
}
