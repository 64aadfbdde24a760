// GET /metrics on the real stack: promtool accepts the exposition, and each metric moves when its
// thing happens (a request, a proxy call, an intent or agent accepted, a worker polling, a session
// running and ending). No timing assertions: only counts and gauges.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSamples, type Labels } from '../../api/metrics/registry.js';
import { mintVirtualKey } from '../../proxy/auth.js';
import { callApi } from '../helpers/api.js';
import { waitFor } from '../helpers/processes.js';
import { makeRepo } from '../helpers/repo.js';
import { waitForTool } from '../helpers/sessions.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
let repo: string;
const started: string[] = [];

beforeAll(async () => {
  // The worker starts later, so that the agents gauge is seen going from 0 to 1.
  stack = await startTestStack({
    worker: false,
    scenarios: [
      {
        name: 'metrics',
        rules: [
          {
            name: 'mt-long',
            when: { user: 'MT-LONG', hasTools: true },
            steps: [{ tool: { name: 'bash', arguments: { command: 'sleep 120' } } }, { text: 'never' }],
          },
        ],
      },
    ],
  });
  repo = makeRepo({ 'a.txt': 'a\n' });
});

afterAll(async () => {
  for (const id of started)
    await stack.client.workflow
      .getHandle(id)
      .terminate('test cleanup')
      .catch(() => undefined);
  await stack?.stop();
});

const call = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
  callApi(stack.app, method, url, body, headers);

async function scrape(): Promise<{ text: string; contentType: string | null }> {
  const res = await stack.app.request('/metrics');
  expect(res.status).toBe(200);
  return { text: await res.text(), contentType: res.headers.get('content-type') };
}

