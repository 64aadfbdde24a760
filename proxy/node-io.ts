// One proxied HTTP exchange, read and answered straight through Node's IncomingMessage and
// ServerResponse when the server runs on Node: touching `c.req.raw` there builds a full fetch
// Request per call, and answering with a fetch Response makes @hono/node-server copy it back into
// Node's objects (both measurable shares of the proxy's CPU). The chat routes are also served
// without Hono at all (api/node-listener.ts); on other runtimes, and in `app.request` tests, the
// fetch API behind a Hono context is the fallback.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { ProxyError } from './errors.js';

export interface Exchange {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
  /** The fetch fallback, when there are no Node objects. */
  c?: Context;
  /** Response headers set so far (mutable), handed over once with the answer. */
  headers: Record<string, string>;
  /** The fetch fallback's answer. */
  response?: Response;
}

export const nodeExchange = (incoming: IncomingMessage, outgoing: ServerResponse): Exchange => ({
  incoming,
  outgoing,
  headers: {},
});

interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

/** The exchange behind a Hono context: its Node objects when @hono/node-server passed them. */
export function exchangeOf(c: Context): Exchange {
  const env = c.env as NodeBindings | undefined;
  return env?.incoming && env.outgoing ? nodeExchange(env.incoming, env.outgoing) : { c, headers: {} };
}

/** What a Hono handler returns once the exchange was answered. */
export function answered(ex: Exchange): Response {
  if (ex.outgoing)
    // @hono/node-server writes nothing for a response marked as already sent.
    return new Response(null, { status: ex.outgoing.statusCode, headers: { 'x-hono-already-sent': '1' } });
  return ex.response ?? new Response(null, { status: 500 });
}

export function header(ex: Exchange, name: string): string | undefined {
  if (!ex.incoming) return ex.c!.req.header(name);
  const v = ex.incoming.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

const tooLarge = (max: number) =>
  new ProxyError(413, 'request_too_large', `The request body is larger than ${max} bytes.`);

/** The body as text, refused with 413 as soon as it passes `max` bytes. */
export async function readBody(ex: Exchange, max: number): Promise<string> {
  const declared = Number(header(ex, 'content-length'));
  if (Number.isFinite(declared) && declared > max) throw tooLarge(max);
  const incoming = ex.incoming;
  if (!incoming) {
    const text = await ex.c!.req.text();
    if (Buffer.byteLength(text) > max) throw tooLarge(max);
    return text;
  }
  // Plain events: an async iterator per request body costs more than the body is usually long.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) return void chunks.push(chunk);
      done = true;
      incoming.off('data', onData);
      incoming.resume(); // drain the rest; the 413 goes out meanwhile
      reject(tooLarge(max));
    };
    incoming.on('data', onData);
    incoming.once('end', () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      reject(err);
    };
    incoming.once('error', fail);
    // 'close' also follows every complete body: the Error (a stack capture, ~4% of the proxy's CPU
    // in a profile) is only made when the body really was cut short.
    incoming.once('close', () => done || fail(new Error('the client closed the connection mid-body')));
  });
}

/** Tells when the client went away, so upstream calls for nobody stop. One listener at a time. */
export interface ClientGone {
  readonly gone: boolean;
  /** Calls `fn` once if the client goes away; returns a function that stops listening. */
  listen(fn: (reason: Error) => void): () => void;
}

/** An EventTarget-free stand-in for AbortSignal: those cost measurable CPU per request. */
export function clientGone(ex: Exchange): ClientGone {
  const outgoing = ex.outgoing;
  let gone = false;
  let listener: ((reason: Error) => void) | undefined;
  const fire = (reason: Error) => {
    gone = true;
    const fn = listener;
    listener = undefined;
    fn?.(reason);
  };
  if (outgoing)
    outgoing.once('close', () => {
      if (!outgoing.writableFinished) fire(new Error('client closed the connection'));
    });
  else {
    const signal = ex.c!.req.raw.signal;
    if (signal.aborted) gone = true;
    else
      signal.addEventListener('abort', () => fire(new Error('client closed the connection')), { once: true });
  }
  return {
    get gone() {
      return gone;
    },
    listen(fn) {
      listener = fn;
      return () => {
        if (listener === fn) listener = undefined;
      };
    },
  };
}

// ---- responses ----
// Response headers are kept in a plain object per exchange and handed over once: Hono's
// `c.header` validates each one into a fetch `Headers`, which @hono/node-server then iterates
// (sorted) back into an object; on the hot path that was a measurable share of the CPU.

export function setHeader(ex: Exchange, name: string, value: string): void {
  ex.headers[name] = value;
}

/** A complete answer with the headers set so far; on Node, head and body go out in one write. */
export function respond(ex: Exchange, status: number, body: string, contentType: string): void {
  const headers = ex.headers;
  headers['content-type'] = contentType;
  const outgoing = ex.outgoing;
  if (!outgoing) {
    ex.response = new Response(body, { status, headers });
    return;
  }
  headers['content-length'] = String(Buffer.byteLength(body));
  outgoing.writeHead(status, headers);
  outgoing.end(body);
}

export const respondJson = (ex: Exchange, status: number, value: unknown) =>
  respond(ex, status, JSON.stringify(value), 'application/json');

/**
 * Streams text frames. On Node they are written straight to the socket: the headers go out with
 * the first frame (one write, not two), each frame is one write, and writes wait for `drain`.
 * `clientGone` runs at once when the client leaves before the last frame was written (the
 * generator is then closed as soon as it is not waiting any more).
 */
export function respondStream(
  ex: Exchange,
  headers: Record<string, string>,
  frames: AsyncGenerator<string>,
  clientGone?: () => void,
): void {
  const all = { ...ex.headers, ...headers };
  const outgoing = ex.outgoing;
  if (!outgoing) {
    ex.response = fetchStream(all, frames, clientGone);
    return;
  }
  let closed = false;
  outgoing.once('close', () => {
    closed = true;
    if (outgoing.writableFinished) return;
    clientGone?.();
    void frames.return(undefined);
  });
  outgoing.writeHead(200, all);
  void (async () => {
    try {
      for (;;) {
        if (closed) return;
        const next = await frames.next();
        if (closed) return;
        if (next.done) {
          outgoing.end();
          return;
        }
        if (next.value && !outgoing.write(next.value))
          await new Promise<void>((resolve) => {
            const go = () => {
              outgoing.off('drain', go);
              outgoing.off('close', go);
              resolve();
            };
            outgoing.on('drain', go);
            outgoing.on('close', go);
          });
      }
    } catch (err) {
      console.error('[dash proxy] stream failed:', (err as Error).message);
      outgoing.destroy(err as Error);
    }
  })();
}

function fetchStream(
  headers: Record<string, string>,
  frames: AsyncGenerator<string>,
  clientGone?: () => void,
): Response {
  const bytes = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      for (;;) {
        const next = await frames.next();
        if (next.done) return ctrl.close();
        if (next.value) return ctrl.enqueue(bytes.encode(next.value));
      }
    },
    async cancel() {
      clientGone?.();
      await frames.return(undefined);
    },
  });
  return new Response(body, { status: 200, headers });
}
