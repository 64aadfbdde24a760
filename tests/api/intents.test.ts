// The REST surface for intents: happy path, every kind of bad input, pagination, health.
// Bad requests must leave every stored row exactly as it was.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as s from '../../drizzle/schema.js';
import { makeRepo, tempDir } from '../helpers/repo.js';
import { callApi } from '../helpers/api.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
let repo: string;
const started: string[] = [];

beforeAll(async () => {
  // No worker: these tests check the API, so workflows are started but not run.
  stack = await startTestStack({ worker: false });
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

const call = (method: string, url: string, body?: string, headers: Record<string, string> = {}) =>
  callApi(stack.app, method, url, body, headers);

async function snapshot() {
  const { db } = stack.db.database;
  return {
    intents: await db.select().from(s.intents).orderBy(s.intents.id),
    tasks: await db.select().from(s.tasks),
  };
}

describe('POST /api/v1/intents', () => {
  it('accepts an intent, stores it and starts its workflow', async () => {
    const { status, body } = await call(
      'POST',
      '/api/v1/intents',
      JSON.stringify({ intent: 'write docs', repo }),
    );
    expect(status).toBe(202);
    started.push(body.id);
    expect(body).toMatchObject({
      intent: 'write docs',
      status: 'queued',
      repo,
      base_branch: 'main',
      workflow_id: body.id,
    });
    expect(body.id).toMatch(/^int-[a-z0-9]{10}$/);
    expect(body.web_ui_url).toContain(`/workflows/${body.id}`);
    const description = await stack.client.workflow.getHandle(body.id).describe();
    expect(description.type).toBe('IntentWorkflow');
    expect(description.status.name).toBe('RUNNING');
  });

  describe('bad input gets a clear error and changes nothing', () => {
    const notGit = tempDir();
    const noCommits = tempDir();
    fs.writeFileSync(path.join(notGit, 'x'), 'x');
    execFileSync('git', ['init', '-q', noCommits]);
    const cases: {
      name: string;
      body: string;
      status: number;
      code: string;
      headers?: Record<string, string>;
    }[] = [
      {
        name: 'empty intent',
        body: JSON.stringify({ intent: '   ', repo: '/tmp' }),
        status: 400,
        code: 'validation_failed',
      },
      { name: 'missing repo', body: JSON.stringify({ intent: 'x' }), status: 400, code: 'validation_failed' },
      {
        name: 'unknown field',
        body: JSON.stringify({ intent: 'x', repo: '/tmp', colour: 'red' }),
        status: 400,
        code: 'validation_failed',
      },
      {
        name: 'wrong type',
        body: JSON.stringify({ intent: 42, repo: '/tmp' }),
        status: 400,
        code: 'validation_failed',
      },
      { name: 'malformed JSON', body: '{"intent": "x", ', status: 400, code: 'malformed_json' },
      { name: 'JSON that is not an object', body: '[1,2]', status: 400, code: 'validation_failed' },
      {
        name: 'repo that does not exist',
        body: JSON.stringify({ intent: 'x', repo: '/nonexistent/dash' }),
        status: 422,
        code: 'repo_not_found',
      },
      {
        name: 'repo that is not git',
        body: JSON.stringify({ intent: 'x', repo: notGit }),
        status: 422,
        code: 'repo_not_git',
      },
      {
        name: 'repo with no commits',
        body: JSON.stringify({ intent: 'x', repo: noCommits }),
        status: 422,
        code: 'repo_no_commits',
      },
      {
        name: 'unknown base branch',
        body: JSON.stringify({ intent: 'x', repo: '__REPO__', base_branch: 'nope' }),
        status: 422,
        code: 'repo_no_commits',
      },
      {
        name: 'oversized body',
        body: JSON.stringify({ intent: 'x'.repeat(1_100_000), repo: '/tmp' }),
        status: 413,
        code: 'body_too_large',
      },
    ];
    it.each(cases)('$name → $status $code', async (c) => {
      const before = await snapshot();
      const { status, body } = await call(
        'POST',
        '/api/v1/intents',
        c.body.replace('__REPO__', repo),
        c.headers,
      );
      expect(status).toBe(c.status);
      expect(body.error.code).toBe(c.code);
      expect(typeof body.error.message).toBe('string');
      expect(body.error.message.length).toBeGreaterThan(5);
      expect(await snapshot()).toEqual(before);
    });
  });
});

describe('POST /api/v1/intents/:id/cancel', () => {
  it('answers 409, not 500, when the workflow no longer exists (its history expired, say)', async () => {
    // The projection still says it runs; Temporal has no such workflow.
    await stack.db.database.db.insert(s.intents).values({
      id: 'int-gone000001',
      text: 'a run Temporal forgot',
      repoPath: repo,
      baseBranch: 'main',
      workflowId: 'int-gone000001',
      status: 'running',
    });
    const res = await call('POST', '/api/v1/intents/int-gone000001/cancel', '{}');
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('intent_state_conflict');
  });
});

describe('GET /api/v1/intents', () => {
  it('pages with a cursor, newest first, and filters by status', async () => {
    for (let i = 0; i < 3; i++) {
      const { body } = await call('POST', '/api/v1/intents', JSON.stringify({ intent: `page ${i}`, repo }));
      started.push(body.id);
    }
    const all = (await call('GET', '/api/v1/intents?limit=100')).body.data as {
      id: string;
      created_at: string;
    }[];
    const first = await call('GET', '/api/v1/intents?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await call('GET', `/api/v1/intents?limit=2&cursor=${first.body.next_cursor}`);
    const paged = [...first.body.data, ...second.body.data].map((x: { id: string }) => x.id);
    expect(paged).toEqual(all.slice(0, paged.length).map((x) => x.id));
    expect(new Set(paged).size).toBe(paged.length);
    const sorted = [...all].sort((a, b) => b.created_at.localeCompare(a.created_at));
    expect(all.map((x) => x.created_at)).toEqual(sorted.map((x) => x.created_at));
    const queued = await call('GET', '/api/v1/intents?status=queued&limit=100');
    expect(queued.body.data.every((x: { status: string }) => x.status === 'queued')).toBe(true);
    expect((await call('GET', '/api/v1/intents?status=completed')).body.data).toEqual([]);
  });

  it('rejects bad list parameters', async () => {
    expect((await call('GET', '/api/v1/intents?limit=0')).body.error.code).toBe('validation_failed');
    expect((await call('GET', '/api/v1/intents?status=sleeping')).status).toBe(400);
    const bad = await call('GET', '/api/v1/intents?cursor=bm9wZQ');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/cursor/);
  });
});

describe('GET /api/v1/intents/:id', () => {
  it('returns a stored intent', async () => {
    const { body } = await call('POST', '/api/v1/intents', JSON.stringify({ intent: 'show me', repo }));
    started.push(body.id);
    const got = await call('GET', `/api/v1/intents/${body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: body.id, intent: 'show me', tasks: [] });
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const missing = await call('GET', '/api/v1/intents/int-zzzzzzzzzz');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'intent_not_found', details: { id: 'int-zzzzzzzzzz' } });
    const malformed = await call('GET', '/api/v1/intents/..%2F..%2Fetc');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('validation_failed');
  });

  it('answers 404 with the error shape for unknown routes', async () => {
    const res = await call('GET', '/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('route_not_found');
  });
});

describe('health', () => {
  it('reports live and ready with the database and Temporal checked', async () => {
    expect((await call('GET', '/health/live')).body).toEqual({ status: 'ok' });
    const ready = await call('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.database.status).toBe('ok');
    expect(ready.body.checks.temporal.status).toBe('ok');
    expect((await call('GET', '/health')).body.llm).toBe('rehearsal');
  });
});
