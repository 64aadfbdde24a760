// Pi running a task through Dash's LLM proxy: the session gets a virtual key of its own, every
// model call it makes lands in the audit table attributed to the session and its intent, and the
// key is revoked when the run ends. Real Pi, real proxy over HTTP, rehearsal upstream.
import { serve, type ServerType } from '@hono/node-server';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { proxyKeys, proxyRequests } from '../../drizzle/proxy-schema.js';
import * as s from '../../drizzle/schema.js';
import { freePort } from '../../temporal-dev/dev-server.js';
import { callApi } from '../helpers/api.js';
import { gitIn, makeRepo } from '../helpers/repo.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
let server: ServerType;

beforeAll(async () => {
  const port = await freePort();
  stack = await startTestStack({
    dbKind: 'postgres',
    env: { DASH_AGENT_PROXY: 'on', DASH_API_URL: `http://127.0.0.1:${port}` },
    scenarios: [
      {
        name: 'via-proxy',
        rules: [
          {
            name: 'vp-plan',
            when: { system: 'Dash planner', user: 'through the proxy' },
            steps: [{ text: JSON.stringify({ tasks: [{ id: 'note', title: 'Note', prompt: 'VP-NOTE' }] }) }],
          },
          {
            name: 'vp-note',
            when: { user: 'VP-NOTE', hasTools: true },
            steps: [
              { tool: { name: 'write', arguments: { path: 'note.txt', content: 'via proxy\n' } } },
              { text: 'written' },
            ],
          },
        ],
      },
    ],
  });
  server = serve({ fetch: stack.app.fetch, hostname: '127.0.0.1', port });
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await stack?.stop();
});

it("runs Pi through the proxy with the session's own key, audited per call and revoked at the end", async () => {
  const repo = makeRepo({ 'README.md': '# p\n' });
  const res = await callApi(stack.app, 'POST', '/api/v1/intents', {
    intent: 'write a note through the proxy',
    repo,
  });
  const id = res.body.id as string;
  const result = await stack.client.workflow.getHandle(id).result();
  expect(gitIn(repo, 'show', `${result.resultBranch}:note.txt`)).toBe('via proxy\n');

  const { db } = stack.db.database;
  const sessionId = `${id}-note`;
  // The audit rows are written in batches; wait for the flush.
  let calls: (typeof proxyRequests.$inferSelect)[] = [];
  for (let i = 0; i < 40 && calls.length < 2; i++) {
    calls = await db.select().from(proxyRequests).where(eq(proxyRequests.sessionId, sessionId));
    if (calls.length < 2) await new Promise((r) => setTimeout(r, 250));
  }
  // Pi made two model calls (the tool call, then the final answer), both through the proxy.
  expect(calls).toHaveLength(2);
  for (const call of calls) {
    expect(call).toMatchObject({ intentId: id, provider: 'rehearsal', status: 200 });
    expect(call.inputTokens).toBeGreaterThan(0);
    expect(call.costUsd).toBeGreaterThan(0);
  }
  // The upstream saw the proxy, not Pi: the agent never held a provider key.
  const upstreamCalls = stack.rehearsal.requests.filter((r) => r.rule === 'vp-note');
  expect(upstreamCalls).toHaveLength(2);

  const [key] = await db.select().from(proxyKeys).where(eq(proxyKeys.sessionId, sessionId));
  expect(key?.intentId).toBe(id);
  expect(key?.revokedAt).not.toBeNull();
  const [session] = await db.select().from(s.agentSessions).where(eq(s.agentSessions.id, sessionId));
  const audited = calls.reduce((sum, c) => sum + c.inputTokens + c.outputTokens, 0);
  expect(session!.tokensInput + session!.tokensOutput).toBe(audited);
});
