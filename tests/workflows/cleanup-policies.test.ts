// Worktree cleanup policies end to end: manual keeps, delayed is reaped by the Temporal schedule
// after its TTL, immediate removes even after a failure, on_success keeps a failed one for
// inspection. Every removal leaves a snapshot ref.
import fs from 'node:fs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureReaperSchedule, reaperScheduleId } from '../../core/schedules.js';
import * as s from '../../drizzle/schema.js';
import { waitFor } from '../helpers/processes.js';
import { gitIn, makeRepo } from '../helpers/repo.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    env: { DASH_WORKTREE_TTL_MS: '0' },
    scenarios: [
      {
        name: 'cleanup',
        rules: [
          {
            name: 'cleanup-plan-ok',
            when: { system: 'Dash planner', user: 'cleanup ok drill' },
            steps: [
              {
                text: JSON.stringify({
                  tasks: [{ id: 'work', title: 'work', prompt: 'CLEANUP-OK', dependsOn: [] }],
                }),
              },
            ],
          },
          {
            name: 'cleanup-plan-fail',
            when: { system: 'Dash planner', user: 'cleanup fail drill' },
            steps: [
              {
                text: JSON.stringify({
                  tasks: [{ id: 'work', title: 'work', prompt: 'CLEANUP-FAIL', dependsOn: [] }],
                }),
              },
            ],
          },
          {
            name: 'cleanup-ok',
            when: { user: 'CLEANUP-OK', hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: 'done.txt', content: 'done\n' } } },
              { text: 'ok' },
            ],
          },
          {
            name: 'cleanup-fail',
            when: { user: 'CLEANUP-FAIL', hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: 'wip.txt', content: 'half done\n' } } },
              { fault: { status: 400, message: 'model refused' } },
            ],
          },
        ],
      },
    ],
  });
});

afterAll(async () => {
  await stack.client.schedule
    .getHandle(reaperScheduleId(stack.config.temporal.taskQueue))
    .delete()
    .catch(() => undefined);
  await stack?.stop();
});

async function runIntent(intent: string, cleanup: string) {
  const repo = makeRepo({ 'a.txt': 'a\n' });
  const res = await stack.app.request('/api/v1/intents', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ intent, repo, cleanup }),
  });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  await stack.client.workflow
    .getHandle(id)
    .result()
    .catch(() => undefined);
  const [wt] = await stack.db.database.db
    .select()
    .from(s.worktrees)
    .where(eq(s.worktrees.id, `${id}-work`));
  return { id, repo, wt: wt! };
}

describe('worktree cleanup policies', () => {
  it('manual keeps the worktree after success, with no expiry', async () => {
    const { wt } = await runIntent('cleanup ok drill', 'manual');
    expect(wt).toMatchObject({ status: 'active', cleanupPolicy: 'manual', expiresAt: null });
    expect(fs.readFileSync(`${wt.path}/done.txt`, 'utf8')).toBe('done\n');

    // A kept worktree is removed on demand, on a worker, with a snapshot first.
    fs.writeFileSync(`${wt.path}/scratch.txt`, 'kept by hand\n');
    const cleanup = async () => {
      const res = await stack.app.request(`/api/v1/worktrees/${wt.id}/cleanup`, { method: 'POST' });
      return { status: res.status, body: (await res.json()) as any };
    };
    const first = await cleanup();
    expect(first).toEqual({
      status: 200,
      body: { id: wt.id, removed: true, snapshot_ref: `refs/dash/snapshots/${wt.id}` },
    });
    expect(fs.existsSync(wt.path)).toBe(false);
    expect(gitIn(wt.repoPath, 'show', `refs/dash/snapshots/${wt.id}:scratch.txt`)).toBe('kept by hand\n');
    const second = await cleanup();
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('worktree_not_active');
    expect((await stack.app.request('/api/v1/worktrees/nope-nope/cleanup', { method: 'POST' })).status).toBe(
      404,
    );
  });

  it('delayed keeps the worktree until the reaper schedule runs past its TTL, then snapshots and removes it', async () => {
    const { wt, repo } = await runIntent('cleanup ok drill', 'delayed');
    expect(wt.status).toBe('active');
    expect(wt.expiresAt).not.toBeNull();
    expect(fs.existsSync(wt.path)).toBe(true);
    fs.writeFileSync(`${wt.path}/notes.txt`, 'left behind after the session\n');
    await ensureReaperSchedule(stack.client, stack.config.temporal.taskQueue, '1h');
    await stack.client.schedule.getHandle(reaperScheduleId(stack.config.temporal.taskQueue)).trigger();
    await waitFor(
      async () =>
        (await stack.db.database.db.select().from(s.worktrees).where(eq(s.worktrees.id, wt.id)))[0]
          ?.status === 'removed',
      30_000,
      'the reaper to remove the expired worktree',
    );
    expect(fs.existsSync(wt.path)).toBe(false);
    expect(gitIn(repo, 'show', `refs/dash/snapshots/${wt.id}:notes.txt`)).toBe(
      'left behind after the session\n',
    );
  });

  it('immediate removes the worktree even when the session fails, keeping a snapshot of the partial work', async () => {
    const { wt, repo, id } = await runIntent('cleanup fail drill', 'immediate');
    const [intent] = await stack.db.database.db.select().from(s.intents).where(eq(s.intents.id, id));
    expect(intent?.status).toBe('failed');
    expect(wt).toMatchObject({ status: 'removed', snapshotRef: `refs/dash/snapshots/${wt.id}` });
    expect(fs.existsSync(wt.path)).toBe(false);
    expect(gitIn(repo, 'show', `${wt.snapshotRef}:wip.txt`)).toBe('half done\n');
  });

  it('on_success keeps a failed session worktree for inspection', async () => {
    const { wt } = await runIntent('cleanup fail drill', 'on_success');
    expect(wt).toMatchObject({ status: 'active', cleanupPolicy: 'on_success', expiresAt: null });
    expect(fs.readFileSync(`${wt.path}/wip.txt`, 'utf8')).toBe('half done\n');
  });

  it('rejects an unknown policy', async () => {
    const res = await stack.app.request('/api/v1/intents', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ intent: 'x', repo: makeRepo({ 'a.txt': 'a' }), cleanup: 'whenever' }),
    });
    expect(res.status).toBe(400);
  });
});
