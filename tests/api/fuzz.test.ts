// Fuzzing every route of the real app on the real test stack (PGlite, Temporal dev server, no
// worker): random and malformed bodies (not JSON, wrong types, huge strings, nested junk), odd
// content types and headers, odd path ids and query strings. Whatever comes in: no 5xx, always a
// reply in the route's error shape, and no stored row changed. Runs are bounded (fixed seed
// per route, RUNS each) so the file stays under a minute.
import { is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes as documented } from '../../api/openapi/registry.js';
import { closeEventStreams } from '../../api/routes/events.js';
import { ErrorBody } from '../../api/openapi/responses.js';
import * as s from '../../drizzle/schema.js';
import { makeRepo } from '../helpers/repo.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

const RUNS = Number(process.env.DASH_FUZZ_RUNS ?? 25);

let stack: TestStack;
let repo: string;
const started: string[] = [];

// Rows the control routes find, so requests get past "not found" into the handlers. None of them
// has a workflow, and their states refuse every control (ended intent, ended session, removed
// worktree): any request that changed a row would be a bug.
const SEED = {
  intent: 'int-fuzzseed01',
  session: 'int-fuzzseed01-agent',
  worktree: 'wt-fuzzseed01',
  entry: 'entry-1',
};

beforeAll(async () => {
  stack = await startTestStack({ worker: false });
  repo = makeRepo({ 'a.txt': 'a\n' });
  const { db } = stack.db.database;
  await db.insert(s.intents).values({
    id: SEED.intent,
    text: 'seeded',
    repoPath: repo,
    baseBranch: 'main',
    workflowId: SEED.intent,
    status: 'completed',
  });
  await db.insert(s.tasks).values({
    id: SEED.session,
    intentId: SEED.intent,
    key: 'agent',
    title: 'seeded',
    prompt: 'seeded',
    status: 'completed',
  });
  await db.insert(s.agentSessions).values({
    id: SEED.session,
    intentId: SEED.intent,
    taskId: SEED.session,
    workflowId: `${SEED.intent}-task-agent`,
    status: 'completed',
  });
  await db.insert(s.sessionEntries).values({
    sessionId: SEED.session,
    entryId: SEED.entry,
    position: 0,
    type: 'message',
    preview: 'hello',
    isLeaf: true,
  });
  await db.insert(s.worktrees).values({
    id: SEED.worktree,
    repoPath: repo,
    path: `${repo}-wt`,
    branch: 'dash/worktrees/seed',
    baseRef: 'main',
    status: 'removed',
  });
});

afterAll(async () => {
  closeEventStreams();
  for (const id of started)
    await stack.client.workflow
      .getHandle(id)
      .terminate('test cleanup')
      .catch(() => undefined);
  await stack?.stop();
});

/** Every table's rows, in a stable order. */
async function snapshot(): Promise<Record<string, string[]>> {
  const { db } = stack.db.database;
  const out: Record<string, string[]> = {};
  for (const [name, table] of Object.entries(s))
    if (is(table, PgTable))
      out[name] = (await db.select().from(table)).map((row) => JSON.stringify(row)).sort();
  return out;
}

// ---- What gets thrown ----

const b64 = (text: string) => Buffer.from(text).toString('base64url');

/** Strings with everything that tends to break things: NUL, control characters, lone surrogates. */
const nasty = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    '../../etc/passwd',
    '%00',
    '${x}',
    "'; drop table intents; --",
  ),
);

/** Percent-encodes when it can; lone surrogates cannot be encoded, so they go as a broken escape. */
const encode = (text: string) => {
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ED%A0%80';
  }
};

const pathId = fc.oneof(
  fc.constantFrom(SEED.intent, SEED.session, SEED.worktree, 'int-zzzzzzzzzz', 'wt-0000000000'),
  fc.stringMatching(/^[a-z0-9-]{1,40}$/),
  nasty.filter((x) => x.length > 0).map(encode),
  // Sent as they are: broken escapes, encoded slashes and NUL, dots, very long ids.
  fc.constantFrom('%', '%E0%A4%A', '%2F', '..%2F..%2Fetc', '%00', '.', '..', 'a%20b', 'x'.repeat(5000)),
  fc.string({ minLength: 200, maxLength: 3000 }).map(encode),
);

/** Cursors: valid base64url of junk, of out-of-range dates, of ids with NUL; and not base64 at all. */
const cursor = fc.oneof(
  fc.tuple(fc.date({ noInvalidDate: true }), nasty).map(([d, id]) => b64(`${d.toISOString()}|${id}`)),
  fc.tuple(nasty, nasty).map(([a, b]) => b64(`${a}|${b}`)),
  nasty,
);

const queryValue = fc.oneof(
  nasty,
  cursor,
  fc.integer().map(String),
  fc.double().map(String),
  fc.constantFrom('-1', '0', '1', '100', '101', '1e309', 'NaN', 'true', 'queued', 'user,model,day', ',,,'),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999+23:59', '2024-02-30T00:00:00Z'),
);

