// Forking a finished agent session at one of its entries: a new session, in its own worktree,
// whose history stops at that entry and then goes its own way.
import fs from 'node:fs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as s from '../../drizzle/schema.js';
import { readSessionTree } from '../../runtimes/pi/session-tree.js';
import { gitIn, makeRepo } from '../helpers/repo.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
let intentId: string;
let repo: string;

beforeAll(async () => {
  stack = await startTestStack({
    scenarios: [
      {
        name: 'fork',
        rules: [
          {
            name: 'fork-plan',
            when: { system: 'Dash planner', user: 'fork drill' },
            steps: [
              {
                text: JSON.stringify({
                  tasks: [{ id: 'source', title: 'source', prompt: 'FORK-SOURCE', dependsOn: [] }],
                }),
              },
            ],
          },
          {
            name: 'fork-source',
            when: { user: 'FORK-SOURCE', hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: 'a.txt', content: 'from the source\n' } } },
              { text: 'source done' },
            ],
          },
          {
            name: 'fork-next',
            when: { user: 'fork-next', hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: 'fork.txt', content: 'from the fork\n' } } },
              { text: 'fork done' },
            ],
          },
        ],
      },
    ],
  });
  repo = makeRepo({ 'README.md': '# fork\n' });
  const res = await stack.app.request('/api/v1/intents', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ intent: 'fork drill', repo }),
  });
  intentId = ((await res.json()) as { id: string }).id;
  await stack.client.workflow.getHandle(intentId).result();
});

afterAll(async () => {
  await stack?.stop();
});

const post = async (url: string, body: unknown) => {
  const res = await stack.app.request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
};

describe('fork', () => {
  it('starts a new session in its own worktree whose history stops at the chosen entry', async () => {
    const sourceId = `${intentId}-source`;
    const tree = (await (await stack.app.request(`/api/v1/agents/${sourceId}/tree`)).json()) as any;
    const roles = tree.entries.map((e: { role: string }) => e.role).filter(Boolean);
    expect(roles).toEqual(['user', 'assistant', 'toolResult', 'assistant']);
    const cut = tree.entries.find((e: { role: string }) => e.role === 'toolResult');

    const fork = await post(`/api/v1/agents/${sourceId}/fork`, {
      entry_id: cut.id,
      prompt: 'fork-next: write the fork file instead',
    });
    expect(fork.status).toBe(202);
    const result = await stack.client.workflow.getHandle(fork.body.workflow_id).result();
    expect(result.filesChanged).toEqual(['fork.txt']);
    expect(gitIn(repo, 'show', `${result.branch}:fork.txt`)).toBe('from the fork\n');

    const [forked] = await stack.db.database.db
      .select()
      .from(s.agentSessions)
      .where(eq(s.agentSessions.id, fork.body.id));
    const [source] = await stack.db.database.db
      .select()
      .from(s.agentSessions)
      .where(eq(s.agentSessions.id, sourceId));
    expect(forked?.worktreePath).not.toBe(source?.worktreePath);
    const forkedTree = readSessionTree(forked!.runtimeSessionFile!);
    expect(forkedTree.parentSession).toBe(source!.runtimeSessionFile);
    expect(forkedTree.cwd).toBe(forked!.worktreePath);
    // The source's entries up to the cut, same ids; then the fork's own turn, not the source's ending.
    const sourceIds: string[] = tree.entries.map((e: { id: string }) => e.id);
    const upToCut = sourceIds.slice(0, sourceIds.indexOf(cut.id) + 1);
    const forkedIds = forkedTree.entries.map((e) => e.id);
    expect(forkedIds.slice(0, upToCut.length)).toEqual(upToCut);
    const sourceEnding = tree.entries.filter((e: { role: string }) => e.role === 'assistant').at(-1).id;
    expect(forkedIds).not.toContain(sourceEnding);
    const next = forkedTree.entries[upToCut.length]!;
    expect(next).toMatchObject({ role: 'user', parentId: cut.id });
    expect(next.preview).toMatch(/fork-next/);
    // The source's file is untouched.
    expect(fs.readFileSync(source!.runtimeSessionFile!, 'utf8')).not.toMatch(/fork-next/);
  });

  it('rejects an entry that is not in the session, and a malformed entry id', async () => {
    const bad = await post(`/api/v1/agents/${intentId}-source/fork`, { entry_id: 'deadbeef' });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('fork_entry_not_found');
    expect((await post(`/api/v1/agents/${intentId}-source/fork`, { entry_id: 'not an id!' })).status).toBe(
      400,
    );
    expect((await post(`/api/v1/agents/int-zzzzzzzzzz-x/fork`, { entry_id: 'abc' })).status).toBe(404);
  });
});
