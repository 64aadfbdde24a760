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
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming) {
    size += (chunk as Buffer).length;
    if (size > max) throw tooLarge(max);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Aborts when the client goes away, so upstream calls for nobody stop. */
export function clientSignal(c: Context): AbortSignal {
  const outgoing = node(c).outgoing;
  if (!outgoing) return c.req.raw.signal;
  const ctl = new AbortController();
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) ctl.abort(new Error('client closed the connection'));
  });
  return ctl.signal;
}