const json = (value: unknown) => JSON.stringify(value);

/** Bodies: objects with the route's own field names and wrong or odd values, random JSON, broken JSON. */
const bodyOf = (fields: string[]) => {
  const field = fields.length
    ? fc.oneof(fc.constantFrom(...fields), fc.string({ maxLength: 12 }))
    : fc.string();
  const value = fc.oneof(
    nasty,
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(null, true, 0, -1, 1e308, [], {}, '/tmp', '/nonexistent/repo', 'main', SEED.entry),
  );
  return fc.oneof(
    { weight: 6, arbitrary: fc.dictionary(field, value, { maxKeys: 6 }).map(json) },
    { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }).map(json) },
    // Not JSON: random text, valid JSON cut short, an empty body.
    { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.dictionary(field, value, { minKeys: 1, maxKeys: 4 }), fc.nat())
        .map(([o, n]) => json(o).slice(0, Math.max(1, n % json(o).length))),
    },
    { weight: 1, arbitrary: fc.constant('') },
    // Deep nesting, closed and unclosed.
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 50, max: 20_000 })
        .chain((n) => fc.constantFrom('['.repeat(n) + ']'.repeat(n), '{"a":'.repeat(n), '['.repeat(n))),
    },
    // Huge strings: under the 1 MiB limit in a known field, and over it.
    {
      weight: 1,
      arbitrary: fc
        .tuple(field, fc.constantFrom(100_000, 900_000, 1_100_000))
        .map(([f, n]) => json({ [f]: 'x'.repeat(n) })),
    },
  );
};

const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json; charset=utf-16',
  'application/vnd.api+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'multipart/form-data',
  'application/octet-stream',
  '*/*',
  'json',
  ';;;',
);

/** Header values must be bytes; printable ASCII is what a client can send. */
const headerText = fc
  .string({ unit: 'binary-ascii', maxLength: 60 })
  .map((x) => x.replace(/[^\x20-\x7e]/g, ''));
const extraHeaders = fc.record(
  {
    accept: fc.constantFrom('application/json', 'text/html', '*/*', 'nonsense'),
    authorization: fc.oneof(
      headerText.map((t) => `Bearer ${t}`),
      fc.constantFrom('Bearer a.b.c', 'Bearer eyJhbGciOiJub25lIn0.e30.', 'Basic Og==', 'Bearer '),
    ),
    'x-api-key': headerText,
    'x-junk': headerText,
  },
  { requiredKeys: [] },
);

// ---- The routes: every one documented, and the proxy's ----
// vitest collects tests before the stack is up, so the list comes from the OpenAPI registry plus
// the proxy's routes (documented in proxy/README.md); tests/api/openapi.test.ts checks that every
// route mounted on the app is in the registry, and the first test here that every one listed is
// mounted. So a new route is fuzzed as soon as it is documented, and must be documented.

const PROXY_ROUTES = [
  'POST /proxy/v1/chat/completions',
  'POST /proxy/v1/messages',
  'GET /proxy/v1/models',
  'GET /proxy/metrics',
  'GET /proxy/health',
];
const PROXY_FIELDS = ['model', 'messages', 'max_tokens', 'stream', 'system', 'temperature'];

interface Target {
  name: string;
  method: string;
  /** Hono style: `/api/v1/intents/:id`. */
  path: string;
  queryKeys: string[];
  bodyKeys: string[];
  /** The proxy answers errors in the OpenAI or Anthropic shape, the rest of the app in Dash's. */
  proxy: boolean;
}

const keysOf = (schema: unknown): string[] =>
  schema && typeof schema === 'object' && 'shape' in schema ? Object.keys(schema.shape as object) : [];

const TARGETS: Target[] = [
  ...documented.map((d) => {
    const path = d.path.replace(/\{(\w+)\}/g, ':$1');
    const method = d.method.toUpperCase();
    return {
      name: `${method} ${path}`,
      method,
      path,
      queryKeys: keysOf(d.query),
      bodyKeys: keysOf(d.body),
      proxy: false,
    };
  }),
  ...PROXY_ROUTES.map((name) => {
    const [method, path] = name.split(' ') as [string, string];
    return {
      name,
      method,
      path,
      queryKeys: [],
      bodyKeys: method === 'POST' ? PROXY_FIELDS : [],
      proxy: true,
    };
  }),
];

function requestOf(t: Target) {
  const query = (q: Record<string, string>) => `?${new URLSearchParams(q).toString()}`;
  return fc.record({
    id: pathId,
    query: fc.oneof(
      // The route's own parameters, each there or not, with odd values (cursors for `cursor`).
      {
        weight: 4,
        arbitrary: fc
          .record(Object.fromEntries(t.queryKeys.map((k) => [k, k === 'cursor' ? cursor : queryValue])), {
            requiredKeys: [],
          })
          .map((q) => query(q as Record<string, string>)),
      },
      {
        weight: 1,
        arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), queryValue, { maxKeys: 4 }).map(query),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '',
          '?',
          '?&&',
          '?limit=%',
          '?cursor=%E0%A4%A',
          '?status[]=x',
          '?=x',
          `?${'a=b&'.repeat(500)}`,
        ),
      },
    ),
    body:
      t.method === 'GET'
        ? fc.constant(undefined)
        : fc.option(bodyOf(t.bodyKeys), { nil: undefined, freq: 6 }),
    contentType,
    headers: extraHeaders,
  });
}

