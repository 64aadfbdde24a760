// The LLM proxy's tables: virtual keys (only their sha256 is stored) and the append-only audit of
// every attempt, which is also the source of usage and cost reports. No request bodies are kept.
import {
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

export const keyScopes = ['proxy', 'read', 'write', 'admin'] as const;
export type KeyScope = (typeof keyScopes)[number];

export const proxyKeys = pgTable(
  'proxy_keys',
  {
    id: text('id').primaryKey(),
    /** sha256 hex of the full secret; the secret itself is shown once, at mint time. */
    keyHash: text('key_hash').notNull().unique(),
    /** The first characters of the secret, to recognise a key in lists without revealing it. */
    prefix: text('prefix').notNull(),
    name: text('name'),
    /**
     * What the key may do: `proxy` (LLM calls only: agents' per-session keys) or, for people and
     * integrations, `read` < `write` < `admin` on the control API (each also calls the proxy).
     */
    scope: text('scope').$type<KeyScope>().notNull().default('proxy'),
    tenantId: text('tenant_id').notNull().default('default'),
    userId: text('user_id').notNull(),
    sessionId: text('session_id'),
    swarmId: text('swarm_id'),
    intentId: text('intent_id'),
    /** Overrides of the configured defaults; null means the default applies. */
    rpm: integer('rpm'),
    tpm: integer('tpm'),
    dailyBudgetUsd: doublePrecision('daily_budget_usd'),
    monthlyBudgetUsd: doublePrecision('monthly_budget_usd'),
    intentBudgetUsd: doublePrecision('intent_budget_usd'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    index('proxy_keys_session_idx').on(t.sessionId),
    index('proxy_keys_user_idx').on(t.tenantId, t.userId),
  ],
);

export type PiiCounts = Record<string, number>;

export const proxyRequests = pgTable(
  'proxy_requests',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    requestId: text('request_id').notNull(),
    /** 1-based upstream attempt; 0 for a request answered or refused by the proxy itself. */
    attempt: integer('attempt').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    authKind: text('auth_kind').$type<'virtual_key' | 'jwt'>().notNull(),
    keyId: text('key_id'),
    tenantId: text('tenant_id').notNull(),
    userId: text('user_id').notNull(),
    sessionId: text('session_id'),
    swarmId: text('swarm_id'),
    intentId: text('intent_id'),
    surface: text('surface').$type<'openai' | 'anthropic'>().notNull(),
    requestedModel: text('requested_model').notNull(),
    resolvedModel: text('resolved_model'),
    provider: text('provider'),
    stream: boolean('stream').notNull(),
    status: integer('status').notNull(),
    errorCode: text('error_code'),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    cacheReadTokens: integer('cache_read_tokens').notNull().default(0),
    cacheWriteTokens: integer('cache_write_tokens').notNull().default(0),
    costUsd: doublePrecision('cost_usd').notNull().default(0),
    latencyMs: integer('latency_ms').notNull(),
    ttftMs: integer('ttft_ms'),
    cacheHit: boolean('cache_hit').notNull().default(false),
    piiCounts: jsonb('pii_counts').$type<PiiCounts>().notNull().default({}),
    /** Only with DASH_PROXY_AUDIT_BODIES=on, always PII-redacted, cut at 64 KiB. */
    requestBody: text('request_body'),
    responseBody: text('response_body'),
  },
  (t) => [
    index('proxy_requests_at_idx').on(t.at),
    index('proxy_requests_user_idx').on(t.tenantId, t.userId, t.at),
    index('proxy_requests_intent_idx').on(t.intentId),
    index('proxy_requests_request_idx').on(t.requestId),
  ],
);
