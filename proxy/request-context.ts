// What every stage of one proxied request shares, and the audit row built from it.
import type { ToolCall, Usage } from '../providers/types.js';
import type { AuditRow } from './audit.js';
import type { Principal } from './auth.js';
import { findPii, redact, type PiiCounts } from './pii.js';
import type { Candidate } from './router.js';
import type { ProxyRuntime } from './runtime.js';
import type { SurfaceCodec } from './surfaces.js';

export interface RequestContext {
  rt: ProxyRuntime;
  codec: SurfaceCodec;
  requestId: string;
  started: number;
  principal: Principal;
  requestedModel: string;
  stream: boolean;
  /** OpenAI surface: the client asked for the usage chunk, as OpenAI sends it only then. */
  includeUsage: boolean;
  pii: PiiCounts;
  /** The request as the audit keeps it (DASH_PROXY_AUDIT_BODIES=on): redacted, bounded. */
  requestBody?: string;
}

const MAX_STORED_BODY = 64 * 1024;

/**
 * A body as the audit stores it: PII always redacted (whatever the tenant's mode, which decides
 * what the model sees), and cut at 64 KiB so one huge prompt cannot bloat the table.
 */
export function storedBody(text: string): string {
  const clean = redact(text, findPii(text));
  return clean.length > MAX_STORED_BODY ? `${clean.slice(0, MAX_STORED_BODY)}…[truncated]` : clean;
}

/** An answer as the audit stores it, streamed or not: its text, its tool calls, how it ended. */
export const storedAnswer = (text: string, toolCalls: ToolCall[], finish: string | null) =>
  storedBody(JSON.stringify({ text, tool_calls: toolCalls, finish }));

export const totalTokens = (u: Usage) => u.input + u.output + u.cacheRead + u.cacheWrite;
export const ms = (since: number) => Math.round(performance.now() - since);

export function auditRow(
  x: RequestContext,
  row: Partial<AuditRow> & Pick<AuditRow, 'attempt' | 'status' | 'latencyMs'>,
): AuditRow {
  const p = x.principal;
  return {
    requestId: x.requestId,
    authKind: p.authKind,
    keyId: p.keyId,
    tenantId: p.tenantId,
    userId: p.userId,
    sessionId: p.sessionId,
    swarmId: p.swarmId,
    intentId: p.intentId,
    surface: x.codec.surface,
    requestedModel: x.requestedModel,
    stream: x.stream,
    piiCounts: { ...x.pii } as Record<string, number>,
    ...(x.requestBody !== undefined && { requestBody: x.requestBody }),
    ...row,
  };
}

export const attemptFields = (cand: Candidate, attempt: number, usage: Usage, costUsd: number) => ({
  attempt,
  provider: cand.provider,
  resolvedModel: cand.model.id,
  inputTokens: usage.input,
  outputTokens: usage.output,
  cacheReadTokens: usage.cacheRead,
  cacheWriteTokens: usage.cacheWrite,
  costUsd,
});
