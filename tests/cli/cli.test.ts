// The built `dash` binary as a user runs it: stdout, --json output and exit statuses.
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../temporal-dev/dev-server.js';
import { makeDemoRepo, tempDir } from '../helpers/repo.js';
import { runDash, runDashOnTty } from '../helpers/api.js';
import { waitFor } from '../helpers/processes.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
let server: ServerType;
let apiUrl: string;

beforeAll(async () => {
  stack = await startTestStack();
  const port = await freePort();
  server = serve({ fetch: stack.app.fetch, hostname: '127.0.0.1', port });
  apiUrl = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await stack?.stop();
});

const dash = (args: string[], env: Record<string, string> = {}) =>
  runDash(args, { ...process.env, DASH_API_URL: apiUrl, DASH_HOME: stack.config.home, ...env });

describe('dash CLI', () => {
  it('runs an intent with `dash do --json` and prints the result as JSON', async () => {
    const repo = makeDemoRepo();
    const r = await dash([
      'do',
      'Add a greet(name) function with a test and document it',
      '--repo',
      repo,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe('completed');
    expect(out.result_branch).toBe(`dash/${out.id}/result`);
    expect(out.files_changed).toContain('src/greet.js');
    expect(out.tokens.total).toBeGreaterThan(0);
    expect(out.tasks).toHaveLength(2);
    expect(r.stderr).toContain('REHEARSAL');
  });

  it('prints progress, the result branch, tokens, cost and the Web UI link without --json', async () => {
    const repo = makeDemoRepo();
    const r = await dash(['do', 'greet people please', '--repo', repo, '--poll-interval', '300']);
    expect(r.code).toBe(0);
    // Phases can pass between two polls; the final state of every task is always shown.
    expect(r.stdout).toMatch(/Intent int-[a-z0-9]{10} accepted/);
    expect(r.stdout).toMatch(/task greet-function: completed \(2 file\(s\), \d+ tokens\)/);
    expect(r.stdout).toMatch(/task readme-usage: completed/);
    expect(r.stdout).toMatch(/Result branch: dash\/int-[a-z0-9]{10}\/result/);
    expect(r.stdout).toMatch(/Tokens: +\d+/);
    expect(r.stdout).toMatch(/Cost: +\$\d+\.\d{4} \(rehearsal prices\)/);
    expect(r.stdout).toMatch(/Web UI: +http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows\/int-/);
  });

  const ESC = String.fromCharCode(27);

  it('on a terminal, shows one task table redrawn in place instead of a line per change', async () => {
    const repo = makeDemoRepo();
    const r = await runDashOnTty(['do', 'greet people please', '--repo', repo, '--poll-interval', '300'], {
      ...process.env,
      DASH_API_URL: apiUrl,
      DASH_HOME: stack.config.home,
    });
    expect(r.code).toBe(0);
    // Each redraw moves the cursor back over the previous table and clears below it.
    expect(r.stdout).toMatch(new RegExp(`${ESC}\\[\\d+A${ESC}\\[J`));
    expect(r.stdout).toMatch(/ {2}greet-function +completed /);
    expect(r.stdout).not.toMatch(/task greet-function: completed/);
    expect(r.stdout).toMatch(/Result branch: dash\/int-[a-z0-9]{10}\/result/);
  });

  it('exits 2 with a clear message for an empty intent', async () => {
    const r = await dash(['do', '  ']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/intent is empty/);
  });

  it('exits 2 for a repository that does not exist or is not git, naming the problem', async () => {
    const missing = await dash(['do', 'x', '--repo', '/nonexistent/repo']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/does not exist.*repo_not_found/s);
    const notGit = await dash(['do', 'x', '--repo', tempDir()]);
    expect(notGit.code).toBe(2);
    expect(notGit.stderr).toMatch(/not a git repository/);
  });

  it('exits 3 when the API it is pointed at is down', async () => {
    const r = await dash(['do', 'x'], { DASH_API_URL: `http://127.0.0.1:${await freePort()}` });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/No Dash API answers/);
    const health = await dash(['health'], { DASH_API_URL: `http://127.0.0.1:${await freePort()}` });
    expect(health.code).toBe(3);
    expect(health.stderr).toMatch(/Cannot reach the Dash API/);
  });

  it('reports health and status, also as JSON', async () => {
    const health = await dash(['health', '--json']);
    expect(health.code).toBe(0);
    expect(JSON.parse(health.stdout)).toMatchObject({
      status: 'ready',
      checks: { database: { status: 'ok' }, temporal: { status: 'ok' } },
    });
    const status = await dash(['status', '--json']);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout);
    expect(parsed.api.live).toBe(true);
    expect(parsed.intents.length).toBeGreaterThanOrEqual(2);
    const plain = await dash(['status']);
    expect(plain.stdout).toMatch(/int-[a-z0-9]{10} +completed/);
  });

  it('`dash down` says so when nothing runs', async () => {
    const r = await dash(['down', '--json'], { DASH_HOME: tempDir() });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ stopped: false, pid: null });
  });

  it('swarm create returns at once; swarm approve decides its plan; a refused control exits 2 saying why', async () => {
    const repo = makeDemoRepo();
    const created = await dash([
      'swarm',
      'create',
      'greet people please',
      '--repo',
      repo,
      '--approve-plan',
      '--json',
    ]);
    expect(created.code).toBe(0);
    const { id } = JSON.parse(created.stdout) as { id: string };
    expect(id).toMatch(/^int-[a-z0-9]{10}$/);
    const status = async () =>
      ((await (await stack.app.request(`/api/v1/intents/${id}`)).json()) as any).status;
    await waitFor(async () => (await status()) === 'awaiting_approval', 60_000, 'the plan to await approval');

    const early = await dash(['swarm', 'pause', id]);
    expect(early.code).toBe(2);
    expect(early.stderr).toMatch(/only a running swarm can be paused\. \[intent_state_conflict\]/);
    const approved = await dash(['swarm', 'approve', id, '--json']);
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout)).toEqual({ id, approved: true });
    await stack.client.workflow.getHandle(id).result();
    expect(await status()).toBe('completed');
    expect((await dash(['swarm', 'resume', id])).code).toBe(2);
  });

  it('has --help with examples for every command', async () => {
    const commands = [
      'do',
      'up',
      'down',
      'status',
      'health',
      'agent list',
      'agent show',
      'agent steer',
      'agent terminate',
      'worktree list',
      'pi session tree',
      'pi session fork',
      'pi tree',
      'pi fork',
      'swarm create',
      'swarm approve',
      'swarm pause',
      'swarm resume',
    ];
    for (const cmd of commands) {
      const r = await dash([...cmd.split(' '), '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/EXAMPLES/);
      expect(r.stdout).toMatch(/--json/);
    }
  });
});
