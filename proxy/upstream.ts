// One call to one provider. SDK-free (a small keep-alive HTTP/1.1 client, http1.ts, measurably
// cheaper than fetch and than node:http on the hot path), so there are no hidden retries: the
// attempt loop is the only retry loop. A stream counts as started only when its first content event
// arrives; until then any failure (status, timeout, error event, early end) can fall back.
import { parseSseBatches } from '../providers/sse.js';
import type {
  ChatRequest,
  ChatResponse,
  ProviderAdapter,
  ProviderEndpoint,
  StreamEvent,
} from '../providers/types.js';
import { post, targetOf, type Http1Handle } from './http1.js';
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
      /** The following events, one batch per upstream read (one write to the client each). */
      rest: AsyncGenerator<StreamEvent[]>;
      ttftMs: number;
      /** Drops the upstream response; for a stream whose reader went away before reading it. */
      cancel(): void;
    };

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
    const batches = streamBatches(adapter, res);
    const head: StreamEvent[] = [];
    let content = false;
    let finished = false;
    let stopped = false;
    while (!content) {
      const next = await batches.next();
      if (next.done)
        throw new UpstreamFailure('server_error', 502, 'upstream stream ended before any content', undefined);
      for (const e of next.value) {
        if (e.type === 'error') {
          if (!content) throw new UpstreamFailure('server_error', 502, e.message, undefined);
          head.push(e);
          stopped = true;
          break;
        }
        head.push(e);
        if (e.type === 'finish') finished = true;
        if (isContent(e)) content = true;
      }
    }
    const ttftMs = performance.now() - started;
    clearTimeout(timer);
    const cancel = () => {
      release();
      abort(new Error('client went away'));
    };
    return {
      kind: 'stream',
      head,
      rest: afterHead(batches, release, finished, stopped),
      ttftMs,
      cancel,
    };
  } catch (err) {
    return fail(err);
  }
}

/** Decoded events, one batch per network read of the upstream body. */
async function* streamBatches(
  adapter: ProviderAdapter,
  body: AsyncIterable<Uint8Array>,
): AsyncGenerator<StreamEvent[]> {
  const decoder = adapter.streamDecoder();
  for await (const messages of parseSseBatches(body)) {
    const out: StreamEvent[] = [];
    for (const m of messages) for (const e of decoder.decode(m.event, m.data)) out.push(e);
    if (out.length) yield out;
  }
}

/** The rest of a started stream; a failure now becomes an error event, never a retry. */
async function* afterHead(
  batches: AsyncGenerator<StreamEvent[]>,
  release: () => void,
  finishedInHead: boolean,
  stopped: boolean,
): AsyncGenerator<StreamEvent[]> {
  let finished = finishedInHead;
  try {
    if (stopped) return;
    for (;;) {
      const next = await batches.next();
      if (next.done) break;
      const batch = next.value;
      const failedAt = batch.findIndex((e) => e.type === 'error');
      if (failedAt >= 0) {
        yield batch.slice(0, failedAt + 1);
        return;
      }
      if (!finished && batch.some((e) => e.type === 'finish')) finished = true;
      yield batch;
    }
    if (!finished) yield [{ type: 'error', message: 'upstream stream ended before its final event' }];
  } catch (err) {
    yield [{ type: 'error', message: `upstream stream failed: ${(err as Error).message}` }];
  } finally {
    release();
    await batches.return(undefined).catch(() => undefined);
  }
}
