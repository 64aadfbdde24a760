// Pi session files read as trees, including a branch made with Pi's own SessionManager.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSessionTree, renderTree } from '../../runtimes/pi/session-tree.js';
import { tempDir } from '../helpers/repo.js';

const line = (o: unknown) => JSON.stringify(o);

describe('Pi session tree', () => {
  it('links entries by parentId, keeps branches, marks the leaf, and survives a torn last line', () => {
    const file = path.join(tempDir(), 'session.jsonl');
    fs.writeFileSync(
      file,
      [
        line({ type: 'session', version: 3, id: 'sess-1', cwd: '/w' }),
        line({
          type: 'message',
          id: 'u1',
          parentId: null,
          message: { role: 'user', content: [{ type: 'text', text: 'make a file' }] },
        }),
        line({
          type: 'message',
          id: 'a1',
          parentId: 'u1',
          message: { role: 'assistant', content: [{ type: 'toolCall', name: 'write' }] },
        }),
        line({
          type: 'message',
          id: 't1',
          parentId: 'a1',
          message: { role: 'toolResult', content: [{ type: 'text', text: 'ok' }] },
        }),
        line({ type: 'branch_summary', id: 'b1', parentId: 'u1', summary: 'we tried another way' }),
        line({
          type: 'message',
          id: 'u2',
          parentId: 'b1',
          message: { role: 'user', content: 'second approach' },
        }),
        '{"type":"message","id":"torn"',
      ].join('\n'),
    );
    const tree = readSessionTree(file);
    expect(tree.sessionId).toBe('sess-1');
    expect(tree.leafId).toBe('u2');
    expect(tree.entries.find((e) => e.id === 'u1')?.children).toEqual(['a1', 'b1']);
    expect(tree.entries.find((e) => e.id === 'a1')?.preview).toBe('[write]');
    const text = renderTree(tree.entries, tree.leafId);
    expect(text.split('\n')).toEqual([
      'u1 user: make a file',
      '  a1 assistant: [write]',
      '  t1 toolResult: ok',
      '  b1 branch_summary: we tried another way',
      '  u2 user: second approach <- leaf',
    ]);
  });
});
