// Request I/O straight from Node's IncomingMessage when the app runs on @hono/node-server. Touching
// `c.req.raw` there builds a full fetch Request per call (a measurable share of the proxy's CPU),
// so headers, body and client disconnects are read from the Node objects, with the fetch API as
// the fallback on other runtimes (and in `app.request` tests).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { ProxyError } from './errors.js';

interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

const node = (c: Context): NodeBindings => (c.env as NodeBindings | undefined) ?? {};

export function header(c: Context, name: string): string | undefined {
  const incoming = node(c).incoming;
  if (!incoming) return c.req.header(name);
  const v = incoming.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

const tooLarge = (max: number) =>
  new ProxyError(413, 'request_too_large', `The request body is larger than ${max} bytes.`);

/** The body as text, refused with 413 as soon as it passes `max` bytes. */
export async function readBody(c: Context, max: number): Promise<string> {
  const declared = Number(header(c, 'content-length'));
  if (Number.isFinite(declared) && declared > max) throw tooLarge(max);
  const incoming = node(c).incoming;
  if (!incoming) {
    const text = await c.req.text();
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
export function clientGone(c: Context): ClientGone {
  const outgoing = node(c).outgoing;
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
    const signal = c.req.raw.signal;
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
// Response headers are kept in a plain object per request and handed over once: Hono's
// `c.header` validates each one into a fetch `Headers`, which @hono/node-server then iterates
// (sorted) back into an object; on the hot path that was a measurable share of the CPU.

const headersOf = new WeakMap<Context, Record<string, string>>();

/** The response headers set so far for this request (mutable). */
export function responseHeaders(c: Context): Record<string, string> {
  let h = headersOf.get(c);
  if (!h) headersOf.set(c, (h = {}));
  return h;
}

export function setHeader(c: Context, name: string, value: string): void {
  responseHeaders(c)[name] = value;
}

/** A complete answer with the headers set so far; on Node it is written in one go. */
export function respond(c: Context, status: number, body: string, contentType: string): Response {
  const headers = responseHeaders(c);
  headers['content-type'] = contentType;
  return new Response(body, { status, headers });
}

export const respondJson = (c: Context, status: number, value: unknown) =>
  respond(c, status, JSON.stringify(value), 'application/json');

/**
 * Streams text frames. On Node they are written straight to the socket: the headers go out with
 * the first frame (one write, not two), each frame is one write, and writes wait for `drain`.
 * `clientGone` runs at once when the client leaves before the last frame was written (the
 * generator is then closed as soon as it is not waiting any more).
 */
export function respondStream(
  c: Context,
  headers: Record<string, string>,
  frames: AsyncGenerator<string>,
  clientGone?: () => void,
): Response {
  const all = { ...responseHeaders(c), ...headers };
  const outgoing = node(c).outgoing;
  if (!outgoing) return fetchStream(all, frames, clientGone);
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
  // @hono/node-server writes nothing for a response marked as already sent.
  return new Response(null, { status: 200, headers: { 'x-hono-already-sent': '1' } });
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
