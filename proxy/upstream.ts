// One call to one provider. SDK-free (a small keep-alive HTTP/1.1 client, http1.ts, measurably
// cheaper than fetch and than node:http on the hot path), so there are no hidden retries: the
// attempt loop is the only retry loop. A stream counts as started only when its first content event
// arrives; until then any failure (status, timeout, error event, early end) can fall back.
import { SseParser, type SseMessage } from '../providers/sse.js';
import type {
  ChatRequest,
  ChatResponse,
  ProviderAdapter,
  ProviderEndpoint,
  StreamEvent,
} from '../providers/types.js';
import { post, targetOf, type Http1Handle, type Http1Response } from './http1.js';
import type { ClientGone } from './node-io.js';

export type FailureClass = 'rate_limited' | 'server_error' | 'timeout' | 'network' | 'auth' | 'client_error';

export class UpstreamFailure extends Error {
  constructor(
    readonly cls: FailureClass,
    readonly status: number,
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
  }

  /** Worth trying another provider: every class except a request every provider would reject. */
  get fallsBack() {
    return this.cls !== 'client_error';
  }

  get code() {
    return `upstream_${this.cls}`;
  }
}

export type UpstreamResult =
  | { kind: 'json'; response: ChatResponse; ttftMs: number }
  | {
      kind: 'stream';
      /** Events up to the first content event, and the rest of the upstream read that brought it. */
      head: StreamEvent[];
      /** Takes the following events, one batch per upstream read (one write to the client each). */
      attach(sink: StreamSink): void;
      /** Stop and go on reading the upstream: backpressure from a slow client. */
      pause(): void;
      resume(): void;
      ttftMs: number;
      /** Drops the upstream response; for a stream whose reader went away. */
      cancel(): void;
    };

/** The reader of a started stream; a failure arrives as an error event, then `end`. */
export interface StreamSink {
  batch(events: StreamEvent[]): void;
  end(): void;
}

function retryAfterMs(h: Record<string, string>): number | undefined {
  const v = h['retry-after-ms'];
  if (typeof v === 'string' && Number.isFinite(Number(v))) return Number(v);
  const s = h['retry-after'];
  if (!s) return undefined;
  if (Number.isFinite(Number(s))) return Number(s) * 1000;
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Google sends no Retry-After header: the delay is a RetryInfo in the error body ("30s"). */
function retryInfoMs(text: string): number | undefined {
  if (!text.includes('retryDelay')) return undefined;
  try {
    const j = JSON.parse(text) as { error?: { details?: { retryDelay?: unknown }[] } };
    for (const d of j.error?.details ?? []) {
      const m = typeof d?.retryDelay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(d.retryDelay) : null;
      if (m) return Number(m[1]) * 1000;
    }
  } catch {
    /* not JSON */
  }
  return undefined;
}

function classify(status: number): FailureClass {
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth';
  if (status === 408) return 'timeout';
  // 404/409/410: the model is unavailable at this provider, another may have it.
  if (status >= 500 || status === 404 || status === 409 || status === 410) return 'server_error';
  return 'client_error';
}

/** The upstream's message with the provider key cut out, in case a provider echoes it. */
function upstreamMessage(text: string, key: string | undefined): string {
  let msg = text.slice(0, 500);
  try {
    const j = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    msg = (typeof j.error === 'string' ? j.error : j.error?.message) ?? j.message ?? msg;
  } catch {
    /* not JSON: keep the text */
  }
  return key ? msg.split(key).join('[redacted]') : msg;
}

const isContent = (e: StreamEvent) => e.type === 'text' || e.type === 'tool_start' || e.type === 'finish';

export async function callUpstream(
  adapter: ProviderAdapter,
  endpoint: ProviderEndpoint,
  req: ChatRequest,
  model: string,
  opts: { ttftTimeoutMs: number; client: ClientGone },
): Promise<UpstreamResult> {
  const started = performance.now();
  const call = adapter.buildRequest(req, model, endpoint);
  const handle: Http1Handle = {};
  let aborted: Error | undefined;
  const abort = (reason: Error) => {
    aborted ??= reason;
    handle.abort?.(reason);
  };
  const stopListening = opts.client.listen(abort);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort(new Error('time to first token exceeded'));
  }, opts.ttftTimeoutMs);
  const release = () => {
    clearTimeout(timer);
    stopListening();
  };
  const fail = (err: unknown): never => {
    release();
    if (err instanceof UpstreamFailure) throw err;
    if (timedOut)
      throw new UpstreamFailure('timeout', 504, `no first token within ${opts.ttftTimeoutMs} ms`, undefined);
    throw new UpstreamFailure('network', 502, `upstream unreachable: ${(err as Error).message}`, undefined);
  };
  try {
    if (opts.client.gone) throw new Error('client closed the connection');
    const res = await post(targetOf(call.url), call.headers, call.body, handle);
    if (aborted) {
      res.destroy(aborted);
      throw aborted;
    }
    const status = res.statusCode ?? 502;
    if (status < 200 || status >= 300) {
      const text = await res.text();
      throw new UpstreamFailure(
        classify(status),
        status,
        upstreamMessage(text, endpoint.apiKey),
        retryAfterMs(res.headers) ?? retryInfoMs(text),
      );
    }
    if (!req.stream) {
      const response = adapter.decodeResponse(JSON.parse(await res.text()));
      release();
      return { kind: 'json', response, ttftMs: performance.now() - started };
    }
    const stream = await openStream(adapter, res, release);
    clearTimeout(timer);
    return { ...stream, ttftMs: performance.now() - started };
  } catch (err) {
    return fail(err);
  }
}

