// One chat request through the proxy: authenticate, parse and validate, screen for PII, resolve
// candidates, admit against limits and budgets, answer from the cache or through the attempt loop
// (fallback before the first byte only), then account: cost header or streamed usage, audit
// rows per attempt, settlement of the reservation, cache fill.
import crypto from 'node:crypto';
import { costOf } from '../providers/models.js';
import type { ChatRequest } from '../providers/types.js';
import { admit, admitNow, settle, type Reservation } from './admission.js';
import { authenticate, cachedPrincipal, tokenOf } from './auth.js';
import { cacheKey, type CachedAnswer } from './cache.js';
import { badRequest, ProxyError, renderProxyError } from './errors.js';
import { attempts, finalError, type AttemptState } from './attempts.js';
import { header, readBody, respondJson, setHeader, type Exchange } from './node-io.js';
import { addCounts, findPii, redact, type PiiCounts } from './pii.js';
import {
  attemptFields,
  auditRow,
  ms,
  storedAnswer,
  storedBody,
  totalTokens,
  type RequestContext,
} from './request-context.js';
import { replay, streamAnswer } from './respond.js';
import {
  DEFAULT_OUTPUT_ESTIMATE,
  estimateInputTokens,
  resolveCandidates,
  RoutingSchema,
  type Routing,
} from './router.js';
import type { ProxyRuntime } from './runtime.js';
import type { SurfaceCodec } from './surfaces.js';

// Request ids: a random prefix per process and a counter, unique across replicas and restarts
// without a random UUID per call (which showed in profiles of the hot path).
const ID_PREFIX = `req_${crypto.randomBytes(8).toString('hex')}`;
let idCounter = 0;
const nextRequestId = () => `${ID_PREFIX}${(++idCounter).toString(16).padStart(8, '0')}`;

/** What RoutingSchema makes of an absent `routing`. */
const DEFAULT_ROUTING = (): Routing => ({ fallback_allowed: true, strategy: 'fixed' });

function parseBody(text: string, codec: SurfaceCodec) {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw badRequest('malformed_json', 'The request body is not valid JSON.');
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw badRequest('invalid_request', 'The request body must be a JSON object.');
  const obj = raw as Record<string, unknown>;
  // Most requests carry no routing and the common body shape: no zod on them.
  if (obj.routing === undefined && codec.isPlain(obj))
    return { req: codec.decode(obj), routing: DEFAULT_ROUTING() };
  const { routing: rawRouting, ...rest } = obj;
  const routing = RoutingSchema.safeParse(rawRouting ?? {});
  if (!routing.success) {
    const i = routing.error.issues[0];
    const path = ['routing', ...(i?.path ?? [])].join('.');
    throw badRequest('invalid_routing', `Invalid ${path}: ${i?.message ?? 'invalid'}`, path);
  }
  const body = codec.schema.safeParse(rest);
  if (!body.success) {
    const i = body.error.issues[0];
    const path = i?.path.join('.') || null;
    throw badRequest(
      'invalid_request',
      `Invalid request${path ? ` at ${path}` : ''}: ${i?.message ?? 'invalid'}`,
      path,
    );
  }
  return { req: codec.decode(body.data), routing: routing.data };
}

/** Counts PII in every text the model would see, and redacts it in place when asked to. */
function screenRequest(req: ChatRequest, counts: PiiCounts, doRedact: boolean) {
  const screen = (text: string) => {
    const m = findPii(text);
    if (!m.length) return text;
    addCounts(counts, m, 'request.');
    return doRedact ? redact(text, m) : text;
  };
  if (req.system !== undefined) req.system = screen(req.system);
  for (const msg of req.messages) {
    msg.text = screen(msg.text);
    for (const t of msg.toolCalls ?? []) t.arguments = screen(t.arguments);
  }
}

/** Answers one chat exchange; a failure is answered in the format of the surface that was called. */
export function serveChat(ex: Exchange, codec: SurfaceCodec, rt: ProxyRuntime): Promise<void> {
  return handleChat(ex, codec, rt).catch((err: unknown) => renderProxyError(ex, codec.surface, err));
}

