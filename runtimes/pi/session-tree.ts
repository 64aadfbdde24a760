// Reads a Pi session file (JSONL, version 3) into the tree its entries form through
// id/parentId: every message, compaction and branch summary, with a short preview each.
import fs from 'node:fs';

export interface SessionTreeEntry {
  id: string;
  parentId: string | null;
  type: string;
  role?: string;
  preview: string;
  timestamp?: string;
  children: string[];
}

export interface SessionTree {
  sessionId: string | undefined;
  cwd: string | undefined;
  parentSession: string | undefined;
  /** The active leaf: Pi continues from the last line of the file. */
  leafId: string | undefined;
  entries: SessionTreeEntry[];
}

interface RawEntry {
  type: string;
  id?: string;
  parentId?: string | null;
  timestamp?: string;
  cwd?: string;
  parentSession?: string;
  summary?: string;
  message?: { role?: string; content?: unknown; toolName?: string };
}

export function readSessionTree(file: string): SessionTree {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const raw = lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as RawEntry];
    } catch {
      return []; // a torn last line after a crash
    }
  });
  const header = raw.find((e) => e.type === 'session');
  const entries: SessionTreeEntry[] = raw
    .filter((e): e is RawEntry & { id: string } => e.type !== 'session' && typeof e.id === 'string')
    .map((e) => ({
      id: e.id,
      parentId: e.parentId ?? null,
      type: e.type,
      ...(e.message?.role && { role: e.message.role }),
      preview: preview(e),
      ...(e.timestamp && { timestamp: e.timestamp }),
      children: [],
    }));
  const byId = new Map(entries.map((e) => [e.id, e]));
  for (const e of entries) if (e.parentId) byId.get(e.parentId)?.children.push(e.id);
  return {
    sessionId: header?.id,
    cwd: header?.cwd,
    parentSession: header?.parentSession,
    leafId: entries[entries.length - 1]?.id,
    entries,
  };
}

function preview(e: RawEntry): string {
  if (e.summary) return clip(e.summary);
  const content = e.message?.content;
  if (typeof content === 'string') return clip(content);
  if (Array.isArray(content)) {
    const parts = content.map((c: { type?: string; text?: string; name?: string }) =>
      c.type === 'text' ? (c.text ?? '') : c.type === 'toolCall' ? `[${c.name ?? 'tool'}]` : '',
    );
    return clip(parts.join(' ').trim() || e.message?.toolName || '');
  }
  return '';
}

const clip = (s: string) => (s.length > 100 ? `${s.slice(0, 97)}...` : s).replace(/\s+/g, ' ');

/** What rendering needs of an entry: the API's snake_case entries fit as they are. */
export interface RenderableEntry {
  id: string;
  type: string;
  role?: string | null;
  preview: string;
  children: string[];
}

/** Indented text rendering, depth first from the roots (entries that are nobody's child). */
export function renderTree(entries: RenderableEntry[], leafId: string | null | undefined): string {
  const byId = new Map(entries.map((e) => [e.id, e]));
  const childIds = new Set(entries.flatMap((e) => e.children));
  const out: string[] = [];
  const walk = (id: string, depth: number) => {
    const e = byId.get(id)!;
    const mark = id === leafId ? ' <- leaf' : '';
    out.push(`${'  '.repeat(depth)}${e.id} ${e.role ?? e.type}: ${e.preview}${mark}`);
    for (const c of e.children) walk(c, depth + (e.children.length > 1 ? 1 : 0));
  };
  for (const root of entries.filter((e) => !childIds.has(e.id))) walk(root.id, 0);
  return out.join('\n');
}
