// Who is calling: a virtual key (`dash_sk_…`, stored as its sha256, attributed to a user, tenant
// and optionally a session, swarm and intent) or an HS256 JWT signed with DASH_JWT_SECRET.
// Verified keys are cached for a few seconds; a revocation in this process takes effect at once,
// in other API replicas within KEY_CACHE_MS.
import crypto from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { verify } from 'hono/jwt';
import { z } from 'zod';
import type { Db } from '../drizzle/client.js';
import { keyScopes, proxyKeys, type KeyScope } from '../drizzle/proxy-schema.js';
import { ProxyError } from './errors.js';

export interface Principal {
  authKind: 'virtual_key' | 'jwt';
  keyId: string;
  /** `proxy` keys only call models; `read`/`write`/`admin` also reach the control API. */
  scope: KeyScope;
  tenantId: string;
  userId: string;
  sessionId: string | null;
  swarmId: string | null;
  intentId: string | null;
  rpm: number | null;
  tpm: number | null;
  dailyBudgetUsd: number | null;
  monthlyBudgetUsd: number | null;
  intentBudgetUsd: number | null;
}

export const KEY_PREFIX = 'dash_sk_';
const KEY_CACHE_MS = 5_000;

export const MintKeySchema = z
  .object({
    tenantId: z.string().min(1).default('default'),
    userId: z.string().min(1),
    name: z.string().optional(),
    scope: z.enum(keyScopes).default('proxy'),
    sessionId: z.string().optional(),
    swarmId: z.string().optional(),
    intentId: z.string().optional(),
    expiresAt: z.date().optional(),
    rpm: z.number().int().positive().optional(),
    tpm: z.number().int().positive().optional(),
    dailyBudgetUsd: z.number().nonnegative().optional(),
    monthlyBudgetUsd: z.number().nonnegative().optional(),
    intentBudgetUsd: z.number().nonnegative().optional(),
  })
  .strict();
export type MintKeyInput = z.input<typeof MintKeySchema>;

export interface MintedKey {
  id: string;
  /** The secret: returned once, never stored. */
  key: string;
  prefix: string;
}

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

/** Mints a virtual key; the session workflow calls this per agent session. */
export async function mintVirtualKey(db: Db, input: MintKeyInput): Promise<MintedKey> {
  const v = MintKeySchema.parse(input);
  const key = `${KEY_PREFIX}${crypto.randomBytes(32).toString('base64url')}`;
  const id = `vk_${crypto.randomBytes(8).toString('hex')}`;
  const prefix = key.slice(0, KEY_PREFIX.length + 6);
  await db.insert(proxyKeys).values({
    id,
    keyHash: sha256(key),
    prefix,
    name: v.name ?? null,
    scope: v.scope,
    tenantId: v.tenantId,
    userId: v.userId,
    sessionId: v.sessionId ?? null,
    swarmId: v.swarmId ?? null,
    intentId: v.intentId ?? null,
    rpm: v.rpm ?? null,
    tpm: v.tpm ?? null,
    dailyBudgetUsd: v.dailyBudgetUsd ?? null,
    monthlyBudgetUsd: v.monthlyBudgetUsd ?? null,
    intentBudgetUsd: v.intentBudgetUsd ?? null,
    expiresAt: v.expiresAt ?? null,
  });
  return { id, key, prefix };
}

/** Revokes a key; true if it was live. Idempotent, so a retried activity is harmless. */
export async function revokeVirtualKey(db: Db, id: string): Promise<boolean> {
  const rows = await db
    .update(proxyKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(proxyKeys.id, id), isNull(proxyKeys.revokedAt)))
    .returning({ id: proxyKeys.id });
  for (const [token, entry] of keyCache) if (entry.principal?.keyId === id) keyCache.delete(token);
  return rows.length > 0;
}

interface CacheEntry {
  principal: Principal | null;
  expiresAt: Date | null;
  until: number;
}
const keyCache = new Map<string, CacheEntry>();

