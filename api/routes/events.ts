// /api/v1/events: the live event log as Server-Sent Events. Every stored event after the client's
// position (`Last-Event-ID`, or `?after=`), then new ones as they are written; each message's
// `id:` is the event id, so a reconnecting EventSource resumes exactly where it stopped.
// The WebSocket twin at /events (api/events-socket.ts) takes the same query.
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { ValidationError } from '../../core/errors.js';
import {
  eventKinds,
  followEvents,
  positionOf,
  type EventFilter,
  type EventPosition,
} from '../../core/events.js';
import type { Database } from '../../drizzle/client.js';
import * as s from '../../drizzle/schema.js';
import type { ApiDeps } from '../context.js';
import { findOwned } from '../owned.js';
import { validate } from '../validate.js';
import { tenantOf, type AuthEnv } from '../auth.js';

const EVENT_ID = /^\d{1,15}$/;

export const EventQuery = z
  .object({
    intent_id: z
      .string()
      .regex(/^int-[a-z0-9]{10}$/, 'intent ids look like int-abc123defg')
      .optional(),
    session_id: z
      .string()
      .regex(/^[a-z0-9-]{1,100}$/, 'session ids are lowercase letters, digits and dashes')
      .optional(),
    kinds: z
      .string()
      .max(500)
      .transform((v) =>
        v
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean),
      )
      .pipe(
        z
          .array(
            z.enum(eventKinds, {
              error: (i) => `unknown event kind '${String(i.input)}'; known: ${eventKinds.join(', ')}`,
            }),
          )
          .min(1, 'kinds needs at least one event kind'),
      )
      .optional(),
    after: z
      .string()
      .regex(EVENT_ID, 'after is an event id: a whole number, 0 for the beginning')
      .transform(Number)
      .optional(),
  })
  .strict();
export type EventQuery = z.infer<typeof EventQuery>;

/**
 * The filter and start position of a stream, checked before anything is sent: a malformed
 * `Last-Event-ID`, an event id that was never stored, an unknown intent or session are errors.
 * Without any position the stream starts at the beginning of the log.
 */
export async function resolveEventStream(
  database: Database,
  tenantId: string,
  query: EventQuery,
  lastEventId: string | undefined,
): Promise<{ filter: EventFilter; from: EventPosition }> {
  const { db } = database;
  let after = query.after ?? 0;
  if (lastEventId !== undefined && lastEventId.trim() !== '') {
    if (!EVENT_ID.test(lastEventId.trim()))
      throw new ValidationError('Last-Event-ID must be an event id (a whole number).', {
        last_event_id: lastEventId.slice(0, 40),
      });
    // The header is what a reconnecting client sends: it wins over the URL it reconnects to.
    after = Number(lastEventId.trim());
  }
  if (query.intent_id) await findOwned(db, s.intents, 'intent', tenantId, query.intent_id);
  if (query.session_id) await findOwned(db, s.agentSessions, 'agent', tenantId, query.session_id);
  const from = await positionOf(db, after);
  if (!from)
    throw new ValidationError(`No event with id ${after}; resume from an id this stream sent, or from 0.`, {
      after,
    });
  return {
    filter: { tenantId, intentId: query.intent_id, sessionId: query.session_id, kinds: query.kinds },
    from,
  };
}

/** Keep-alive interval for idle streams (comments on SSE, pings on the WebSocket). */
export const heartbeatMs = () => Number(process.env.DASH_EVENTS_HEARTBEAT_MS) || 15_000;

/** Open SSE streams of this process, so a stopping server can end them (see closeEventStreams). */
const openStreams = new Set<AbortController>();

/** Ends every open SSE stream: a server's close() waits for open responses. */
export function closeEventStreams(): void {
  for (const stop of openStreams) stop.abort();
}

export function eventRoutes(deps: ApiDeps) {
  return new Hono<AuthEnv>().get('/', validate('query', EventQuery), async (c) => {
    const { filter, from } = await resolveEventStream(
      deps.database,
      tenantOf(c),
      c.req.valid('query'),
      c.req.header('last-event-id'),
    );
    c.header('cache-control', 'no-cache');
    c.header('x-accel-buffering', 'no');
    return streamSSE(c, async (stream) => {
      const stop = new AbortController();
      openStreams.add(stop);
      stream.onAbort(() => stop.abort());
      c.req.raw.signal.addEventListener('abort', () => stop.abort(), { once: true });
      let lastWrite = Date.now();
      const write = async (chunk: Promise<unknown>) => {
        await chunk.catch(() => stop.abort());
        lastWrite = Date.now();
      };
      const beat = heartbeatMs();
      const heartbeat = setInterval(() => {
        if (Date.now() - lastWrite >= beat / 2) void write(stream.write(': keepalive\n\n'));
      }, beat);
      let caughtUp: Promise<void> | undefined;
      try {
        await write(stream.write('retry: 1000\n: connected\n\n'));
        for await (const event of followEvents(deps.database.db, filter, from, {
          signal: stop.signal,
          onCaughtUp: (lastId) =>
            (caughtUp = write(
              stream.writeSSE({ event: 'caught_up', data: JSON.stringify({ last_id: lastId }) }),
            )),
        })) {
          await write(stream.writeSSE({ id: String(event.id), data: JSON.stringify(event) }));
        }
        await caughtUp;
      } catch (err) {
        if (!stop.signal.aborted) {
          console.error('[dash api] event stream failed', err);
          await write(
            stream.writeSSE({
              event: 'error',
              data: JSON.stringify({ error: { code: 'stream_failed', message: (err as Error).message } }),
            }),
          );
        }
      } finally {
        clearInterval(heartbeat);
        stop.abort();
        openStreams.delete(stop);
      }
    });
  });
}
