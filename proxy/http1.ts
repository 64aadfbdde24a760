// A small HTTP/1.1 client for upstream calls, on plain keep-alive sockets: one request is one
// socket write (request line, headers and body in one string), responses are parsed here
// (Content-Length, chunked or until close), and sockets go back to a per-origin pool when a
// response ends. It replaces node:http's ClientRequest and Agent on the proxy's hot path, whose
// bookkeeping per request (agent queueing, a deferred flush, an IncomingMessage stream) was a
// measurable share of the proxy's CPU. Only what upstream LLM APIs need: POST, no upgrades, no
// pipelining, identity encoding (no Accept-Encoding is sent), TLS with ALPN http/1.1.
import net from 'node:net';
import tls from 'node:tls';

export interface Http1Target {
  secure: boolean;
  hostname: string;
  port: number;
  path: string;
  /** The Host header. */
  host: string;
  /** Pool key: scheme, host and port. */
  origin: string;
}

/** How long an idle socket is kept; servers commonly close theirs after 5 s. */
const IDLE_MS = 4000;
const MAX_IDLE_PER_ORIGIN = 256;
const MAX_HEAD_BYTES = 64 * 1024;

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})/;
const HEADER_PATTERNS = {
  'transfer-encoding': /\r\ntransfer-encoding:([^\r]*)/i,
  'content-length': /\r\ncontent-length:([^\r]*)/i,
  connection: /\r\nconnection:([^\r]*)/i,
};

