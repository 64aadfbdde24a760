// Swarm controls survive the worker: an intent approved after planning and then paused is held
// while its worker is SIGKILLed; a new worker takes over and the resume finishes every task in
// its own conversation, with nothing merged twice.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as s from '../../drizzle/schema.js';
import { callApi } from '../helpers/api.js';
import { isAlive, waitFor, type Spawned } from '../helpers/processes.js';
import { gitIn, makeRepo } from '../helpers/repo.js';
import { startTestStack, startWorkerProcess as startWorker, type TestStack } from '../helpers/stack.js';
import { activityRuns, historyOf } from '../helpers/temporal.js';

let stack: TestStack;
const workers: Spawned[] = [];

beforeAll(async () => {
  stack = await startTestStack({
    dbKind: 'postgres',
    worker: false,
    scenarios: [
      {
        name: 'durable-controls',
        rules: [
          {
            name: 'dc-plan',
            when: { system: 'Dash planner', user: 'held through a crash' },
            steps: [
              {
                text: JSON.stringify({
                  summary: 'two held tasks',
                  tasks: [
                    { id: 'one', title: 'One', prompt: 'DC-ONE', dependsOn: [] },
                    { id: 'two', title: 'Two', prompt: 'DC-TWO', dependsOn: [] },
                  ],
                }),
              },
            ],
          },
          // After the resume each task finishes; before it, each waits in a long command.
          ...['ONE', 'TWO'].map((k) => ({
            name: `dc-${k}-resumed`,
            when: { user: `paused and is now resumed[\\s\\S]*DC-${k}`, hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: `${k.toLowerCase()}.txt`, content: `${k}\n` } } },
              { text: `${k} done` },
            ],
          })),
          ...['ONE', 'TWO'].map((k) => ({
            name: `dc-long-${k}`,
            when: { user: `DC-${k}`, hasTools: true },
            steps: [
              {
                tool: {
                  name: 'bash',
                  arguments: { command: `sleep 120 & echo $! > ${k.toLowerCase()}.pid; wait` },
                },
              },
              { text: 'not reached: the pause stops the command' },
            ],
          })),
        ],
      },
    ],
  });
});

afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await stack?.stop();
});

function startWorkerProcess(): Spawned {
  const w = startWorker(stack);
  workers.push(w);
  return w;
}

it('a paused swarm stays paused through a worker crash and finishes after resume, nothing redone', async () => {
  const repo = makeRepo({ 'README.md': '# held\n' });
  const { db } = stack.db.database;
  const first = startWorkerProcess();
  const created = await callApi(stack.app, 'POST', '/api/v1/intents', {
    intent: 'held through a crash',
    repo,
    approve_plan: true,
  });
  const id = created.body.id as string;
  const status = async () => (await callApi(stack.app, 'GET', `/api/v1/intents/${id}`)).body.status as string;
  await waitFor(async () => (await status()) === 'awaiting_approval', 90_000, 'the plan to await approval');
  expect((await callApi(stack.app, 'POST', `/api/v1/intents/${id}/approve`, {})).status).toBe(202);

  // Both agents inside their long command, then the swarm is paused: no process is left.
  const sessions = () => db.select().from(s.agentSessions).where(eq(s.agentSessions.intentId, id));
  await waitFor(
    async () => (await sessions()).filter((r) => r.currentTool === 'bash').length === 2,
    90_000,
    `both agents to be in their bash tool (worker output: ${first.output()})`,
  );
  const pids = (await sessions()).map((r) => r.pid!);
  expect((await callApi(stack.app, 'POST', `/api/v1/intents/${id}/pause`)).body.held_sessions).toBe(2);
  await waitFor(
    async () => (await sessions()).every((r) => r.status === 'paused'),
    30_000,
    'both sessions to be paused',
  );
  await waitFor(() => pids.every((p) => !isAlive(p)), 15_000, 'both Pi processes to exit');

  first.child.kill('SIGKILL');
  await first.exited;
  const second = startWorkerProcess();
  await waitFor(() => /polling/.test(second.output()), 120_000, 'the second worker to poll');
  // Still paused in the new worker: nothing started on its own.
  expect(await status()).toBe('paused');
  expect((await sessions()).every((r) => r.status === 'paused')).toBe(true);

  const resumed = await callApi(stack.app, 'POST', `/api/v1/intents/${id}/resume`);
  expect(resumed.body.released_sessions).toBe(2);
  const result = await stack.client.workflow.getHandle(id).result();
  second.child.kill('SIGTERM');
  await second.exited;

  expect(result.filesChanged).toEqual(['one.pid', 'one.txt', 'two.pid', 'two.txt']);
  const base = gitIn(repo, 'rev-parse', 'main').trim();
  expect(gitIn(repo, 'rev-list', '--merges', '--count', `${base}..${result.resultBranch}`).trim()).toBe('2');
  // Each session ran its agent twice: the run the pause stopped, and the resumed one. Neither
  // was retried by Temporal (attempt 1 each): the crash happened while no agent ran.
  for (const key of ['one', 'two']) {
    const runs = activityRuns(await historyOf(stack.client, `${id}-task-${key}`)).filter(
      (r) => r.type === 'runAgent',
    );
    expect(runs).toEqual([
      { type: 'runAgent', attempt: 1 },
      { type: 'runAgent', attempt: 1 },
    ]);
  }
  expect(await status()).toBe('completed');
});
