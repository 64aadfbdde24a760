// Answers that are streams or come from the cache. A started stream is never retried: if the
// upstream fails after the first byte, the client gets an error event in its own format and the
// audit row says so. Accounting (audit, settlement, cache fill) runs when the stream ends, however
// it ends, including a client that hangs up.
import type { Context } from 'hono';
import { costOf } from '../providers/models.js';
import type { StreamEvent, Usage } from '../providers/types.js';
import { zeroUsage } from '../providers/types.js';
import { settle, type Reservation } from './admission.js';
import type { CachedAnswer } from './cache.js';
import { StreamRedactor } from './pii.js';
import { attemptFields, auditRow, ms, totalTokens, type RequestContext } from './request-context.js';
import type { Candidate } from './router.js';
import type { UpstreamResult } from './upstream.js';

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
};

/** `abandoned` runs when the client leaves before the first pull, when `frames` never started. */
function sseResponse(c: Context, frames: AsyncGenerator<string>, abandoned?: () => Promise<void>): Response {
  const bytes = new TextEncoder();
  let started = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      started = true;
      for (;;) {
        const next = await frames.next();
        if (next.done) return ctrl.close();
        if (next.value) return ctrl.enqueue(bytes.encode(next.value));
      }
    },
    async cancel() {
      await frames.return(undefined);
      if (!started) await abandoned?.();
    },
  });
  for (const [k, v] of Object.entries(SSE_HEADERS)) c.header(k, v);
  return c.body(body, 200);
}

export function streamAnswer(
  c: Context,
  x: RequestContext,
  cand: Candidate,
  attempt: number,
  result: Extract<UpstreamResult, { kind: 'stream' }>,
  screen: boolean,
  reservation: Reservation,
  store: ((a: CachedAnswer) => void) | undefined,
  leaderDone: (() => void) | undefined,
): Response {
  const encoder = x.codec.streamEncoder(cand.model.id, x.includeUsage);
  const redactor = screen ? new StreamRedactor(x.pii) : undefined;
  const usage: Usage = zeroUsage();
  const recorded: StreamEvent[] = [];
  let failure: string | undefined;
  let completed = false;

  function* emit(e: StreamEvent): Generator<string> {
    if (e.type === 'usage') {
      Object.assign(usage, e.usage);
      return;
    }
    if (e.type === 'text' && redactor) {
      const text = redactor.push(e.text);
      if (text) yield* out({ type: 'text', text });
      return;
    }
    // Held-back text goes out before anything that follows it.
    const rest = redactor?.flush();
    if (rest) yield* out({ type: 'text', text: rest });
    yield* out(e);
  }
  function* out(e: StreamEvent): Generator<string> {
    if (e.type === 'error') failure = e.message;
    recorded.push(e);
    yield encoder.encode(e);
  }

  async function* frames(): AsyncGenerator<string> {
    try {
      for (const e of result.head) yield* emit(e);
      for await (const e of result.rest) yield* emit(e);
      const rest = redactor?.flush();
      if (rest) yield* out({ type: 'text', text: rest });
      if (!failure) {
        completed = true;
        yield encoder.end({ ...usage, costUsd: costOf(cand.model.id, usage) });
      }
    } finally {
      await finish();
    }
  }

  // Accounting, exactly once however the stream ends.
  let finished = false;
  async function finish() {
    if (finished) return;
    finished = true;
    const costUsd = costOf(cand.model.id, usage);
    x.rt.audit.push(
      auditRow(x, {
        ...attemptFields(cand, attempt, usage, costUsd),
        status: completed ? 200 : failure ? 502 : 499,
        errorCode: completed ? null : failure ? 'upstream_stream_failed' : 'client_closed',
        latencyMs: ms(x.started),
        ttftMs: Math.round(result.ttftMs),
      }),
    );
    if (completed)
      store?.({
        kind: 'stream',
        events: recorded,
        usage: { ...usage },
        model: cand.model.id,
        provider: cand.provider,
      });
    leaderDone?.();
    if (!completed && !failure) result.cancel();
    await settle(x.rt.limits, reservation, { tokens: totalTokens(usage), usd: costUsd }).catch(
      (err: unknown) => console.error('[dash proxy] settling a stream failed:', (err as Error).message),
    );
  }
  return sseResponse(c, frames(), finish);
}

/** Serves a cached answer: no upstream call, no cost; the audit row marks the hit. */
export function replay(c: Context, x: RequestContext, hit: CachedAnswer): Response {
  const usage = hit.kind === 'json' ? hit.response.usage : hit.usage;
  x.rt.audit.push(
    auditRow(x, {
      attempt: 0,
      provider: hit.provider,
      resolvedModel: hit.model,
      inputTokens: usage.input,
      outputTokens: usage.output,
      cacheReadTokens: usage.cacheRead,
      cacheWriteTokens: usage.cacheWrite,
      costUsd: 0,
      status: 200,
      cacheHit: true,
      latencyMs: ms(x.started),
    }),
  );
  c.header('x-dash-cache', 'hit');
  c.header('x-dash-provider', hit.provider);
  c.header('x-dash-model', hit.model);
  c.header('x-dash-cost-usd', (0).toFixed(8));
  const costed = { ...usage, costUsd: 0 };
  if (hit.kind === 'json') return c.json(x.codec.encodeResponse(hit.response, hit.model, costed));
  const encoder = x.codec.streamEncoder(hit.model, x.includeUsage);
  async function* frames(): AsyncGenerator<string> {
    for (const e of hit.kind === 'stream' ? hit.events : []) yield encoder.encode(e);
    yield encoder.end(costed);
  }
  return sseResponse(c, frames());
}
