// The live task table of `dash do` on a terminal: what a row says, and that each redraw goes
// back over the previous block instead of scrolling.
import { describe, expect, it } from 'vitest';
import { LiveTable, taskTable } from '../../cli/progress-table.js';
import type { IntentDetail, TaskView } from '../../sdk/client.js';

const task = (over: Partial<TaskView>): TaskView => ({
  key: 'api',
  title: 'Add the OAuth callback',
  status: 'running',
  depends_on: [],
  branch: null,
  commit: null,
  files_changed: [],
  tokens: { input: 1200, output: 300 },
  cost_usd: 0.01,
  error: null,
  session: null,
  ...over,
});

const detail = (tasks: TaskView[]): IntentDetail =>
  ({
    id: 'int-abcdefghij',
    status: 'running',
    tokens: { input: 5000, output: 1000, total: 6000 },
    cost_usd: 0.0421,
    tasks,
  }) as unknown as IntentDetail;

describe('taskTable', () => {
  it('has a header with the totals and a row per task with its agent, attempt, tokens and failure code', () => {
    const lines = taskTable(
      detail([
        task({ session: { status: 'running', attempt: 2 } as TaskView['session'] }),
        task({
          key: 'docs',
          status: 'failed',
          title: 'Document it',
          error: { code: 'AcceptanceFailed', message: 'x' },
        }),
      ]),
      42,
    );
    expect(lines[0]).toBe('int-abcdefghij  running  42s  6000 tokens  $0.0421');
    expect(lines[1]).toMatch(/^ {2}api +running +running #2 +1500 {2}Add the OAuth callback$/);
    expect(lines[2]).toMatch(/^ {2}docs +failed +- +1500 {2}Document it {2}AcceptanceFailed$/);
  });

  it('fits the terminal width and says when there is no plan yet', () => {
    const lines = taskTable(detail([task({ title: 'x'.repeat(300) })]), 1, 60);
    expect(lines.every((l) => l.length <= 60)).toBe(true);
    expect(taskTable(detail([]), 0)[1]).toBe('  (planning...)');
  });
});

describe('LiveTable', () => {
  it('moves the cursor up over the last block before each redraw, and not over released lines', () => {
    const out: string[] = [];
    const live = new LiveTable({ write: (c: string) => out.push(c) });
    live.draw(['a', 'b', 'c']);
    live.draw(['a', 'b']);
    live.release();
    live.draw(['z']);
    expect(out).toEqual(['a\nb\nc\n', '\x1b[3A\x1b[Ja\nb\n', 'z\n']);
  });
});
