// The proxy's DASH_* settings: the env shape merged into core/config.ts and its resolved form.
// Provider keys live here and nowhere else; nothing in this object is ever serialised to a client.
import { z } from 'zod';
import { DEFAULT_ALIASES, findModel } from '../providers/models.js';
import type { ProviderName } from '../providers/types.js';

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const positiveInt = z.coerce.number().int().positive();
const nonNegative = z.coerce.number().nonnegative();
const jsonOf = <T extends z.ZodType>(schema: T) =>
  optional.transform((v, ctx): z.infer<T> | undefined => {
    if (v === undefined) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
      return z.NEVER;
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: parsed.error.issues[0]?.message ?? 'invalid' });
      return z.NEVER;
    }
    return parsed.data as z.infer<T>;
  });

export const PiiModeSchema = z.enum(['off', 'redact', 'block']);
export type PiiMode = z.infer<typeof PiiModeSchema>;

export const ProxyEnvShape = {
  DASH_ANTHROPIC_API_KEY: optional,
  DASH_OPENAI_API_KEY: optional,
  DASH_GOOGLE_API_KEY: optional,
  GOOGLE_API_KEY: optional,
  GEMINI_API_KEY: optional,
  DASH_ANTHROPIC_BASE_URL: optional,
  DASH_OPENAI_BASE_URL: optional,
  DASH_GOOGLE_BASE_URL: optional,
  /** OpenAI-format base URL of a rehearsal server, e.g. http://127.0.0.1:7380/v1. */
  DASH_PROXY_REHEARSAL_URL: optional,
  /** JSON: {"smart": ["claude-sonnet-4-5", "gpt-4.1"], ...}; merged over the defaults. */
  DASH_PROXY_ALIASES: jsonOf(z.record(z.string().min(1), z.array(z.string().min(1)).min(1))),
  DASH_JWT_SECRET: optional,
  DASH_REDIS_URL: optional,
  DASH_PROXY_MAX_BODY_BYTES: positiveInt.default(4 * 1024 * 1024),
  DASH_PROXY_MAX_ATTEMPTS: positiveInt.default(4),
  DASH_PROXY_DEADLINE_MS: positiveInt.default(120_000),
  DASH_PROXY_TTFT_TIMEOUT_MS: positiveInt.default(30_000),
  DASH_PROXY_COOLDOWN_MAX_MS: positiveInt.default(60_000),
  DASH_PROXY_KEY_RPM: positiveInt.default(600),
  DASH_PROXY_KEY_TPM: positiveInt.default(2_000_000),
  DASH_PROXY_USER_RPM: positiveInt.default(1200),
  DASH_PROXY_USER_TPM: positiveInt.default(4_000_000),
  DASH_PROXY_USER_DAILY_USD: nonNegative.optional(),
  DASH_PROXY_USER_MONTHLY_USD: nonNegative.optional(),
  DASH_PROXY_PII_MODE: PiiModeSchema.default('redact'),
  /** JSON: {"tenant-a": "block"}. */
  DASH_PROXY_PII_TENANTS: jsonOf(z.record(z.string(), PiiModeSchema)),
  DASH_PROXY_CACHE_MAX_BYTES: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(64 * 1024 * 1024),
  DASH_PROXY_CACHE_TTL_MS: positiveInt.default(3_600_000),
  DASH_PROXY_AUDIT_FLUSH_MS: positiveInt.default(200),
  /** Keep request and response bodies in the audit rows, PII-redacted (off: counts and metadata only). */
  DASH_PROXY_AUDIT_BODIES: z.enum(['on', 'off']).default('off'),
};

type ProxyEnv = z.infer<z.ZodObject<typeof ProxyEnvShape>>;

export interface ProviderSettings {
  baseUrl: string;
  apiKey: string | undefined;
  /** A provider is routed to only when it has a key or an explicit base URL (a local upstream). */
  enabled: boolean;
}

