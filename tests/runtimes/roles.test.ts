// Role tool sets are enforced by the agent process itself: real Pi, real rehearsal model.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../../core/roles.js';
import { startRehearsalServer, type RehearsalServer } from '../../rehearsal/server.js';
import type { PiEvent } from '../../runtimes/pi/rpc-process.js';
import { runPi } from '../../runtimes/pi/run.js';
import { makeRepo, tempDir } from '../helpers/repo.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { rehearsalLlm } from './agent-cli-helpers.js';

let rehearsal: RehearsalServer;

beforeAll(async () => {
  rehearsal = await startRehearsalServer({ port: 0 });
});
afterAll(async () => {
  await rehearsal?.close();
});

async function runAs(role: keyof typeof ROLES, prompt: string) {
  const repo = makeRepo({ 'README.md': '# r\n' });
  const events: PiEvent[] = [];
  const outcome = await runPi({
    cwd: repo,
    prompt,
    llm: rehearsalLlm(rehearsal.url, 'openai', 'k'),
    sessionDir: tempDir(),
    tools: ROLES[role].tools,
    systemPrompt: ROLES[role].systemPrompt,
    onEvent: (e) => events.push(e),
  });
  const toolEnds = events.filter((e) => e.type === 'tool_execution_end');
  return { repo, outcome, toolEnds };
}

describe('roles', () => {
  it("refuses a Reviewer's attempt to write a file", async () => {
    const { repo, outcome, toolEnds } = await runAs('reviewer', '[rehearsal:write-file] sneaky edit');
    expect(toolEnds).toHaveLength(1);
    expect(toolEnds[0]).toMatchObject({ toolName: 'write', isError: true });
    expect(JSON.stringify(toolEnds[0]?.result)).toMatch(/not found/i);
    expect(fs.existsSync(path.join(repo, 'rehearsal.txt'))).toBe(false);
    expect(outcome.stopReason).toBe('stop');
    // The model was only ever offered the reviewer's tools.
    expect(rehearsal.requests.at(-1)?.rule).toBe('write-file');
  });

  it('lets a Worker write the same file', async () => {
    const { repo, toolEnds } = await runAs('worker', '[rehearsal:write-file] real edit');
    expect(toolEnds[0]).toMatchObject({ toolName: 'write', isError: false });
    expect(fs.readFileSync(path.join(repo, 'rehearsal.txt'), 'utf8')).toBe('real edit\n');
  });
});

describe('GET /api/v1/roles', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('lists the five roles with their enforced tools', async () => {
    const res = await stack.app.request('/api/v1/roles');
    const body = (await res.json()) as { data: { name: string; tools: string[] }[] };
    expect(body.data.map((r) => r.name)).toEqual([
      'coordinator',
      'worker',
      'reviewer',
      'refinery',
      'monitor',
    ]);
    expect(body.data.find((r) => r.name === 'reviewer')?.tools).toEqual(['read', 'ls']);
    expect(body.data.find((r) => r.name === 'worker')?.tools).toContain('write');
  });
});
