// The Claude Code runtime with the real `claude` binary (@anthropic-ai/claude-code) against the
// real rehearsal server (Anthropic messages API, streaming), in real git repositories.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../../core/roles.js';
import { startRehearsalServer, type RehearsalServer } from '../../rehearsal/server.js';
import { claudeCodeRuntime } from '../../runtimes/claude-code/runtime.js';
import type { RuntimeControl, RuntimeEvent, RuntimeRunOptions } from '../../runtimes/types.js';
import { waitFor } from '../helpers/processes.js';
import { makeRepo, tempDir } from '../helpers/repo.js';
import { descendantsRunning, isRunning, rehearsalLlm, requestsOf, tokensOf } from './agent-cli-helpers.js';

let rehearsal: RehearsalServer;

beforeAll(async () => {
  rehearsal = await startRehearsalServer({ port: 0 });
});
afterAll(async () => {
  await rehearsal?.close();
});

function run(prompt: string, extra: Partial<RuntimeRunOptions> = {}) {
  const repo = makeRepo({ 'README.md': '# original\n' });
  const home = tempDir('dash-claude-home-');
  const sessionDir = tempDir('dash-claude-session-');
  const events: RuntimeEvent[] = [];
  const outcome = claudeCodeRuntime.run({
    cwd: repo,
    prompt,
    llm: rehearsalLlm(rehearsal.url, 'anthropic', 'k-claude-test'),
    sessionDir,
    tools: ROLES.worker.tools,
    systemPrompt: ROLES.worker.systemPrompt,
    // A HOME of its own, to show Claude Code writes nothing outside its session's config dir.
    env: { HOME: home },
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { repo, home, sessionDir, events, outcome };
}

describe('Claude Code runtime', () => {
  it('edits a file through its tools and reports the answer, tool calls and usage the model sent', async () => {
    const tag = `tag-${Date.now()}`;
    const { repo, home, sessionDir, events, outcome } = run(`[rehearsal:rewrite-readme] ${tag}`);
    const result = await outcome;

    expect(result).toMatchObject({ stopReason: 'stop', errorMessage: undefined, toolCalls: 2 });
    expect(result.finalText).toBe(`rewrote README.md for ${tag}`);
    expect(fs.readFileSync(path.join(repo, 'README.md'), 'utf8')).toBe(`# rewritten for ${tag}\n`);

    // Three model calls (read, write, answer), every one to the rehearsal server with Dash's key.
    const calls = requestsOf(rehearsal, tag);
    expect(calls.map((r) => [r.api, r.step, r.status])).toEqual([
      ['anthropic', 0, 200],
      ['anthropic', 1, 200],
      ['anthropic', 2, 200],
    ]);
    expect(calls.every((r) => r.authorization === 'k-claude-test' && r.stream)).toBe(true);
    // Usage is Claude Code's own final account, and it matches what the server reported.
    const final = events.find((e) => e.type === 'result') as { total_cost_usd?: number } | undefined;
    expect(result.usage.input).toBe(tokensOf(calls).input);
    expect(result.usage.output).toBe(tokensOf(calls).output);
    expect(result.usage.cost).toBeGreaterThan(0);
    expect(result.usage.cost).toBe(final?.total_cost_usd);

    const types = events.map((e) => e.type);
    expect(types[0]).toBe('system_init');
    expect(types.filter((t) => t === 'tool_result')).toHaveLength(2);
    expect(types.at(-1)).toBe('result');
    // The role's tool set is what Claude Code offered the model, nothing more.
    expect((events[0] as { tools?: string[] }).tools?.sort()).toEqual([
      'Bash',
      'Edit',
      'Glob',
      'Read',
      'Write',
    ]);

    // Its transcript stays in the session's own config dir; HOME is untouched.
    expect(result.sessionFile?.startsWith(path.join(sessionDir, 'claude', 'projects'))).toBe(true);
    expect(fs.readFileSync(result.sessionFile!, 'utf8')).toContain(tag);
    expect(fs.readdirSync(home)).toEqual([]);
  });

  it("enforces a Reviewer's tool set: its write is refused and nothing changes on disk", async () => {
    const tag = `reviewer-${Date.now()}`;
    const { repo, events, outcome } = run(`[rehearsal:write-file] ${tag}`, {
      tools: ROLES.reviewer.tools,
      systemPrompt: ROLES.reviewer.systemPrompt,
    });
    const result = await outcome;
    expect(result.stopReason).toBe('stop');
    expect((events[0] as { tools?: string[] }).tools?.sort()).toEqual(['Glob', 'Read']);
    const toolResult = events.find((e) => e.type === 'tool_result') as
      { message: { content: { is_error?: boolean; content?: unknown }[] } } | undefined;
    expect(toolResult?.message.content[0]?.is_error).toBe(true);
    expect(fs.existsSync(path.join(repo, 'rehearsal.txt'))).toBe(false);
  });

  it('abort during a long shell tool kills Claude Code and the tool process', async () => {
    let control: RuntimeControl | undefined;
    let pid: number | undefined;
    const { repo, outcome } = run(`[rehearsal:long-shell] abort-${Date.now()}`, {
      onControl: (c) => (control = c),
      onSpawn: (p) => (pid = p),
    });
    let sleepers: number[] = [];
    await waitFor(
      () => (sleepers = pid === undefined ? [] : descendantsRunning(pid, 'tail -f /dev/null')).length > 0,
      60_000,
      'the Bash tool to start `tail -f /dev/null`',
    );
    expect(await control!.abort()).toEqual({ success: true });
    const result = await outcome;
    expect(result.stopReason).toBe('aborted');
    expect(isRunning(pid!)).toBe(false);
    expect(sleepers.length).toBeGreaterThan(0);
    for (const sleeper of sleepers) expect(isRunning(sleeper)).toBe(false);
    expect(fs.existsSync(path.join(repo, 'slow.txt'))).toBe(false);
  });

  it('turns a failing model into an error outcome after a bounded number of retries', async () => {
    const tag = `fault-${Date.now()}`;
    const result = await run(`[rehearsal:always-500] ${tag}`).outcome;
    expect(result.stopReason).toBe('error');
    expect(result.errorMessage).toMatch(/500|rehearsal scripted/);
    // The first call and CLAUDE_CODE_MAX_RETRIES=2 retries, each answered 500.
    expect(requestsOf(rehearsal, tag).map((r) => r.status)).toEqual([500, 500, 500]);
  });

  it('turns an unreachable model endpoint into an error outcome instead of hanging', async () => {
    const result = await run('[rehearsal:echo] nobody home', {
      llm: { ...rehearsalLlm(rehearsal.url, 'anthropic', 'k'), baseUrl: 'http://127.0.0.1:1/v1' },
    }).outcome;
    expect(result.stopReason).toBe('error');
    expect(result.errorMessage).toMatch(/connect|refused/i);
    expect(result.usage).toEqual({ input: 0, output: 0, cost: 0 });
  });
});