type Framing = { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' };

/** Takes a response body as the socket delivers it (`Http1Response.listen`). */
export interface BodySink {
  data(chunk: Buffer): void;
  end(): void;
  fail(err: Error): void;
}

/**
 * An upstream response: status and headers at once, the body as text, as an async iterable, or
 * pushed to a sink chunk by chunk in the socket's own callback.
 */
export class Http1Response implements AsyncIterable<Buffer> {
  statusCode = 0;
  private parsedHeaders: Record<string, string> | undefined;
  private queue: Buffer[] = [];
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private sink: BodySink | undefined;

  /** @param head the status line and header lines, parsed into `headers` only when asked for */
  constructor(
    private readonly conn: Connection,
    private readonly head: string,
  ) {}

  /** Header names in lower case; repeated headers joined with ", ". */
  get headers(): Record<string, string> {
    if (this.parsedHeaders) return this.parsedHeaders;
    const headers: Record<string, string> = {};
    const lines = this.head.split('\r\n');
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const k = line.slice(0, colon).trim().toLowerCase();
      const v = line.slice(colon + 1).trim();
      headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
    }
    return (this.parsedHeaders = headers);
  }

  /** One header's value, without parsing the others. */
  header(name: 'transfer-encoding' | 'content-length' | 'connection'): string | undefined {
    if (this.parsedHeaders) return this.parsedHeaders[name];
    const pattern = HEADER_PATTERNS[name];
    const m = pattern.exec(this.head);
    if (!m) return undefined;
    // Sent more than once: the values joined, as `headers` has them.
    if (pattern.test(this.head.slice(m.index + m[0].length))) return this.headers[name];
    return m[1]!.trim();
  }

  /** @internal */ push(b: Buffer) {
    if (this.ended || this.failure) return;
    if (this.sink) return this.sink.data(b);
    this.queue.push(b);
    this.notify();
  }
  /** @internal */ end() {
    if (this.ended || this.failure) return;
    this.ended = true;
    if (this.sink) return this.sink.end();
    this.notify();
  }
  /** @internal */ fail(err: Error) {
    if (this.ended || this.failure) return;
    this.failure = err;
    if (this.sink) return this.sink.fail(err);
    this.notify();
  }

  /** Hands the body to `sink`: what arrived already at once, the rest as it arrives. */
  listen(sink: BodySink): void {
    this.sink = sink;
    const q = this.queue;
    this.queue = [];
    for (const b of q) sink.data(b);
    if (this.ended) sink.end();
    else if (this.failure) sink.fail(this.failure);
  }

  /** Stops reading the socket (the reader is behind); `resume` reads on. */
  pause() {
    if (!this.ended && !this.failure) this.conn.socket.pause();
  }
  resume() {
    this.conn.socket.resume();
  }
  private notify() {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Drops the response (and its socket). */
  destroy(reason?: Error) {
    this.conn.destroy(reason ?? new Error('response destroyed'));
  }

  async text(): Promise<string> {
    while (!this.ended) {
      if (this.failure) throw this.failure;
      await new Promise<void>((r) => (this.wake = r));
    }
    const q = this.queue;
    return q.length === 1 ? q[0]!.toString('utf8') : Buffer.concat(q).toString('utf8');
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    try {
      for (;;) {
        if (this.queue.length) {
          const q = this.queue;
          this.queue = [];
          yield q.length === 1 ? q[0]! : Buffer.concat(q);
          continue;
        }
        if (this.ended) return;
        if (this.failure) throw this.failure;
        await new Promise<void>((r) => (this.wake = r));
      }
    } finally {
      // A reader that stops early: the rest of this response is not wanted, nor its socket.
      if (!this.ended) this.destroy(new Error('response abandoned'));
    }
  }
}

const idle = new Map<string, Connection[]>();
let sweeper: NodeJS.Timeout | undefined;

function sweep() {
  const now = Date.now();
  for (const [origin, list] of idle) {
    const keep = list.filter((c) => {
      if (c.closed) return false;
      if (now - c.idleSince < IDLE_MS) return true;
      c.destroy(new Error('idle'));
      return false;
    });
    if (keep.length) idle.set(origin, keep);
    else idle.delete(origin);
  }
  if (!idle.size && sweeper) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

class Connection {
  closed = false;
  idleSince = 0;
  /** Requests this socket has carried; a reused socket that fails at once may have gone stale. */
  uses = 0;
  private buf: Buffer | undefined;
  private res: Http1Response | undefined;
  private framing: Framing | undefined;
  private chunkLeft = -1;
  private gotBytes = false;
  private onHead: ((res: Http1Response) => void) | undefined;
  private onFail: ((err: Error, stale: boolean) => void) | undefined;

  constructor(
    readonly origin: string,
    readonly socket: net.Socket,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.data(d));
    socket.on('error', (err) => this.close(err, true));
    socket.on('close', () => this.close(new Error('the upstream closed the connection'), true));
  }

  send(t: Http1Target, headers: Record<string, string>, body: string) {
    return new Promise<Http1Response>((resolve, reject) => {
      this.uses++;
      this.gotBytes = false;
      this.onHead = resolve;
      this.onFail = (err, stale) => reject(Object.assign(err, { stale }));
      let head = `POST ${t.path} HTTP/1.1\r\nhost: ${t.host}\r\nconnection: keep-alive\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
      for (const k in headers) head += `${k}: ${headers[k]}\r\n`;
      this.socket.write(`${head}\r\n${body}`);
    });
  }

  /** Ends the socket on purpose (abort, timeout, a bad answer): never retried as stale. */
  destroy(err: Error) {
    this.close(err, false);
    this.socket.destroy();
  }

  private close(err: Error, byPeer: boolean) {
    if (this.closed) return;
    this.closed = true;
    const fail = this.onFail;
    this.onFail = undefined;
    this.onHead = undefined;
    // The server closed a socket that served before, with no byte of an answer: it went stale
    // while idle (the request was not read), so another socket may carry it.
    fail?.(err, byPeer && this.uses > 1 && !this.gotBytes);
    if (this.res && this.framing?.kind === 'close') this.res.end();
    else this.res?.fail(err);
    this.res = undefined;
  }

  private data(d: Buffer): void {
    this.gotBytes = true;
    if (!this.res && !this.onHead) return this.destroy(new Error('unexpected bytes from the upstream'));
    if (!this.res) {
      this.buf = this.buf ? Buffer.concat([this.buf, d]) : d;
      const at = this.buf.indexOf('\r\n\r\n');
      if (at < 0) {
        if (this.buf.length > MAX_HEAD_BYTES) this.destroy(new Error('upstream response head too large'));
        return;
      }
      const head = this.buf.toString('latin1', 0, at);
      const rest = this.buf.subarray(at + 4);
      this.buf = undefined;
      const status = Number(STATUS_LINE.exec(head)?.[1]);
      if (!status) return this.destroy(new Error('malformed upstream response'));
      if (status >= 100 && status < 200) return rest.length ? this.data(rest) : undefined; // 100 Continue
      const res = new Http1Response(this, head);
      res.statusCode = status;
      // Only the headers that frame the body are read here; the rest when someone asks.
      const te = res.header('transfer-encoding');
      const cl = res.header('content-length');
      this.framing =
        te && /chunked/i.test(te)
          ? { kind: 'chunked' }
          : cl !== undefined
            ? { kind: 'length', left: Number(cl) }
            : status === 204 || status === 304
              ? { kind: 'length', left: 0 }
              : { kind: 'close' };
      if (this.framing.kind === 'length' && !(this.framing.left >= 0))
        return this.destroy(new Error('malformed upstream content-length'));
      this.chunkLeft = -1;
      this.res = res;
      const onHead = this.onHead;
      this.onHead = undefined;
      this.onFail = undefined;
      onHead?.(res);
      if (this.framing.kind === 'length' && this.framing.left === 0) return this.finish(rest);
      if (rest.length) this.body(rest);
      return;
    }
    this.body(d);
  }

  private body(d: Buffer): void {
    const res = this.res!;
    const f = this.framing!;
    if (f.kind === 'close') return res.push(d);
    if (f.kind === 'length') {
      if (d.length < f.left) {
        f.left -= d.length;
        return res.push(d);
      }
      if (f.left) res.push(d.subarray(0, f.left));
      const extra = d.subarray(f.left);
      f.left = 0;
      return this.finish(extra);
    }
    // Chunked: size line, data, CRLF; a zero size ends the body (after optional trailers).
    this.buf = this.buf ? Buffer.concat([this.buf, d]) : d;
    const out: Buffer[] = [];
    let b = this.buf;
    for (;;) {
      if (this.chunkLeft < 0) {
        const nl = b.indexOf('\r\n');
        if (nl < 0) break;
        const size = parseInt(b.toString('latin1', 0, nl), 16);
        if (Number.isNaN(size)) return this.destroy(new Error('malformed chunked upstream response'));
        b = b.subarray(nl + 2);
        if (size === 0) {
          // The last chunk: an empty line, or trailers and then an empty line.
          let end = -1;
          if (b.length >= 2 && b[0] === 13 && b[1] === 10) end = 2;
          else if (b.length >= 2) {
            const t = b.indexOf('\r\n\r\n');
            if (t >= 0) end = t + 4;
          }
          if (out.length) res.push(out.length === 1 ? out[0]! : Buffer.concat(out));
          if (end < 0) {
            this.buf = Buffer.concat([Buffer.from('0\r\n'), b]);
            return;
          }
          return this.finish(b.subarray(end));
        }
        this.chunkLeft = size;
      }
      if (this.chunkLeft > 0) {
        if (!b.length) break;
        const take = Math.min(this.chunkLeft, b.length);
        out.push(b.subarray(0, take));
        this.chunkLeft -= take;
        b = b.subarray(take);
      }
      if (this.chunkLeft === 0) {
        if (b.length < 2) break;
        b = b.subarray(2);
        this.chunkLeft = -1;
      }
    }
    this.buf = b.length ? b : undefined;
    if (out.length) res.push(out.length === 1 ? out[0]! : Buffer.concat(out));
  }

  /** The response is complete: hand the socket back to the pool unless it cannot be reused. */
  private finish(extra: Buffer): void {
    const res = this.res;
    // A reader that destroyed the response while taking its last bytes (an error event in the
    // read that also ended the body) closed this connection: nothing is left to finish.
    if (!res) return;
    const reusable = !extra.length && !/\bclose\b/i.test(res.header('connection') ?? '');
    this.res = undefined;
    this.framing = undefined;
    this.buf = undefined;
    // A reader that paused the socket does not pause the next response on it.
    if (this.socket.isPaused()) this.socket.resume();
    res.end();
    if (!reusable) return this.destroy(new Error('not reusable'));
    this.idleSince = Date.now();
    let list = idle.get(this.origin);
    if (!list) idle.set(this.origin, (list = []));
    if (list.length >= MAX_IDLE_PER_ORIGIN) return this.destroy(new Error('pool full'));
    list.push(this);
    sweeper ??= setInterval(sweep, IDLE_MS / 2).unref();
  }
}

function connect(t: Http1Target): Connection {
  const socket = t.secure
    ? tls.connect({
        host: t.hostname,
        port: t.port,
        ...(!net.isIP(t.hostname) && { servername: t.hostname }),
        ALPNProtocols: ['http/1.1'],
      })
    : net.connect({ host: t.hostname, port: t.port });
  return new Connection(t.origin, socket);
}

function take(t: Http1Target): Connection {
  const list = idle.get(t.origin);
  while (list?.length) {
    const c = list.pop()!;
    if (!c.closed) return c;
  }
  return connect(t);
}

/** Lets the caller abort a request in flight. */
export interface Http1Handle {
  abort?: (reason: Error) => void;
}

/**
 * POSTs `body` and resolves when the response head arrives. A kept-alive socket that turns out to
 * have been closed by the server while idle (no byte of an answer) is replaced once.
 */
export async function post(
  t: Http1Target,
  headers: Record<string, string>,
  body: string,
  handle: Http1Handle,
): Promise<Http1Response> {
  for (let attempt = 0; ; attempt++) {
    const conn = attempt ? connect(t) : take(t);
    handle.abort = (reason) => conn.destroy(reason);
    try {
      return await conn.send(t, headers, body);
    } catch (err) {
      if (attempt || !(err as { stale?: boolean }).stale) throw err;
    }
  }
}

/** Where a URL goes, parsed once per distinct URL (the upstream URLs are a handful). */
const targets = new Map<string, Http1Target>();
export function targetOf(url: string): Http1Target {
  let t = targets.get(url);
  if (!t) {
    const u = new URL(url);
    const secure = u.protocol === 'https:';
    const port = Number(u.port) || (secure ? 443 : 80);
    t = {
      secure,
      hostname: u.hostname.replace(/^\[|\]$/g, ''),
      port,
      path: `${u.pathname}${u.search}`,
      host: u.host,
      origin: `${u.protocol}//${u.host}`,
    };
    if (targets.size > 1000) targets.clear();
    targets.set(url, t);
  }
  return t;
}