export interface ProxySettings {
  providers: Record<ProviderName, ProviderSettings>;
  aliases: Record<string, string[]>;
  jwtSecret: string | undefined;
  redisUrl: string | undefined;
  maxBodyBytes: number;
  maxAttempts: number;
  deadlineMs: number;
  ttftTimeoutMs: number;
  cooldownMaxMs: number;
  limits: {
    keyRpm: number;
    keyTpm: number;
    userRpm: number;
    userTpm: number;
    userDailyUsd: number | undefined;
    userMonthlyUsd: number | undefined;
  };
  pii: { mode: PiiMode; tenants: Record<string, PiiMode> };
  cache: { maxBytes: number; ttlMs: number };
  auditFlushMs: number;
  /** DASH_PROXY_AUDIT_BODIES: bodies in the audit rows, redacted. */
  auditBodies: boolean;
}

const trim = (u: string) => u.replace(/\/$/, '');

export function resolveProxySettings(
  e: ProxyEnv & { ANTHROPIC_API_KEY?: string | undefined; OPENAI_API_KEY?: string | undefined },
): ProxySettings {
  const provider = (
    key: string | undefined,
    override: string | undefined,
    base: string,
  ): ProviderSettings => ({
    baseUrl: trim(override ?? base),
    apiKey: key,
    enabled: key !== undefined || override !== undefined,
  });
  const aliases = Object.fromEntries(Object.entries(DEFAULT_ALIASES).map(([k, v]) => [k, [...v]]));
  for (const [alias, models] of Object.entries(e.DASH_PROXY_ALIASES ?? {})) {
    const unknown = models.find((m) => !findModel(m));
    if (unknown)
      throw new Error(`Invalid Dash configuration: DASH_PROXY_ALIASES.${alias}: unknown model '${unknown}'`);
    aliases[alias] = models;
  }
  return {
    providers: {
      anthropic: provider(
        e.DASH_ANTHROPIC_API_KEY ?? e.ANTHROPIC_API_KEY,
        e.DASH_ANTHROPIC_BASE_URL,
        'https://api.anthropic.com',
      ),
      openai: provider(
        e.DASH_OPENAI_API_KEY ?? e.OPENAI_API_KEY,
        e.DASH_OPENAI_BASE_URL,
        'https://api.openai.com/v1',
      ),
      google: provider(
        e.DASH_GOOGLE_API_KEY ?? e.GOOGLE_API_KEY ?? e.GEMINI_API_KEY,
        e.DASH_GOOGLE_BASE_URL,
        'https://generativelanguage.googleapis.com',
      ),
      rehearsal: {
        baseUrl: trim(e.DASH_PROXY_REHEARSAL_URL ?? 'http://127.0.0.1:7380/v1'),
        apiKey: undefined,
        enabled: e.DASH_PROXY_REHEARSAL_URL !== undefined,
      },
    },
    aliases,
    jwtSecret: e.DASH_JWT_SECRET,
    redisUrl: e.DASH_REDIS_URL,
    maxBodyBytes: e.DASH_PROXY_MAX_BODY_BYTES,
    maxAttempts: e.DASH_PROXY_MAX_ATTEMPTS,
    deadlineMs: e.DASH_PROXY_DEADLINE_MS,
    ttftTimeoutMs: e.DASH_PROXY_TTFT_TIMEOUT_MS,
    cooldownMaxMs: e.DASH_PROXY_COOLDOWN_MAX_MS,
    limits: {
      keyRpm: e.DASH_PROXY_KEY_RPM,
      keyTpm: e.DASH_PROXY_KEY_TPM,
      userRpm: e.DASH_PROXY_USER_RPM,
      userTpm: e.DASH_PROXY_USER_TPM,
      userDailyUsd: e.DASH_PROXY_USER_DAILY_USD,
      userMonthlyUsd: e.DASH_PROXY_USER_MONTHLY_USD,
    },
    pii: { mode: e.DASH_PROXY_PII_MODE, tenants: e.DASH_PROXY_PII_TENANTS ?? {} },
    cache: { maxBytes: e.DASH_PROXY_CACHE_MAX_BYTES, ttlMs: e.DASH_PROXY_CACHE_TTL_MS },
    auditFlushMs: e.DASH_PROXY_AUDIT_FLUSH_MS,
    auditBodies: e.DASH_PROXY_AUDIT_BODIES === 'on',
  };
}
