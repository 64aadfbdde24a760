// Answers that are streams or come from the cache. A started stream is never retried: if the
// upstream fails after the first byte, the client gets an error event in its own format and the
// audit row says so. Accounting (audit, settlement, cache fill) runs when the stream ends, however
// it ends, including a client that hangs up.
import { costOf } from '../providers/models.js';
import type { StreamEvent, Usage } from '../providers/types.js';
import { zeroUsage } from '../providers/types.js';
import { settle, type Reservation } from './admission.js';
import type { CachedAnswer } from './cache.js';
import { StreamRedactor } from './pii.js';
import {
  attemptFields,
  auditRow,
  ms,
  storedAnswer,
  totalTokens,
  type RequestContext,
} from './request-context.js';
import type { Candidate } from './router.js';
import type { UpstreamResult } from './upstream.js';
import { respondJson, streamFrames, type Exchange } from './node-io.js';

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
};

export function streamAnswer(
  ex: Exchange,
  x: RequestContext,
  cand: Candidate,
  attempt: number,
  result: Extract<UpstreamResult, { kind: 'stream' }>,
  screen: boolean,
  reservation: Reservation,
  store: ((a: CachedAnswer) => void) | undefined,
  leaderDone: (() => void) | undefined,
): void {
  const encoder = x.codec.streamEncoder(cand.model.id, x.includeUsage);
  const redactor = screen ? new StreamRedactor(x.pii) : undefined;
  const usage: Usage = zeroUsage();
  const recorded: StreamEvent[] = [];
  let failure: string | undefined;
  let completed = false;
  let clientClosed = false;

  // The frames of one batch of events (what one upstream read brought) go out as one write.
  let text = '';
  function emit(e: StreamEvent) {
    if (e.type === 'usage') {
      Object.assign(usage, e.usage);
      return;
    }
    if (e.type === 'text' && redactor) {
      const t = redactor.push(e.text);
      if (t) out({ type: 'text', text: t });
      return;
    }
    // Held-back text goes out before anything that follows it.
    const rest = redactor?.flush();
    if (rest) out({ type: 'text', text: rest });
    out(e);
  }
  function out(e: StreamEvent) {
    if (e.type === 'error') failure = e.message;
    recorded.push(e);
    text += encoder.encode(e);
  }
  function take(): string {
    const t = text;
    text = '';
    return t;
  }

  /** The end of the answer: held-back text, and the final usage frame when nothing failed. */
  function last(): string {
    const rest = redactor?.flush();
    if (rest) out({ type: 'text', text: rest });
    if (!failure) {
      completed = true;
      text += encoder.end({ ...usage, costUsd: costOf(cand.model.id, usage) });
    }
    return take();
  }

  // Accounting, exactly once however the stream ends; a client that hangs up is accounted at once
  // (what the upstream does after that, an error for the aborted call included, is its echo).
  let finished = false;
  async function finish() {
    if (finished) return;
    finished = true;
    if (clientClosed) failure = undefined;
    const costUsd = costOf(cand.model.id, usage);
    x.rt.audit.push(
      auditRow(x, {
        ...attemptFields(cand, attempt, usage, costUsd),
        status: completed ? 200 : failure ? 502 : 499,
        errorCode: completed ? null : failure ? 'upstream_stream_failed' : 'client_closed',
        latencyMs: ms(x.started),
        ttftMs: Math.round(result.ttftMs),
        ...(x.rt.settings.auditBodies && { responseBody: streamedAnswer(recorded) }),
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

  const writer = streamFrames(ex, SSE_HEADERS, {
    onClientGone() {
      if (completed) return;
      clientClosed = true;
      void finish();
    },
    onDrain: () => result.resume(),
  });
  // One write per upstream read; a client that is behind holds the upstream until it drains.
  const send = (events: StreamEvent[]) => {
    for (const e of events) emit(e);
    if (!writer.write(take())) result.pause();
  };
  send(result.head);
  result.attach({
    batch(events) {
      if (!writer.closed) send(events);
    },
    end() {
      if (writer.closed) return void finish();
      const frames = last();
      void finish();
      writer.end(frames);
    },
  });
}

/** Serves a cached answer: no upstream call, no cost; the audit row marks the hit. */
export function replay(ex: Exchange, x: RequestContext, hit: CachedAnswer): void {
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
  Object.assign(ex.headers, {
    'x-dash-cache': 'hit',
    'x-dash-provider': hit.provider,
    'x-dash-model': hit.model,
    'x-dash-cost-usd': (0).toFixed(8),
  });
  const costed = { ...usage, costUsd: 0 };
  if (hit.kind === 'json')
    return respondJson(ex, 200, x.codec.encodeResponse(hit.response, hit.model, costed));
  const encoder = x.codec.streamEncoder(hit.model, x.includeUsage);
  let text = '';
  for (const e of hit.kind === 'stream' ? hit.events : []) text += encoder.encode(e);
  streamFrames(ex, SSE_HEADERS).end(text + encoder.end(costed));
}

/** What a stream said, as the audit stores it (`storedAnswer`). */
function streamedAnswer(events: StreamEvent[]): string {
  let text = '';
  const tools: { id: string; name: string; arguments: string }[] = [];
  let finish: string | undefined;
  for (const e of events) {
    if (e.type === 'text') text += e.text;
    else if (e.type === 'tool_start') tools[e.index] = { id: e.id, name: e.name, arguments: '' };
    else if (e.type === 'tool_args' && tools[e.index]) tools[e.index]!.arguments += e.delta;
    else if (e.type === 'finish') finish = e.reason;
    else if (e.type === 'error') finish = `error: ${e.message}`;
  }
  return storedAnswer(text, tools.filter(Boolean), finish ?? null);
}
