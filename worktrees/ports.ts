// A port range per worktree, so fifty dev servers do not all bind :3000. Ranges are aligned
// blocks; the caller serialises allocation (activities/worktrees.ts uses a database lock).
export const PORT_RANGE_SIZE = 10;
export const PORT_RANGE_START = 20_000;
export const PORT_RANGE_END = 60_000;

export function pickPortBase(
  taken: Iterable<number>,
  size = PORT_RANGE_SIZE,
  start = PORT_RANGE_START,
  end = PORT_RANGE_END,
): number {
  const used = new Set(taken);
  for (let base = start; base + size <= end; base += size) if (!used.has(base)) return base;
  throw new Error(`No free port range of ${size} between ${start} and ${end}: too many active worktrees.`);
}

export function portEnv(base: number, size = PORT_RANGE_SIZE): Record<string, string> {
  return { PORT: String(base), DASH_PORT_BASE: String(base), DASH_PORT_COUNT: String(size) };
}
