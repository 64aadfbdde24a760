// Exact-match response cache: keyed on tenant, surface, resolved model and every field that
// changes the output (never on metadata), bounded in bytes with LRU eviction and a TTL. Only
// complete answers are stored; streams as their events, replayed as SSE. Identical misses in
// flight at once are coalesced: followers wait for the leader's answer instead of calling upstream.
import crypto from 'node:crypto';
import type { ChatRequest, ChatResponse, StreamEvent, Usage } from '../providers/types.js';

export type CachedAnswer =
  | { kind: 'json'; response: ChatResponse; model: string; provider: string }
  | { kind: 'stream'; events: StreamEvent[]; usage: Usage; model: string; provider: string };

interface Entry {
  answer: CachedAnswer;
  bytes: number;
  expires: number;
}

export function cacheKey(tenantId: string, surface: string, model: string, req: ChatRequest): string {
  const { model: _requested, includeUsage: _u, ...rest } = req;
  return crypto
    .createHash('sha256')
    .update(JSON.stringify([tenantId, surface, model, rest]))
    .digest('hex');
}

export class ResponseCache {
  private entries = new Map<string, Entry>();
  private inflight = new Map<string, Promise<void>>();
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly ttlMs: number,
  ) {}

  get enabled() {
    return this.maxBytes > 0;
  }

  get(key: string): CachedAnswer | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= Date.now()) {
      this.delete(key);
      return undefined;
    }
    // Re-insert: Map order is the recency order.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.answer;
  }

  set(key: string, answer: CachedAnswer): void {
    if (!this.enabled) return;
    const bytes = JSON.stringify(answer).length * 2;
    if (bytes > this.maxBytes / 4) return;
    this.delete(key);
    this.entries.set(key, { answer, bytes, expires: Date.now() + this.ttlMs });
    this.bytes += bytes;
    for (const k of this.entries.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.delete(k);
    }
  }

  get size() {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  /**
   * Joins an identical request already in flight, or becomes its leader. The leader must call
   * the returned `done` whether or not it stored an answer.
   */
  coalesce(key: string): { wait: Promise<void> } | { done: () => void } {
    const running = this.inflight.get(key);
    if (running) return { wait: running };
    let done!: () => void;
    const p = new Promise<void>((r) => (done = r));
    this.inflight.set(key, p);
    return {
      done: () => {
        this.inflight.delete(key);
        done();
      },
    };
  }

  private delete(key: string) {
    const e = this.entries.get(key);
    if (!e) return;
    this.bytes -= e.bytes;
    this.entries.delete(key);
  }
}
