// The one retry loop of the proxy: each candidate at most once, bounded in attempts and wall time,
// falling back on rate limits, server errors, timeouts and network errors before the first byte,
// honouring Retry-After with per-provider cooldowns; and the error the client gets when all fail.
import type { ChatRequest } from '../providers/types.js';
import { ProxyError } from './errors.js';
import { clientGone, type Exchange } from './node-io.js';
import { auditRow, ms, type RequestContext } from './request-context.js';
import type { Candidate } from './router.js';
import { callUpstream, UpstreamFailure, type UpstreamResult } from './upstream.js';

export interface AttemptState {
  failures: UpstreamFailure[];
  cooling: number;
}

/** The one retry loop: each candidate at most once, bounded in attempts and wall time. */
export async function attempts(
  ex: Exchange,
  x: RequestContext & Partial<AttemptState>,
  req: ChatRequest,
  candidates: Candidate[],
): Promise<{ cand: Candidate; attempt: number; result: UpstreamResult } | undefined> {
  const { settings, health } = x.rt;
  const deadline = Date.now() + settings.deadlineMs;
  const client = clientGone(ex);
  x.failures = [];
  x.cooling = Infinity;
  let attempt = 0;
  for (const cand of candidates) {
    if (attempt >= settings.maxAttempts || Date.now() >= deadline) break;
    const cooling = health.coolingFor(cand.provider);
    if (cooling > 0) {
      x.cooling = Math.min(x.cooling, cooling);
      continue;
    }
    attempt++;
    const t = performance.now();
    try {
      const result = await callUpstream(cand.adapter, x.rt.endpoint(cand.provider), req, cand.model.id, {
        ttftTimeoutMs: Math.max(1, Math.min(settings.ttftTimeoutMs, deadline - Date.now())),
        client,
      });
      health.observeTtft(cand.model.id, result.ttftMs);
      return { cand, attempt, result };
    } catch (err) {
      if (!(err instanceof UpstreamFailure)) throw err;
      x.failures.push(err);
      x.rt.audit.push(
        auditRow(x, {
          attempt,
          provider: cand.provider,
          resolvedModel: cand.model.id,
          status: err.status,
          errorCode: err.code,
          latencyMs: ms(t),
        }),
      );
      if (err.retryAfterMs !== undefined || err.cls === 'rate_limited')
        health.coolDown(cand.provider, Math.min(err.retryAfterMs ?? 1000, settings.cooldownMaxMs));
      if (!err.fallsBack) break;
    }
  }
  return undefined;
}

export function finalError(x: RequestContext & Partial<AttemptState>): ProxyError {
  const last = x.failures?.at(-1);
  const retryIn = Math.min(x.cooling ?? Infinity, ...x.failures!.map((f) => f.retryAfterMs ?? Infinity));
  const retryHeader: Record<string, string> = Number.isFinite(retryIn)
    ? { 'retry-after': String(Math.max(1, Math.ceil(retryIn / 1000))) }
    : {};
  if (!last)
    return new ProxyError(
      429,
      'providers_cooling_down',
      'Every provider for this model is cooling down after rate limits.',
      retryHeader,
    );
  if (last.cls === 'client_error')
    return new ProxyError(
      last.status,
      'upstream_rejected',
      `The provider rejected the request: ${last.message}`,
    );
  if (x.failures!.every((f) => f.cls === 'rate_limited'))
    return new ProxyError(
      429,
      'upstream_rate_limited',
      'Every provider rate-limited this request.',
      retryHeader,
    );
  if (last.cls === 'timeout')
    return new ProxyError(504, 'upstream_timeout', 'No provider answered in time.', retryHeader);
  return new ProxyError(
    502,
    'upstream_unavailable',
    `No provider could serve the request after ${x.failures!.length} attempt(s): ${last.message}`,
    retryHeader,
  );
}
