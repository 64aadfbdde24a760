// The WebSocket twin of GET /api/v1/events, at /events on the API's node server: the same query
// (intent_id, session_id, kinds, after; or a Last-Event-ID header), checked before the upgrade so
// a bad filter is a plain 400 JSON answer. Each event is one JSON text message carrying its `id`;
// `{"type":"caught_up","last_id":N}` says the stored events have all been sent. To resume, open
// a new socket with `?after=<the last id received>`. The socket needs a key of scope read like
// the rest of the API: `Authorization: Bearer …` or, for browsers (which cannot set headers on a
// WebSocket), `?access_token=…`; it sees its own tenant's events only.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { DashError } from '../core/errors.js';
import { followEvents, type EventFilter, type EventPosition } from '../core/events.js';
import type { Database } from '../drizzle/client.js';
import { tokenOf } from '../proxy/auth.js';
import { authorize } from './auth.js';
import { closeEventStreams, EventQuery, heartbeatMs, resolveEventStream } from './routes/events.js';

export const EVENTS_SOCKET_PATH = '/events';

export interface EventSocket {
  /** Closes every open socket (code 1001) and ends the process's SSE streams too. */
  close(): Promise<void>;
}

/** Serves the /events WebSocket on `server`; other upgrade requests are refused with a 404. */
export function attachEventSocket(
  server: Server,
  deps: { database: Database; jwtSecret: string | undefined },
): EventSocket {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void upgrade(req, socket, head).catch((err: unknown) => {
      console.error('[dash api] events socket upgrade failed', err);
      refuse(socket, 500, 'internal_error', 'Unexpected server error; see the server log.');
    });
  };
  const upgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== EVENTS_SOCKET_PATH)
      return refuse(socket, 404, 'route_not_found', `No WebSocket at ${url.pathname}; use /events.`);
    const token = url.searchParams.get('access_token') ?? undefined;
    url.searchParams.delete('access_token');
    const auth = await authorize(
      deps.database.db,
      deps.jwtSecret,
      tokenOf({ authorization: req.headers.authorization }) ?? token,
      'read',
    );
    if ('status' in auth) return refuse(socket, auth.status, auth.code, auth.message, auth.details);
    const parsed = EventQuery.safeParse(Object.fromEntries(url.searchParams));
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      const first = issues[0];
      return refuse(
        socket,
        400,
        'validation_failed',
        `Invalid query: ${first?.path ? `${first.path}: ` : ''}${first?.message ?? ''}`,
        { issues },
      );
    }
    let stream;
    try {
      const header = req.headers['last-event-id'];
      stream = await resolveEventStream(
        deps.database,
        auth.tenantId,
        parsed.data,
        Array.isArray(header) ? header[0] : header,
      );
    } catch (err) {
      if (err instanceof DashError) return refuse(socket, err.status, err.code, err.message, err.details);
      throw err;
    }
    wss.handleUpgrade(req, socket, head, (ws) => void serve(ws, stream.filter, stream.from));
  };
  const readers = new Map<WebSocket, AbortController>();
  const serve = async (ws: WebSocket, filter: EventFilter, from: EventPosition) => {
    const stop = new AbortController();
    readers.set(ws, stop);
    ws.on('close', () => stop.abort());
    ws.on('error', () => stop.abort());
    const ping = setInterval(() => ws.ping(), heartbeatMs());
    const events = followEvents(deps.database.db, filter, from, {
      signal: stop.signal,
      onCaughtUp: (lastId) => ws.send(JSON.stringify({ type: 'caught_up', last_id: lastId })),
    });
    try {
      for await (const event of events) {
        await new Promise<void>((resolve, reject) =>
          ws.send(JSON.stringify(event), (err) => (err ? reject(err) : resolve())),
        );
      }
    } catch (err) {
      if (!stop.signal.aborted) {
        console.error('[dash api] event socket failed', err);
        ws.send(
          JSON.stringify({
            type: 'error',
            error: { code: 'stream_failed', message: (err as Error).message },
          }),
        );
        ws.close(1011, 'stream failed');
      }
    } finally {
      clearInterval(ping);
      stop.abort();
      readers.delete(ws);
    }
  };
  server.on('upgrade', onUpgrade);
  return {
    close: async () => {
      server.off('upgrade', onUpgrade);
      closeEventStreams();
      for (const [ws, stop] of readers) {
        stop.abort();
        ws.close(1001, 'server stopping');
      }
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function refuse(socket: Duplex, status: number, code: string, message: string, details?: unknown) {
  const body = JSON.stringify({ error: { code, message, ...(details !== undefined && { details }) } });
  const reason =
    {
      400: 'Bad Request',
      401: 'Unauthorized',
      403: 'Forbidden',
      404: 'Not Found',
      500: 'Internal Server Error',
    }[status] ?? 'Error';
  const challenge = status === 401 ? 'WWW-Authenticate: Bearer realm="dash"\r\n' : '';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${challenge}Connection: close\r\n\r\n${body}`,
  );
}