/**
 * Reads an upstream stream in the socket's own callbacks, decoding each read into one batch of
 * events: no async hop per chunk between the upstream socket and the client's. Resolves once the
 * first content event arrived (the head); rejects, so the attempt loop may fall back, when the
 * stream fails, errs or ends before it. After the head a failure becomes an error event, never a
 * retry, and the events go to the sink given to `attach`.
 */
function openStream(
  adapter: ProviderAdapter,
  res: Http1Response,
  release: () => void,
): Promise<Omit<Extract<UpstreamResult, { kind: 'stream' }>, 'ttftMs'>> {
  const decoder = adapter.streamDecoder();
  const parser = new SseParser();
  const head: StreamEvent[] = [];
  let started = false;
  let finished = false;
  /** The stream is over for its reader: an error event, the end, or a cancel. */
  let over = false;
  let sink: StreamSink | undefined;
  /** Events after the head that came before `attach`, and whether the end did. */
  const pending: StreamEvent[][] = [];
  let pendingEnd = false;

  return new Promise((resolve, reject) => {
    const close = () => {
      over = true;
      release();
    };
    const deliver = (batch: StreamEvent[]) => {
      if (sink) sink.batch(batch);
      else pending.push(batch);
    };
    const endDelivery = () => {
      if (sink) sink.end();
      else pendingEnd = true;
    };
    const events = (messages: SseMessage[]) => {
      const out: StreamEvent[] = [];
      for (const m of messages) for (const e of decoder.decode(m.event, m.data)) out.push(e);
      return out;
    };
    const onEvents = (batch: StreamEvent[]) => {
      if (over || !batch.length) return;
      if (!started) {
        for (let i = 0; i < batch.length; i++) {
          const e = batch[i]!;
          if (e.type === 'error') {
            if (!started) {
              over = true;
              res.destroy(new Error('upstream stream failed'));
              return reject(new UpstreamFailure('server_error', 502, e.message, undefined));
            }
            // Content and then an error in the same read: the head ends with the error.
            head.push(e);
            close();
            res.destroy(new Error('upstream stream failed'));
            pendingEnd = true;
            return resolve(streamOf(head));
          }
          head.push(e);
          if (e.type === 'finish') finished = true;
          if (isContent(e)) started = true;
        }
        if (started) resolve(streamOf(head));
        return;
      }
      const failedAt = batch.findIndex((e) => e.type === 'error');
      if (failedAt >= 0) {
        close();
        res.destroy(new Error('upstream stream failed'));
        deliver(batch.slice(0, failedAt + 1));
        return endDelivery();
      }
      if (!finished && batch.some((e) => e.type === 'finish')) finished = true;
      deliver(batch);
    };
    const streamOf = (h: StreamEvent[]) => ({
      kind: 'stream' as const,
      head: h,
      attach(s: StreamSink) {
        sink = s;
        for (const b of pending.splice(0)) s.batch(b);
        if (pendingEnd) s.end();
      },
      pause: () => res.pause(),
      resume: () => res.resume(),
      cancel() {
        if (over) return;
        close();
        res.destroy(new Error('client went away'));
      },
    });
    const fail = (err: Error) => {
      if (over) return;
      if (!started) {
        over = true;
        res.destroy(err);
        return reject(err);
      }
      close();
      res.destroy(err);
      try {
        deliver([{ type: 'error', message: `upstream stream failed: ${err.message}` }]);
        endDelivery();
      } catch (e) {
        console.error('[dash proxy] ending a failed stream failed:', (e as Error).message);
      }
    };
    // This runs in the socket's callbacks: anything thrown (a malformed upstream event) is a failure
    // of this stream, before the head a reason to fall back, never an uncaught exception.
    const guarded = (fn: () => void) => {
      try {
        fn();
      } catch (err) {
        fail(err as Error);
      }
    };
    res.listen({
      data: (chunk) => guarded(() => onEvents(events(parser.push(chunk)))),
      end: () =>
        guarded(() => {
          if (over) return;
          onEvents(events(parser.end()));
          if (over) return;
          if (!started)
            return reject(
              new UpstreamFailure('server_error', 502, 'upstream stream ended before any content', undefined),
            );
          close();
          if (!finished)
            deliver([{ type: 'error', message: 'upstream stream ended before its final event' }]);
          endDelivery();
        }),
      fail,
    });
  });
}