/** The sample with exactly these labels, 0 when absent. */
async function value(name: string, labels: Labels = {}): Promise<number> {
  const { text } = await scrape();
  const want = JSON.stringify(Object.entries(labels).sort());
  const hit = parseSamples(text).find(
    (s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want,
  );
  return hit?.value ?? 0;
}

const NAMED = [
  'dash_agents_connected',
  'dash_sessions_active',
  'dash_queue_depth',
  'dash_proxy_requests_total',
  'dash_proxy_cost_total',
  'dash_http_request_duration_seconds',
  'dash_workflow_duration_seconds',
];

describe('GET /metrics', () => {
  it('counts HTTP requests by method, route pattern and status class, never by raw path', async () => {
    const byId = { method: 'GET', route: '/api/v1/intents/:id', status: '4xx' };
    const before = await value('dash_http_request_duration_seconds_count', byId);
    expect((await call('GET', '/api/v1/intents/int-zzzzzzzzzz')).status).toBe(404);
    expect((await call('GET', '/api/v1/intents/int-yyyyyyyyyy')).status).toBe(404);
    expect(await value('dash_http_request_duration_seconds_count', byId)).toBe(before + 2);
    expect(await value('dash_http_request_duration_seconds_bucket', { ...byId, le: '+Inf' })).toBe(
      before + 2,
    );

    const unmatched = { method: 'GET', route: 'unmatched', status: '4xx' };
    const beforeUnmatched = await value('dash_http_request_duration_seconds_count', unmatched);
    expect((await call('GET', '/api/v1/nothing-here-xyz')).status).toBe(404);
    expect(await value('dash_http_request_duration_seconds_count', unmatched)).toBe(beforeUnmatched + 1);

    const ok = { method: 'GET', route: '/health/live', status: '2xx' };
    const beforeOk = await value('dash_http_request_duration_seconds_count', ok);
    await call('GET', '/health/live');
    expect(await value('dash_http_request_duration_seconds_count', ok)).toBe(beforeOk + 1);

    const { text } = await scrape();
    expect(text).not.toContain('int-zzzzzzzzzz');
    expect(text).not.toContain('nothing-here-xyz');
  });

  it('reports proxy requests and their cost from the proxy runtime', async () => {
    const attempts = { surface: 'openai', outcome: 'upstream_attempt' };
    const refused = { surface: 'openai', outcome: 'refused' };
    const beforeAttempts = await value('dash_proxy_requests_total', attempts);
    const beforeRefused = await value('dash_proxy_requests_total', refused);
    const beforeCost = await value('dash_proxy_cost_total', { provider: 'rehearsal' });
    const { key } = await mintVirtualKey(stack.db.database.db, {
      userId: 'metrics',
      tenantId: 'default',
      rpm: 1,
    });
    const res = await call(
      'POST',
      '/proxy/v1/chat/completions',
      { model: 'rehearsal-1', messages: [{ role: 'user', content: '[rehearsal:echo] metrics' }] },
      { authorization: `Bearer ${key}` },
    );
    expect(res.status).toBe(200);
    expect(res.body.choices[0].message.content).toBe('echo: metrics');
    expect(await value('dash_proxy_requests_total', attempts)).toBe(beforeAttempts + 1);
    const cost = await value('dash_proxy_cost_total', { provider: 'rehearsal' });
    expect(cost).toBeGreaterThan(beforeCost);

    // A request the proxy refuses itself (over the key's rate limit) is counted as refused, at no cost.
    const again = await call(
      'POST',
      '/proxy/v1/chat/completions',
      { model: 'rehearsal-1', messages: [{ role: 'user', content: '[rehearsal:echo] again' }] },
      { authorization: `Bearer ${key}` },
    );
    expect(again.status).toBe(429);
    expect(await value('dash_proxy_requests_total', refused)).toBe(beforeRefused + 1);
    expect(await value('dash_proxy_cost_total', { provider: 'rehearsal' })).toBe(cost);

    // The proxy's own /proxy/metrics and the API's numbers are the same counts.
    const proxyText = await (await stack.app.request('/proxy/metrics')).text();
    const attemptsThere = parseSamples(proxyText)
      .filter((s) => s.name === 'dash_proxy_attempts_total' && s.labels.surface === 'openai')
      .reduce((n, s) => n + s.value, 0);
    expect(attemptsThere).toBe(beforeAttempts + 1);
  });

  it('counts an accepted intent in dash_queue_depth while it waits to be planned', async () => {
    const before = await value('dash_queue_depth', { kind: 'intent' });
    const res = await call('POST', '/api/v1/intents', { intent: 'metrics queue', repo });
    expect(res.status).toBe(202);
    expect(await value('dash_queue_depth', { kind: 'intent' })).toBe(before + 1);
    // Never planned: the worker started below must run only the agent of the next test.
    await stack.client.workflow.getHandle(res.body.id).terminate('metrics test');
  });

  it('sees agent workers connect, sessions run and end, and their durations', async () => {
    expect(await value('dash_agents_connected')).toBe(0);
    // Accepted with no worker: its task waits in the queue.
    const beforeTasks = await value('dash_queue_depth', { kind: 'task' });
    const agent = await call('POST', '/api/v1/agents', { repo, prompt: 'MT-LONG: wait' });
    expect(agent.status).toBe(202);
    const id = agent.body.id as string;
    started.push(`${agent.body.intent_id}-task-agent`);
    expect(await value('dash_queue_depth', { kind: 'task' })).toBe(beforeTasks + 1);

    const beforeSessions = await value('dash_workflow_duration_seconds_count', { kind: 'session' });
    const beforeIntents = await value('dash_workflow_duration_seconds_count', { kind: 'intent' });
    await stack.startWorker();
    await waitFor(async () => (await value('dash_agents_connected')) >= 1, 30_000, 'the worker to poll');
    await waitFor(
      async () => (await value('dash_sessions_active', { status: 'running' })) === 1,
      60_000,
      'the session to run',
    );
    // The session's row says running one activity before its task's row does (two projection
    // writes), so a scrape in between still counts the task as waiting.
    await waitFor(
      async () => (await value('dash_queue_depth', { kind: 'task' })) === beforeTasks,
      30_000,
      'the task to leave the queue',
    );
    // Aborted once its agent is in its tool call, as a person would see it working.
    await waitForTool(stack, id, 'bash');

    expect((await call('POST', `/api/v1/agents/${id}/abort`, { reason: 'metrics test' })).status).toBe(202);
    await waitFor(
      async () =>
        (await value('dash_workflow_duration_seconds_count', { kind: 'session' })) === beforeSessions + 1,
      60_000,
      'the session to end',
    );
    expect(await value('dash_sessions_active', { status: 'running' })).toBe(0);
    // The standalone agent owns its intent, which ends with it.
    await waitFor(
      async () =>
        (await value('dash_workflow_duration_seconds_count', { kind: 'intent' })) === beforeIntents + 1,
      30_000,
      'the intent to end',
    );
  });

  it('serves text format 0.0.4 that promtool accepts, with HELP and TYPE for every metric', async () => {
    const { text, contentType } = await scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of NAMED) {
      expect(text).toContain(`# HELP ${name} `);
      expect(text).toMatch(new RegExp(`^# TYPE ${name} (counter|gauge|histogram)$`, 'm'));
    }
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.error, 'promtool is installed (Debian package prometheus)').toBeUndefined();
    expect({ status: check.status, out: check.stdout + check.stderr }).toEqual({ status: 0, out: '' });
  });
});
