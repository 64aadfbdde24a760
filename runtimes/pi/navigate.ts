// Moves a stopped Pi session's active leaf back to any entry (Pi's /tree, which RPC mode lacks):
// a branch_summary entry is appended as a child of that entry, so the next run continues from
// there with the summary of the abandoned branch. The abandoned branch stays in the file.
import fs from 'node:fs';

export class NavigateError extends Error {}

export async function navigatePiSession(opts: {
  sessionFile: string;
  entryId: string;
  summary: string;
}): Promise<{ branchEntryId: string }> {
  if (!fs.existsSync(opts.sessionFile)) throw new NavigateError(`No Pi session at ${opts.sessionFile}.`);
  // Loaded on demand: the package index pulls in the whole agent.
  const { SessionManager } = await import('@mariozechner/pi-coding-agent');
  const manager = SessionManager.open(opts.sessionFile);
  if (!manager.getEntry(opts.entryId))
    throw new NavigateError(`Entry '${opts.entryId}' is not in session ${opts.sessionFile}.`);
  return { branchEntryId: manager.branchWithSummary(opts.entryId, opts.summary) };
}
