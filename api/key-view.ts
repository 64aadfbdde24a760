// An API key as people see it (never its secret, except once at creation), shared by the
// /api/v1/auth routes and the operator's `dash auth key create --local`, which writes to the
// database without the API.
import { eq } from 'drizzle-orm';
import type { Db } from '../drizzle/client.js';
import { proxyKeys } from '../drizzle/proxy-schema.js';
import { mintVirtualKey } from '../proxy/auth.js';

type KeyRow = typeof proxyKeys.$inferSelect;

export const presentKey = (k: KeyRow) => ({
  id: k.id,
  prefix: k.prefix,
  name: k.name,
  scope: k.scope,
  tenant: k.tenantId,
  user: k.userId,
  created_at: k.createdAt.toISOString(),
  expires_at: k.expiresAt?.toISOString() ?? null,
  revoked_at: k.revokedAt?.toISOString() ?? null,
});

/** Mints a key for a person or a program and returns its view with the secret, shown this once. */
export async function createApiKey(
  db: Db,
  input: {
    tenantId: string;
    userId: string;
    name: string;
    scope: 'read' | 'write' | 'admin';
    expiresInDays?: number | undefined;
  },
): Promise<ReturnType<typeof presentKey> & { key: string }> {
  const minted = await mintVirtualKey(db, {
    tenantId: input.tenantId,
    userId: input.userId,
    name: input.name,
    scope: input.scope,
    ...(input.expiresInDays !== undefined && {
      expiresAt: new Date(Date.now() + input.expiresInDays * 86_400_000),
    }),
  });
  const [row] = await db.select().from(proxyKeys).where(eq(proxyKeys.id, minted.id));
  return { ...presentKey(row!), key: minted.key };
}
