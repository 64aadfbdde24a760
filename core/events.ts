// Reading the live event log (drizzle/schema.ts `events`) for the SSE and WebSocket streams.
//
// Event ids come from a sequence, so they are handed out in insert order, not commit order: a
// reader that only remembered "the last id" would skip an event whose transaction took its id
// first and committed last. Events are therefore read in the order of the transaction that wrote
// them (xid, then id), and only once no transaction that could still commit an earlier position
// is running (xid below the snapshot's xmin). A client resumes from an event id; the server looks
// up that event's position. So every event is delivered once, in one stable order, on Postgres
// (many writers) and on PGlite (one connection) alike.
import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../drizzle/client.js';
import * as s from '../drizzle/schema.js';

export const eventKinds = [
  'intent.status',
  'intent.plan',
  'task.added',
  'task.status',
  'session.status',
  'session.event',
  'proxy.request',
] as const;
export type EventKind = (typeof eventKinds)[number];

/** Statuses after which an intent or a session writes no more status events (until a retry). */
export const endedIntentStatuses = ['completed', 'failed', 'budget_exceeded', 'cancelled'];
export const endedSessionStatuses = ['completed', 'failed', 'cancelled', 'aborted'];

export interface EventFilter {
  intentId?: string | undefined;
  sessionId?: string | undefined;
  kinds?: string[] | undefined;
  tenantId?: string | undefined;
}

/** Where a reader is in the log: after the event with this transaction id and event id. */
export interface EventPosition {
  xid: string;
  id: number;
}

export const START: EventPosition = { xid: '0', id: 0 };

/** An event as clients see it (SSE data, WebSocket message, SDK). */
export interface EventView {
  id: number;
  kind: string;
  intent_id: string | null;
  session_id: string | null;
  payload: Record<string, unknown>;
  created_at: string;
}

/** The position of event `id`, or undefined when no such event exists. 0 is the start. */
export async function positionOf(db: Db, id: number): Promise<EventPosition | undefined> {
  if (id === 0) return START;
  const [row] = await db
    .select({ xid: sql<string>`${s.events.xid}::text` })
    .from(s.events)
    .where(eq(s.events.id, id));
  return row ? { xid: row.xid, id } : undefined;
}

/** Stored events after `after` that no running transaction can precede any more, oldest first. */
export async function readEvents(
  db: Db,
  filter: EventFilter,
  after: EventPosition,
  limit: number,
): Promise<(EventView & { position: EventPosition })[]> {
  const where: SQL[] = [
    sql`(${s.events.xid}, ${s.events.id}) > (${after.xid}::xid8, ${after.id}::bigint)`,
    sql`${s.events.xid} < pg_snapshot_xmin(pg_current_snapshot())`,
  ];
  if (filter.intentId) where.push(eq(s.events.intentId, filter.intentId));
  if (filter.sessionId) where.push(eq(s.events.sessionId, filter.sessionId));
  if (filter.kinds?.length) where.push(inArray(s.events.kind, filter.kinds));
  if (filter.tenantId) where.push(eq(s.events.tenantId, filter.tenantId));
  const rows = await db
    .select({
      id: s.events.id,
      kind: s.events.kind,
      intentId: s.events.intentId,
      sessionId: s.events.sessionId,
      payload: s.events.payload,
      createdAt: s.events.createdAt,
      xid: sql<string>`${s.events.xid}::text`,
    })
    .from(s.events)
    .where(and(...where))
    .orderBy(asc(s.events.xid), asc(s.events.id))
    .limit(limit);
  return rows.map((r) => ({
    id: Number(r.id),
    kind: r.kind,
    intent_id: r.intentId,
    session_id: r.sessionId,
    payload: r.payload,
    created_at: new Date(r.createdAt).toISOString(),
    position: { xid: r.xid, id: Number(r.id) },
  }));
}

export interface FollowOptions {
  signal: AbortSignal;
  /** How often the table is read once the reader has caught up. */
  pollMs?: number;
  batch?: number;
  /** Called once, when every event stored when the stream started has been yielded. */
  onCaughtUp?: (lastId: number) => void;
}

/**
 * Every event after `from`, then new ones as they are stored, until the signal aborts. The table
 * is polled (~250 ms): the same on Postgres and PGlite, and one indexed query per reader per poll.
 */
export async function* followEvents(
  db: Db,
  filter: EventFilter,
  from: EventPosition,
  opts: FollowOptions,
): AsyncGenerator<EventView> {
  const pollMs = opts.pollMs ?? 250;
  const batch = opts.batch ?? 500;
  let position = from;
  let caughtUp = false;
  while (!opts.signal.aborted) {
    const rows = await readEvents(db, filter, position, batch);
    for (const { position: p, ...event } of rows) {
      if (opts.signal.aborted) return;
      position = p;
      yield event;
    }
    if (rows.length === batch) continue;
    if (!caughtUp) {
      caughtUp = true;
      opts.onCaughtUp?.(position.id);
    }
    await sleep(pollMs, opts.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * The one-line gist of an agent session event (session_events keeps the whole event): the tool it
 * names and the first words of its text, so a `session.event` stays small.
 */
export function summarizeSessionEvent(payload: unknown): { tool?: string; text?: string } {
  if (!payload || typeof payload !== 'object') return {};
  const e = payload as { toolName?: unknown; message?: { content?: unknown }; isError?: unknown };
  const out: { tool?: string; text?: string } = {};
  if (typeof e.toolName === 'string') out.tool = e.toolName;
  const content = e.message?.content;
  const text =
    typeof content === 'string'
      ? content
      : Array.isArray(content)
        ? content
            .map((part: { type?: string; text?: unknown }) =>
              part?.type === 'text' && typeof part.text === 'string' ? part.text : '',
            )
            .join(' ')
        : '';
  const clean = text.replace(/\s+/g, ' ').trim();
  if (clean) out.text = clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
  return out;
}
