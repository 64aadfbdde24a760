// The OpenAPI document: two maintained validators accept it, every route mounted on the app is in
// it (and nothing else is), the rendered page works offline, and real replies match the documented
// response schemas.
import { compileErrors, validate as validateOpenApi } from '@readme/openapi-parser';
import { Validator } from '@seriousme/openapi-schema-validator';
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { z } from 'zod';
import * as r from '../../api/openapi/responses.js';
import { routes, type RouteDoc } from '../../api/openapi/registry.js';
import { DashApiError, DashClient } from '../../sdk/client.js';
import { callApi } from '../helpers/api.js';
import { requireBuild, ROOT } from '../helpers/processes.js';
import { makeRepo } from '../helpers/repo.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
let doc: any;
const started: string[] = [];

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  const res = await stack.app.request('/api/v1/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  doc = await res.json();
});

afterAll(async () => {
  for (const id of started)
    await stack.client.workflow
      .getHandle(id)
      .terminate('test cleanup')
      .catch(() => undefined);
  await stack?.stop();
});

/**
 * Mounted but not in the document, on purpose:
 * - `ALL` entries are middleware (`use`: metrics, body limit), not endpoints.
 * - `/proxy/*` is the LLM proxy: OpenAI- and Anthropic-compatible wire formats, authenticated by
 *   virtual keys, documented in proxy/README.md and by the vendors' own API references.
 */
const undocumented = (method: string, path: string) => method === 'ALL' || path.startsWith('/proxy/');