async function handleChat(ex: Exchange, codec: SurfaceCodec, rt: ProxyRuntime): Promise<void> {
  const started = performance.now();
  const requestId = nextRequestId();
  setHeader(ex, 'x-request-id', requestId);
  // No await on the way to the upstream call that does not wait for something (a cached key, an
  // admission from memory or a lease): each one lets whatever else is queued run first.
  const token = tokenOf({ authorization: header(ex, 'authorization'), xApiKey: header(ex, 'x-api-key') });
  const principal = cachedPrincipal(token) ?? (await authenticate(rt.db, token, rt.settings.jwtSecret));
  const { req, routing } = parseBody(await readBody(ex, rt.settings.maxBodyBytes), codec);
  const x: RequestContext & Partial<AttemptState> = {
    rt,
    codec,
    requestId,
    started,
    principal,
    requestedModel: req.model,
    stream: req.stream,
    includeUsage: req.includeUsage,
    pii: {},
  };
  const refuse = (err: ProxyError): never => {
    rt.audit.push(
      auditRow(x, { attempt: 0, status: err.status, errorCode: err.code, latencyMs: ms(started) }),
    );
    throw err;
  };

  const piiMode = rt.settings.pii.tenants[principal.tenantId] ?? rt.settings.pii.mode;
  if (piiMode !== 'off') screenRequest(req, x.pii, piiMode === 'redact');
  // Before a refusal, so that a blocked request's audit row keeps it too (redacted).
  if (rt.settings.auditBodies) x.requestBody = storedBody(JSON.stringify(req));
  if (piiMode === 'block') {
    const kinds = Object.keys(x.pii).map((k) => k.slice('request.'.length));
    if (kinds.length)
      refuse(
        new ProxyError(
          400,
          'pii_blocked',
          `The request contains ${kinds.join(', ')}; this tenant's policy blocks it.`,
        ),
      );
  }
  const candidates = resolveCandidates(req, routing, rt.settings, rt.health);
  const first = candidates[0]!;
  const estimate = {
    tokens:
      estimateInputTokens(req) + Math.min(req.maxTokens ?? DEFAULT_OUTPUT_ESTIMATE, first.model.maxTokens),
    usd: Math.max(...candidates.map((cand) => cand.estimatedUsd)),
  };
  let reservation: Reservation;
  try {
    reservation =
      admitNow(rt.limits, principal, rt.settings.limits, estimate) ??
      (await admit(rt.limits, principal, rt.settings.limits, estimate));
  } catch (err) {
    if (err instanceof ProxyError) refuse(err);
    throw err;
  }
  Object.assign(ex.headers, reservation.headers);

  const cacheControl = header(ex, 'cache-control') ?? '';
  const noStore = /\bno-store\b/i.test(cacheControl);
  const noCache = /\bno-cache\b/i.test(cacheControl);
  const key =
    rt.cache.enabled && !noStore
      ? cacheKey(principal.tenantId, codec.surface, first.model.id, req)
      : undefined;
  let leaderDone: (() => void) | undefined;
  if (key && !noCache) {
    let hit = rt.cache.get(key);
    if (!hit) {
      const slot = rt.cache.coalesce(key);
      if ('wait' in slot) {
        await slot.wait;
        hit = rt.cache.get(key);
      } else leaderDone = slot.done;
    }
    if (hit) {
      await settle(rt.limits, reservation, { tokens: 0, usd: 0 });
      return replay(ex, x, hit);
    }
  }
  setHeader(ex, 'x-dash-cache', key ? 'miss' : 'bypass');

  let handedOff = false;
  try {
    const won = await attempts(ex, x, req, candidates);
    if (!won) {
      await settle(rt.limits, reservation, { tokens: 0, usd: 0 });
      throw finalError(x);
    }
    const store = key && won.cand === first ? (a: CachedAnswer) => rt.cache.set(key, a) : undefined;
    setHeader(ex, 'x-dash-provider', won.cand.provider);
    setHeader(ex, 'x-dash-model', won.cand.model.id);
    setHeader(ex, 'x-dash-attempts', String(won.attempt));
    if (won.result.kind === 'json') {
      const r = won.result.response;
      if (piiMode !== 'off') {
        const m = findPii(r.text);
        addCounts(x.pii, m, 'response.');
        r.text = redact(r.text, m);
      }
      const costUsd = costOf(won.cand.model.id, r.usage);
      const latencyMs = ms(started);
      // The bookkeeping runs once the answer is written (setImmediate comes after the write, and
      // before this process reads its next request, so the next admission sees the settlement).
      setImmediate(() => {
        rt.audit.push(
          auditRow(x, {
            ...attemptFields(won.cand, won.attempt, r.usage, costUsd),
            status: 200,
            latencyMs,
            ttftMs: Math.round(won.result.ttftMs),
            ...(rt.settings.auditBodies && {
              responseBody: storedAnswer(r.text, r.toolCalls, r.finish),
            }),
          }),
        );
        settle(rt.limits, reservation, { tokens: totalTokens(r.usage), usd: costUsd }).catch((err: unknown) =>
          console.error('[dash proxy] settling a request failed:', (err as Error).message),
        );
      });
      // Now, not later: requests coalesced behind this one read the cache as soon as it returns.
      store?.({ kind: 'json', response: r, model: won.cand.model.id, provider: won.cand.provider });
      setHeader(ex, 'x-dash-cost-usd', costUsd.toFixed(8));
      return respondJson(ex, 200, codec.encodeResponse(r, won.cand.model.id, { ...r.usage, costUsd }));
    }
    handedOff = true;
    return streamAnswer(
      ex,
      x,
      won.cand,
      won.attempt,
      won.result,
      piiMode !== 'off',
      reservation,
      store,
      leaderDone,
    );
  } finally {
    if (!handedOff) leaderDone?.();
  }
}
