// Forks a Pi session at an entry into a new session file for another worktree: the new file holds
// the path from the root to that entry (raw lines, ids kept), under a header whose cwd is the new
// worktree and whose parentSession names the source, as Pi's own branching does. Pi resumes it
// with --session, and its tools then run in the new worktree.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export class ForkError extends Error {}

export function forkSessionFile(opts: { source: string; entryId: string; target: string; cwd: string }): {
  entries: number;
} {
  const lines = fs.readFileSync(opts.source, 'utf8').split('\n').filter(Boolean);
  const parsed = lines.flatMap((raw) => {
    try {
      return [{ raw, entry: JSON.parse(raw) as { type: string; id?: string; parentId?: string | null } }];
    } catch {
      return [];
    }
  });
  const byId = new Map(
    parsed.filter((p) => p.entry.type !== 'session' && p.entry.id).map((p) => [p.entry.id!, p]),
  );
  if (!byId.has(opts.entryId))
    throw new ForkError(`Entry '${opts.entryId}' is not in session ${opts.source}.`);
  const chain: string[] = [];
  for (let id: string | null | undefined = opts.entryId; id; id = byId.get(id)?.entry.parentId) {
    const found = byId.get(id);
    if (!found) break;
    chain.unshift(found.raw);
  }
  const header = {
    type: 'session',
    version: 3,
    id: crypto.randomUUID(),
    timestamp: new Date().toISOString(),
    cwd: opts.cwd,
    parentSession: opts.source,
  };
  fs.mkdirSync(path.dirname(opts.target), { recursive: true });
  fs.writeFileSync(opts.target, `${[JSON.stringify(header), ...chain].join('\n')}\n`);
  return { entries: chain.length };
}
