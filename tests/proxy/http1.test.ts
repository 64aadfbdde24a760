// The proxy's upstream HTTP/1.1 client against a raw TCP server that writes exactly the bytes
// given, split anywhere: Content-Length, chunked (with trailers), close-delimited bodies, 100
// Continue, socket reuse, a keep-alive socket the server closed while idle, and aborts.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { post, targetOf } from '../../proxy/http1.js';
import { tempDir } from '../helpers/repo.js';

interface RawServer {
  url: string;
  connections: number;
  requests: string[];
  close(): Promise<void>;
}

/** Answers the n-th request (over all connections) with `answers[n]`, written in `split`-byte pieces. */
async function rawServer(
  answers: (string | ((s: net.Socket) => void))[],
  split = 0,
  closeAfterEach = false,
): Promise<RawServer> {
  let n = 0;
  const sockets = new Set<net.Socket>();
  const state = { connections: 0, requests: [] as string[] };
  const server = net.createServer((s) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    let buf = '';
    s.on('data', async (d) => {
      buf += d.toString('latin1');
      const head = buf.indexOf('\r\n\r\n');
      if (head < 0) return;
      const len = Number(/content-length: (\d+)/i.exec(buf.slice(0, head))?.[1] ?? 0);
      if (buf.length < head + 4 + len) return;
      state.requests.push(buf.slice(0, head + 4 + len));
      buf = buf.slice(head + 4 + len);
      const answer = answers[n++]!;
      if (typeof answer === 'function') return answer(s);
      if (!split) s.write(answer);
      else
        for (let i = 0; i < answer.length; i += split) {
          s.write(answer.slice(i, i + split));
          await new Promise((r) => setImmediate(r));
        }
      if (closeAfterEach) s.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    get connections() {
      return state.connections;
    },
    requests: state.requests,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const servers: RawServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
const start = async (...a: Parameters<typeof rawServer>) => {
  const s = await rawServer(...a);
  servers.push(s);
  return s;
};
const json = (body: string, extra = '') =>
  `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
const chunked = (pieces: string[], trailers = '') =>
  `HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n${pieces
    .map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`)
    .join('')}0\r\n${trailers}\r\n`;
const call = (url: string, body = '{"a":1}', handle = {}) =>
  post(targetOf(url), { 'content-type': 'application/json', authorization: 'Bearer k' }, body, handle);

describe('the upstream HTTP/1.1 client', () => {
  it('sends one request with its headers and body, reads a Content-Length answer, and reuses the socket', async () => {
    const s = await start([json('{"x":1}'), json('{"x":2}')]);
    const a = await call(s.url);
    expect(a.statusCode).toBe(200);
    expect(a.headers['content-type']).toBe('application/json');
    expect(await a.text()).toBe('{"x":1}');
    expect(await (await call(s.url, '{"b":"é"}')).text()).toBe('{"x":2}');
    expect(s.connections).toBe(1);
    expect(s.requests[1]).toMatch(/^POST \/v1\/chat\/completions HTTP\/1\.1\r\n/);
    expect(s.requests[1]).toMatch(/\r\nauthorization: Bearer k\r\n/);
    // Ten bytes: the body's length in UTF-8, not in characters.
    expect(s.requests[1]).toMatch(/\r\ncontent-length: 10\r\n/);
    expect(Buffer.from(s.requests[1]!.split('\r\n\r\n')[1]!, 'latin1').toString('utf8')).toBe('{"b":"é"}');
  });

  it('decodes a chunked body written one byte at a time, trailers included, then reuses the socket', async () => {
    const pieces = ['data: {"a":1}\n\n', 'data: {"b":"ü"}\n\n', 'data: [DONE]\n\n'];
    const s = await start([chunked(pieces, 'x-trailer: 1\r\n'), chunked(['ok'])], 1);
    const res = await call(s.url);
    let text = '';
    for await (const b of res) text += b.toString('utf8');
    expect(text).toBe(pieces.join(''));
    expect(await (await call(s.url)).text()).toBe('ok');
    expect(s.connections).toBe(1);
  });

  it('frames a body by a transfer-encoding sent twice, and joins repeated headers', async () => {
    const body = '4\r\nab\r\n\r\n0\r\n\r\n';
    const s = await start([
      `HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nx-seen: 1\r\ntransfer-encoding: chunked\r\nX-Seen: 2\r\n\r\n${body}`,
      json('{}'),
    ]);
    const res = await call(s.url);
    expect(await res.text()).toBe('ab\r\n');
    expect(res.headers).toMatchObject({ 'transfer-encoding': 'identity, chunked', 'x-seen': '1, 2' });
    expect(await (await call(s.url)).text()).toBe('{}');
    expect(s.connections).toBe(1);
  });

  it('reads a close-delimited body to the end and does not reuse that socket', async () => {
    const s = await start(
      ['HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nall of it', json('{}')],
      3,
      true,
    );
    expect(await (await call(s.url)).text()).toBe('all of it');
    expect(await (await call(s.url)).text()).toBe('{}');
    expect(s.connections).toBe(2);
  });

  it('skips a 100 Continue and honours connection: close', async () => {
    const s = await start([
      `HTTP/1.1 100 Continue\r\n\r\n${json('{"c":1}', 'connection: close\r\n')}`,
      json('{}'),
    ]);
    expect(await (await call(s.url)).text()).toBe('{"c":1}');
    expect(await (await call(s.url)).text()).toBe('{}');
    expect(s.connections).toBe(2);
  });

  it('carries a request again on a new socket when the kept-alive one was closed by the server while idle', async () => {
    const s = await start([json('{"n":1}'), (sock) => sock.destroy(), json('{"n":2}')]);
    expect(await (await call(s.url)).text()).toBe('{"n":1}');
    expect(await (await call(s.url)).text()).toBe('{"n":2}');
    expect(s.connections).toBe(2);
  });

  it('fails the body when the server drops the connection mid-answer, and an aborted call is not retried', async () => {
    const s = await start([
      (sock) => sock.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part'),
      json('{}'),
      () => undefined, // never answers
    ]);
    const cut = await call(s.url);
    await expect(cut.text()).rejects.toThrow();
    expect(await (await call(s.url)).text()).toBe('{}');
    const handle: { abort?: (e: Error) => void } = {};
    const pending = call(s.url, '{}', handle);
    setTimeout(() => handle.abort!(new Error('time to first token exceeded')), 50);
    await expect(pending).rejects.toThrow('time to first token exceeded');
    expect(s.requests).toHaveLength(3);
  });

  it('pushes a body to a listener as it arrives, and a paused reader holds the server back until it resumes', async () => {
    const piece = 'x'.repeat(64 * 1024);
    const pieces = 256; // 16 MiB: more than the socket buffers hold
    let server!: net.Socket;
    const s = await start([
      (sock) => {
        server = sock;
        sock.write(`HTTP/1.1 200 OK\r\ncontent-length: ${piece.length * pieces}\r\n\r\n`);
        let i = 0;
        const more = () => {
          while (i < pieces) {
            i++;
            if (!sock.write(piece)) return void sock.once('drain', more);
          }
        };
        more();
      },
      json('{"after":1}'),
    ]);
    const res = await call(s.url);
    let got = 0;
    let ended = false;
    res.listen({
      data: (b) => {
        got += b.length;
        if (got === b.length) res.pause(); // at the first chunk
      },
      end: () => (ended = true),
      fail: (err) => {
        throw err;
      },
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(ended).toBe(false);
    expect(got).toBeLessThan(piece.length * pieces);
    expect(server.writableLength).toBeGreaterThan(0); // the server is blocked on its writes
    res.resume();
    await expect.poll(() => ended, { timeout: 10_000 }).toBe(true);
    expect(got).toBe(piece.length * pieces);
    // The socket goes back to the pool reading: the next answer on it arrives.
    expect(await (await call(s.url)).text()).toBe('{"after":1}');
    expect(s.connections).toBe(1);
  });

  it('puts a socket its reader paused at the end of an answer back in the pool reading', async () => {
    const answer = json('{"n":1}');
    const cut = answer.indexOf('\r\n\r\n') + 4;
    const s = await start([
      // The head first, then the whole body in one write: read while the reader listens.
      (sock) => {
        sock.write(answer.slice(0, cut));
        setTimeout(() => sock.write(answer.slice(cut)), 50);
      },
      json('{"n":2}'),
    ]);
    const res = await call(s.url);
    const body = await new Promise<string>((resolve, reject) => {
      let text = '';
      res.listen({
        data: (b) => {
          text += b.toString();
          res.pause(); // the end of the body came in the same read
        },
        end: () => resolve(text),
        fail: reject,
      });
    });
    expect(body).toBe('{"n":1}');
    expect(await (await call(s.url)).text()).toBe('{"n":2}');
    expect(s.connections).toBe(1);
  });

  it('lets a listener destroy the response while it takes the read that ends the body', async () => {
    const answer = chunked(['data: 1\n\n', 'data: 2\n\n']);
    const cut = answer.indexOf('data: 2') - 3; // the second chunk's size line, then the end
    const s = await start([
      (sock) => {
        sock.write(answer.slice(0, cut));
        setTimeout(() => sock.write(answer.slice(cut)), 50);
      },
      json('{"next":1}'),
    ]);
    const res = await call(s.url);
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      res.listen({
        data: (b) => {
          seen.push(b.toString());
          if (seen.length === 2) {
            res.destroy(new Error('the reader gave up'));
            resolve();
          }
        },
        end: () => seen.push('end'),
        fail: () => seen.push('fail'),
      });
    });
    await new Promise((r) => setTimeout(r, 20));
    // The destroy reaches the listener as a failure, never as an end; no uncaught exception from
    // the connection; the next call goes out on a new socket.
    expect(seen).toEqual(['data: 1\n\n', 'data: 2\n\n', 'fail']);
    expect(await (await call(s.url)).text()).toBe('{"next":1}');
    expect(s.connections).toBe(2);
  });

  it('refuses a malformed answer', async () => {
    const s = await start(['SMTP ready\r\n\r\n']);
    await expect(call(s.url)).rejects.toThrow(/malformed/);
  });

  it('speaks HTTPS (TLS with ALPN http/1.1), as real providers need', async () => {
    const dir = tempDir('dash-http1-tls-');
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
      ],
      { stdio: 'ignore' },
    );
    const server = https.createServer(
      { key: fs.readFileSync(key), cert: fs.readFileSync(cert) },
      (req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('data: one\n\n');
          res.end('data: two\n\n');
        });
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as net.AddressInfo;
    // A self-signed certificate: trusted for this test only.
    const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      for (let i = 0; i < 2; i++) {
        const res = await call(`https://localhost:${port}/v1/messages`);
        expect(res.statusCode).toBe(200);
        expect(await res.text()).toBe('data: one\n\ndata: two\n\n');
      }
    } finally {
      if (before === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = before;
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
