// Mirrors a runtime's session tree into session_entries after each run. The session file lives
// on the host that ran the agent; the mirror lets any API replica serve the tree and check fork
// points. Replacing the session's rows in one transaction keeps the mirror equal to the file.
import fs from 'node:fs';
import { eq } from 'drizzle-orm';
import type { Db } from '../drizzle/client.js';
import * as s from '../drizzle/schema.js';
import { readSessionTree } from '../runtimes/pi/session-tree.js';

export async function mirrorSessionTree(
  db: Db,
  sessionId: string,
  sessionFile: string | undefined,
): Promise<number> {
  if (!sessionFile || !fs.existsSync(sessionFile)) return 0;
  const tree = readSessionTree(sessionFile);
  const rows = tree.entries.map((e, position) => ({
    sessionId,
    entryId: e.id,
    parentId: e.parentId,
    position,
    type: e.type,
    role: e.role ?? null,
    preview: e.preview,
    isLeaf: e.id === tree.leafId,
    entryAt: e.timestamp ? new Date(e.timestamp) : null,
  }));
  await db.transaction(async (tx) => {
    await tx.delete(s.sessionEntries).where(eq(s.sessionEntries.sessionId, sessionId));
    // Chunks keep each statement well under Postgres' parameter limit.
    for (let i = 0; i < rows.length; i += 500)
      await tx.insert(s.sessionEntries).values(rows.slice(i, i + 500));
  });
  return rows.length;
}
