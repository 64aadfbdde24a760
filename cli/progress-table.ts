// `dash do` on a terminal: one table of the swarm's tasks, redrawn in place at every poll
// (elsewhere, and with --json, progress stays one plain line per change).
import type { IntentDetail } from '../sdk/client.js';

const cut = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);

/** The table's lines: a header with the intent's totals, then one row per task. */
export function taskTable(detail: IntentDetail, elapsedSeconds: number, width = 100): string[] {
  const total = detail.tokens.input + detail.tokens.output;
  const header = `${detail.id}  ${detail.status}  ${elapsedSeconds}s  ${total} tokens  $${detail.cost_usd.toFixed(4)}`;
  const keyWidth = Math.min(24, Math.max(4, ...detail.tasks.map((t) => t.key.length)));
  const rows = detail.tasks.map((t) => {
    const agent = t.session
      ? `${t.session.status}${t.session.attempt > 1 ? ` #${t.session.attempt}` : ''}`
      : '-';
    const tokens = t.tokens.input + t.tokens.output;
    const why = t.status === 'failed' && t.error ? `  ${t.error.code}` : '';
    const line = `  ${cut(t.key, keyWidth).padEnd(keyWidth)}  ${t.status.padEnd(9)}  ${agent.padEnd(12)}  ${String(tokens).padStart(7)}  ${t.title}${why}`;
    return cut(line, width);
  });
  return [cut(header, width), ...(rows.length ? rows : ['  (planning...)'])];
}

/** Redraws a block of lines in place: the cursor goes back up over the last block first. */
export class LiveTable {
  private drawn = 0;

  constructor(private readonly out: { write(chunk: string): unknown }) {}

  draw(lines: string[]): void {
    const up = this.drawn ? `\x1b[${this.drawn}A\x1b[J` : '';
    this.out.write(`${up}${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }

  /** What is printed next stays: the next draw starts below it. */
  release(): void {
    this.drawn = 0;
  }
}
