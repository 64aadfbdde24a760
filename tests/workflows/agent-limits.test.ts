// DASH_OPENCLAW_MAX_SESSIONS bounds concurrent agent processes per host through the agent
// worker's slots: with a limit of 1, three parallel tasks run their agents one after another,
// and none is dropped.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeRepo } from '../helpers/repo.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { historyOf } from '../helpers/temporal.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({
    env: { DASH_OPENCLAW_MAX_SESSIONS: '1' },
    scenarios: [
      {
        name: 'limits',
        rules: [
          {
            name: 'limits-plan',
            when: { system: 'Dash planner', user: 'limits drill' },
            steps: [
              {
                text: JSON.stringify({
                  tasks: ['one', 'two', 'three'].map((id) => ({
                    id,
                    title: id,
                    prompt: `LIMIT-TASK ${id}`,
                    dependsOn: [],
                  })),
                }),
              },
            ],
          },
          {
            name: 'limits-agent',
            when: { user: 'LIMIT-TASK', hasTools: true },
            steps: [
              {
                tool: { name: 'bash', arguments: { command: 'sleep 1; echo done > out-{{user_slug}}.txt' } },
              },
              { text: 'done' },
            ],
          },
        ],
      },
    ],
  });
});

afterAll(async () => {
  await stack?.stop();
});

it('runs at most DASH_OPENCLAW_MAX_SESSIONS agents at once; the rest wait and then finish', async () => {
  expect(stack.config.agent.maxSessions).toBe(1);
  const repo = makeRepo({ 'a.txt': 'a\n' });
  const res = await stack.app.request('/api/v1/intents', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ intent: 'limits drill', repo }),
  });
  const { id } = (await res.json()) as { id: string };
  const result = await stack.client.workflow.getHandle(id).result();
  expect(result.sessions).toHaveLength(3);

  // Each agent run's [started, completed] interval, from the session histories.
  const intervals: [number, number][] = [];
  for (const key of ['one', 'two', 'three']) {
    const events = await historyOf(stack.client, `${id}-task-${key}`);
    const at = (e: (typeof events)[number]) =>
      Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
    const scheduled = events.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runAgent',
    );
    expect(scheduled?.activityTaskScheduledEventAttributes?.taskQueue?.name).toBe(
      `${stack.config.temporal.taskQueue}-agents`,
    );
    const started = events.find(
      (e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled?.eventId),
    );
    const completed = events.find(
      (e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(scheduled?.eventId),
    );
    intervals.push([at(started!), at(completed!)]);
  }
  intervals.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < intervals.length; i++)
    expect(intervals[i]![0]).toBeGreaterThanOrEqual(intervals[i - 1]![1]);
});