// An expiry is required: a bearer token that never expires is a virtual key without revocation.
const JwtClaims = z.object({
  sub: z.string().min(1),
  exp: z.number(),
  tenant: z.string().min(1).default('default'),
  /** A token without a scope may read, not change anything. */
  scope: z.enum(keyScopes).default('read'),
  jti: z.string().optional(),
  session_id: z.string().optional(),
  swarm_id: z.string().optional(),
  intent_id: z.string().optional(),
});

const unauthorized = (message: string) => new ProxyError(401, 'invalid_api_key', message);

/** The bearer token of a request: `Authorization: Bearer …` (OpenAI SDK) or `x-api-key` (Anthropic SDK). */
export function tokenOf(headers: { authorization?: string | undefined; xApiKey?: string | undefined }) {
  const auth = headers.authorization;
  if (auth?.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim();
  return headers.xApiKey?.trim() || undefined;
}

export async function authenticate(
  db: Db,
  token: string | undefined,
  jwtSecret: string | undefined,
): Promise<Principal> {
  if (!token) throw unauthorized('Missing API key: send a Dash virtual key or JWT as a bearer token.');
  if (token.startsWith(KEY_PREFIX)) return virtualKey(db, token);
  if (jwtSecret && token.split('.').length === 3) return jwt(token, jwtSecret);
  throw unauthorized('Invalid API key.');
}

/**
 * The principal of a virtual key verified within the last seconds, without a promise: the proxy's
 * hot path checks this first, so a cached key costs no turn of the event loop. Undefined for
 * anything else (not cached, stale, revoked, expired, a JWT): `authenticate` decides those.
 */
export function cachedPrincipal(token: string | undefined): Principal | undefined {
  if (!token) return undefined;
  const entry = keyCache.get(token);
  if (!entry?.principal) return undefined;
  const now = Date.now();
  if (entry.until < now || (entry.expiresAt && entry.expiresAt.getTime() <= now)) return undefined;
  return entry.principal;
}

async function virtualKey(db: Db, token: string): Promise<Principal> {
  const now = Date.now();
  // Keyed on the token itself (memory only, for seconds): hashing it on every request showed in
  // profiles; the hash is needed only to look the key up.
  let entry = keyCache.get(token);
  if (!entry || entry.until < now) {
    const hash = sha256(token);
    const [row] = await db
      .select()
      .from(proxyKeys)
      .where(and(eq(proxyKeys.keyHash, hash), isNull(proxyKeys.revokedAt)))
      .limit(1);
    entry = {
      principal: row
        ? {
            authKind: 'virtual_key',
            keyId: row.id,
            scope: row.scope,
            tenantId: row.tenantId,
            userId: row.userId,
            sessionId: row.sessionId,
            swarmId: row.swarmId,
            intentId: row.intentId,
            rpm: row.rpm,
            tpm: row.tpm,
            dailyBudgetUsd: row.dailyBudgetUsd,
            monthlyBudgetUsd: row.monthlyBudgetUsd,
            intentBudgetUsd: row.intentBudgetUsd,
          }
        : null,
      expiresAt: row?.expiresAt ?? null,
      until: now + KEY_CACHE_MS,
    };
    if (keyCache.size > 10_000) keyCache.clear();
    keyCache.set(token, entry);
  }
  if (!entry.principal) throw unauthorized('Invalid or revoked API key.');
  if (entry.expiresAt && entry.expiresAt.getTime() <= now) throw unauthorized('The API key has expired.');
  return entry.principal;
}

async function jwt(token: string, secret: string): Promise<Principal> {
  let payload: unknown;
  try {
    payload = await verify(token, secret, 'HS256');
  } catch {
    throw unauthorized('Invalid or expired JWT.');
  }
  const claims = JwtClaims.safeParse(payload);
  if (!claims.success) throw unauthorized('The JWT needs a subject (sub) and an expiry (exp).');
  const c = claims.data;
  return {
    authKind: 'jwt',
    keyId: `jwt:${c.jti ?? c.sub}`,
    scope: c.scope,
    tenantId: c.tenant,
    userId: c.sub,
    sessionId: c.session_id ?? null,
    swarmId: c.swarm_id ?? null,
    intentId: c.intent_id ?? null,
    rpm: null,
    tpm: null,
    dailyBudgetUsd: null,
    monthlyBudgetUsd: null,
    intentBudgetUsd: null,
  };
}
