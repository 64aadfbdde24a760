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

/** Where the frames of a streamed answer go. */
export interface FrameWriter {
  /** Whether the client is gone (nothing is written any more). */
  readonly closed: boolean;
  /** Writes frames; false when the client is behind (`onDrain` tells when to write on). */
  write(text: string): boolean;
  /** Writes the last frames and ends the answer. */
  end(text: string): void;
}

/** What a streamed answer tells its writer: the client left early, or caught up after a full write. */
export interface StreamHooks {
  onClientGone?: () => void;
  onDrain?: () => void;
}

/**
 * Opens a streamed answer. On Node the frames go straight to the socket: the headers with the
 * first frame (one write, not two), each frame one write. `onClientGone` runs once if the client
 * leaves before the end was written.
 */
export function streamFrames(
  ex: Exchange,
  headers: Record<string, string>,
  hooks: StreamHooks = {},
): FrameWriter {
  const all = { ...ex.headers, ...headers };
  const outgoing = ex.outgoing;
  if (!outgoing) return fetchStream(ex, all, hooks);
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) hooks.onClientGone?.();
  });
  if (hooks.onDrain) outgoing.on('drain', hooks.onDrain);
  outgoing.writeHead(200, all);
  return {
    // Node marks the response destroyed before any of its 'close' listeners run.
    get closed() {
      return outgoing.destroyed;
    },
    write: (text) => outgoing.destroyed || !text || outgoing.write(text),
    end(text) {
      if (!outgoing.destroyed) outgoing.end(text);
    },
  };
}

function fetchStream(ex: Exchange, headers: Record<string, string>, hooks: StreamHooks): FrameWriter {
  const bytes = new TextEncoder();
  let ctrl!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  let ended = false;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      ctrl = c;
    },
    pull() {
      hooks.onDrain?.();
    },
    cancel() {
      closed = true;
      if (!ended) hooks.onClientGone?.();
    },
  });
  ex.response = new Response(body, { status: 200, headers });
  return {
    get closed() {
      return closed;
    },
    write(text) {
      if (closed || ended) return true;
      if (text) ctrl.enqueue(bytes.encode(text));
      return (ctrl.desiredSize ?? 1) > 0;
    },
    end(text) {
      if (closed || ended) return;
      ended = true;
      if (text) ctrl.enqueue(bytes.encode(text));
      ctrl.close();
    },
  };
}
