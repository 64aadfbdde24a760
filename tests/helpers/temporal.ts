// Reading workflow histories and visibility on the real Temporal server.
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { temporal } from '@temporalio/proto';

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export async function historyOf(client: Client, workflowId: string): Promise<HistoryEvent[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return history.events ?? [];
}

/** Activity type of every ActivityTaskScheduled event, with the attempt that finally started it. */
export function activityRuns(events: HistoryEvent[]): { type: string; attempt: number }[] {
  const scheduled = new Map<string, string>();
  const runs: { type: string; attempt: number }[] = [];
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '');
    const started = e.activityTaskStartedEventAttributes;
    if (started)
      runs.push({
        type: scheduled.get(String(started.scheduledEventId)) ?? '?',
        attempt: started.attempt ?? 0,
      });
  }
  return runs;
}

export async function listWorkflows(client: Client, query: string) {
  const out: { workflowId: string; type: string; status: string }[] = [];
  for await (const wf of client.workflow.list({ query })) {
    out.push({ workflowId: wf.workflowId, type: wf.type, status: wf.status.name });
  }
  return out;
}

/** Visibility is eventually consistent: poll until the predicate holds. */
export async function eventually<T>(
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await fn();
  while (!ok(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    last = await fn();
  }
  return last;
}

/**
 * With DASH_RECORD_HISTORIES set, saves these workflows' histories as the committed replay
 * fixtures (tests/replay/histories/<name>.json).
 */
export async function recordHistories(client: Client, workflows: Record<string, string>): Promise<void> {
  if (!process.env.DASH_RECORD_HISTORIES) return;
  const dir = path.resolve(import.meta.dirname, '..', 'replay', 'histories');
  for (const [name, workflowId] of Object.entries(workflows)) {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    fs.writeFileSync(path.join(dir, `${name}.json`), historyToJSON(history));
  }
}