/** Hono's `/api/v1/intents/:id` → OpenAPI's `/api/v1/intents/{id}`; a mounted `/` has no trailing slash. */
const openApiPath = (honoPath: string) =>
  honoPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/(.)\/$/, '$1');

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and @seriousme/openapi-schema-validator accepts it', async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('@readme/openapi-parser accepts it (schemas, duplicate operation ids, path parameters)', async () => {
    const result = await validateOpenApi(structuredClone(doc));
    expect(result.valid ? '' : compileErrors(result)).toBe('');
    expect(result.warnings).toEqual([]);
  });

  it('describes every route mounted on the app, and only those', () => {
    const mounted = new Set(
      stack.app.routes
        .filter((route) => !undocumented(route.method, route.path))
        .map((route) => `${route.method.toLowerCase()} ${openApiPath(route.path)}`),
    );
    const documented = new Set(
      Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method} ${path}`),
      ),
    );
    expect([...mounted].filter((x) => !documented.has(x))).toEqual([]);
    expect([...documented].filter((x) => !mounted.has(x))).toEqual([]);
    expect(mounted.size).toBeGreaterThan(30);
  });

  it('takes request schemas from the route files: path parameters, queries and bodies', () => {
    const create = doc.paths['/api/v1/intents'].post;
    expect(create.requestBody.required).toBe(true);
    expect(create.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      required: ['intent', 'repo'],
      additionalProperties: false,
      properties: { intent: { type: 'string', minLength: 1, maxLength: 10_000 } },
    });
    const show = doc.paths['/api/v1/intents/{id}'].get;
    expect(show.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^int-[a-z0-9]{10}$' } },
    ]);
    expect(show.responses['404']['x-error-codes']).toEqual(['intent_not_found']);
    const list = doc.paths['/api/v1/agents'].get.parameters.map((p: any) => [p.name, p.required]);
    expect(list).toEqual([
      ['limit', false],
      ['cursor', false],
      ['status', false],
      ['intent_id', false],
    ]);
    // A body whose fields all have defaults may be left out.
    expect(doc.paths['/api/v1/agents/{id}/abort'].post.requestBody.required).toBe(false);
    expect(doc.paths['/api/v1/agents/{id}/steer'].post.responses['400']['x-error-codes']).toEqual([
      'validation_failed',
      'malformed_json',
    ]);
    expect(doc.components.schemas.Error.required).toEqual(['error']);
  });

  it('renders as a self-contained reference page', async () => {
    const res = await stack.app.request('/api/v1/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    for (const route of routes) expect(html).toContain(`<code>${route.path}</code>`);
    expect(html).toContain('href="openapi.json"');
    // Nothing is loaded from elsewhere: no script at all, no external stylesheet, image or font.
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
  });
});

describe('real replies match the documented response schemas', () => {
  const call = (method: string, url: string, body?: unknown) => callApi(stack.app, method, url, body);
  const expectShape = (schema: z.ZodType, body: unknown) => {
    const parsed = schema.safeParse(body);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  };

  it('intents, agents, worktrees, roles, usage, health and errors', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n' });
    const created = await call('POST', '/api/v1/intents', { intent: 'document the API', repo });
    expect(created.status).toBe(202);
    started.push(created.body.id);
    expectShape(r.Intent, created.body);
    expectShape(r.IntentDetail, (await call('GET', `/api/v1/intents/${created.body.id}`)).body);
    const page = await call('GET', '/api/v1/intents?limit=1');
    expect(page.body.data).toHaveLength(1);
    expectShape(r.pageOf(r.Intent), page.body);

    const agent = await call('POST', '/api/v1/agents', { repo, prompt: 'say hi' });
    expect(agent.status).toBe(202);
    started.push(agent.body.workflow_id);
    expectShape(r.CreatedAgent, agent.body);

    expectShape(r.pageOf(r.Session), (await call('GET', '/api/v1/agents')).body);
    expectShape(r.pageOf(r.Worktree), (await call('GET', '/api/v1/worktrees')).body);
    expectShape(r.Roles, (await call('GET', '/api/v1/roles')).body);
    expectShape(r.Usage, (await call('GET', '/api/v1/usage')).body);
    expectShape(r.Ready, (await call('GET', '/health/ready')).body);

    const missing = await call('GET', '/api/v1/intents/int-zzzzzzzzzz');
    expect(missing.status).toBe(404);
    expectShape(r.ErrorBody, missing.body);
  });
});

describe('the SDK', () => {
  it('has a method for every documented route (the /api/v1/pi/sessions aliases and the HTML page aside)', async () => {
    const server = serve({ fetch: stack.rawApp.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const { port } = server.address() as AddressInfo;
    const sdk = new DashClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: stack.apiKey });
    const called: string[] = [];
    const realFetch = globalThis.fetch;
    const spy = vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      called.push(`${(init?.method ?? 'GET').toLowerCase()} ${url.pathname}`);
      return realFetch(input, init);
    });
    const id = 'int-0000000000';
    const calls: (() => Promise<unknown>)[] = [
      () => sdk.health(),
      () => sdk.live(),
      () => sdk.ready(),
      () => sdk.metrics(),
      () => sdk.createIntent({ intent: 'x', repo: '/nowhere' }),
      () => sdk.listIntents(),
      () => sdk.getIntent(id),
      () => sdk.retryIntent(id),
      () => sdk.cancelIntent(id),
      () => sdk.decidePlan(id, true),
      () => sdk.decidePlan(id, false),
      () => sdk.pauseIntent(id),
      () => sdk.resumeIntent(id),
      () => sdk.resetIntent(id),
      () => sdk.listSwarms(),
      () => sdk.getSwarm(id),
      () => sdk.listTasks(),
      () => sdk.getTask(`${id}-t1`),
      () => sdk.createAgent({ repo: '/nowhere', prompt: 'x' }),
      () => sdk.listAgents(),
      () => sdk.getAgent('a'),
      () => sdk.getAgentTree('a'),
      () => sdk.forkAgent('a', {}),
      () => sdk.steerAgent('a', 'x'),
      () => sdk.abortAgent('a'),
      () => sdk.pauseAgent('a'),
      () => sdk.resumeAgent('a'),
      () => sdk.navigateAgent('a', { entry_id: 'e' }),
      () => sdk.compactAgent('a'),
      () => sdk.createWorktree({ repo: '/nowhere' }),
      () => sdk.listWorktrees(),
      () => sdk.getWorktree('wt-0000000000'),
      () => sdk.cleanupWorktree('wt-0000000000'),
      () => sdk.listRoles(),
      () => sdk.usage(),
      async () => {
        for await (const _ of sdk.events({ follow: false })) void _;
      },
      () => sdk.whoami(),
      () => sdk.createApiKey({ name: 'sdk coverage' }),
      () => sdk.listApiKeys(),
      () => sdk.revokeApiKey('vk_0000000000000000'),
      () => sdk.openApi(),
    ];
    try {
      for (const call of calls)
        await call().catch((err: unknown) => expect(err).toBeInstanceOf(DashApiError));
      spy.mockRestore();
      // The package entry `dash/sdk` (built, with its types) is what an integrator imports.
      requireBuild('dist/sdk/index.d.ts');
      const script = `import { DashClient } from 'dash/sdk';
        const me = await new DashClient({ baseUrl: process.argv[1], apiKey: process.env.KEY }).whoami();
        console.log(JSON.stringify(me));`;
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          ['--input-type=module', '-e', script, `http://127.0.0.1:${port}`],
          { cwd: ROOT, env: { ...process.env, KEY: stack.apiKey } },
          (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)),
        ),
      );
      expect(JSON.parse(out)).toMatchObject({ tenant: 'default', scope: 'admin' });
    } finally {
      spy.mockRestore();
      server.close();
    }
    const hit = (route: RouteDoc) => {
      const pattern = new RegExp(`^${route.method} ${route.path.replace(/\{\w+\}/g, '[^/]+')}$`);
      return called.some((c) => pattern.test(c));
    };
    const expected = routes.filter((d) => !d.path.startsWith('/api/v1/pi/') && d.path !== '/api/v1/docs');
    expect(expected.filter((d) => !hit(d)).map((d) => `${d.method} ${d.path}`)).toEqual([]);
    // A method that exists but was left out of the list above fails here.
    const methods = Object.getOwnPropertyNames(DashClient.prototype).filter(
      (m) => !['constructor', 'request', 'apiKey', 'openEventStream', 'streamEvents'].includes(m),
    );
    expect(methods.length).toBeLessThanOrEqual(calls.length);
  });
});