describe('fuzzing every route', () => {
  it('fuzzes routes that are mounted on the app', () => {
    const mounted = new Set(stack.app.routes.map((r) => `${r.method} ${r.path.replace(/(.)\/$/, '$1')}`));
    expect(TARGETS.filter((t) => !mounted.has(t.name)).map((t) => t.name)).toEqual([]);
    expect(TARGETS.filter((t) => t.path.includes(':id')).length).toBeGreaterThan(15);
  });

  it.each(TARGETS.map((t) => [t.name, t] as const))(
    '%s: no 5xx, the error shape, no row changed',
    async (name, target) => {
      const before = await snapshot();
      await fc.assert(
        fc.asyncProperty(requestOf(target), async (req) => {
          const url = target.path.replace(':id', req.id) + req.query;
          const headers: Record<string, string> = { ...req.headers };
          if (req.contentType) headers['content-type'] = req.contentType;
          const res = await stack.app.request(url, { method: target.method, headers, body: req.body });
          const type = res.headers.get('content-type') ?? '';
          // A stream (SSE) never ends by itself: its status and type are the answer.
          const text = /^text\/event-stream/.test(type) ? (await res.body?.cancel(), '') : await res.text();
          const where = `${target.method} ${url.slice(0, 300)} → ${res.status} ${text.slice(0, 300)}`;
          expect(res.status, where).toBeLessThan(500);
          if (res.status >= 400 || /^application\/json/.test(type)) {
            let body: any;
            expect(() => (body = JSON.parse(text)), where).not.toThrow();
            if (res.status >= 400 && !target.proxy) {
              const parsed = ErrorBody.safeParse(body);
              expect(parsed.success ? [] : parsed.error.issues, where).toEqual([]);
            } else if (res.status >= 400) {
              expect(typeof body?.error?.message, where).toBe('string');
            }
          }
          // Comparing every table after every request names the request that changed one.
          expect(await snapshot(), where).toEqual(before);
        }),
        { numRuns: RUNS, seed: seedOf(name), endOnFailure: true },
      );
    },
  );
});

describe('text fields that reach the database, with a repository that exists', () => {
  // Bodies that pass every check but carry odd text: control characters and NUL, which
  // PostgreSQL refuses in text columns, lone surrogates, long and empty strings.
  const text = fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
    fc.constantFrom('a\u0000b', '\u0000', 'x\ud800y', '\u202e\ufeff', ' '.repeat(3)),
  );

  it('POST /api/v1/agents answers 202 or a 4xx that changed nothing', async () => {
    await fc.assert(
      fc.asyncProperty(text, fc.option(text, { nil: undefined }), async (prompt, title) => {
        const before = await snapshot();
        const res = await stack.app.request('/api/v1/agents', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: json({ repo, prompt, ...(title !== undefined && { title }) }),
        });
        const body = (await res.json()) as any;
        const where = `${json({ prompt, title })} → ${res.status} ${json(body)}`;
        expect(res.status, where).toBeLessThan(500);
        if (res.status === 202) started.push(body.workflow_id);
        else {
          expect(ErrorBody.safeParse(body).success, where).toBe(true);
          expect(await snapshot(), where).toEqual(before);
        }
      }),
      { numRuns: 15, seed: seedOf('agents text'), endOnFailure: true },
    );
  });

  it('POST /api/v1/intents answers 202 or a 4xx that changed nothing', async () => {
    await fc.assert(
      fc.asyncProperty(text, fc.option(text, { nil: undefined }), async (intent, gate) => {
        const before = await snapshot();
        const res = await stack.app.request('/api/v1/intents', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: json({ repo, intent, ...(gate !== undefined && { gate }) }),
        });
        const body = (await res.json()) as any;
        const where = `${json({ intent, gate })} → ${res.status} ${json(body)}`;
        expect(res.status, where).toBeLessThan(500);
        if (res.status === 202) started.push(body.workflow_id);
        else {
          expect(ErrorBody.safeParse(body).success, where).toBe(true);
          expect(await snapshot(), where).toEqual(before);
        }
      }),
      { numRuns: 15, seed: seedOf('intents text'), endOnFailure: true },
    );
  });
});

/** A fixed seed per route, so a failure reproduces; DASH_FUZZ_SEED explores other inputs. */
function seedOf(name: string): number {
  let h = Number(process.env.DASH_FUZZ_SEED ?? 7);
  for (const ch of name) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h;
}
