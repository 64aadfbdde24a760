// The Codex runtime with the real `codex` binary (@openai/codex) against the real rehearsal
// server (OpenAI Responses API, streaming), in real git repositories.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../../core/roles.js';
import { startRehearsalServer, type RehearsalServer } from '../../rehearsal/server.js';
import { codexRuntime } from '../../runtimes/codex/runtime.js';
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
  const home = tempDir('dash-codex-home-');
  const sessionDir = tempDir('dash-codex-session-');
  const events: RuntimeEvent[] = [];
  const outcome = codexRuntime.run({
    cwd: repo,
    prompt,
    llm: rehearsalLlm(rehearsal.url, 'openai', 'k-codex-test'),
    sessionDir,
    tools: ROLES.worker.tools,
    systemPrompt: ROLES.worker.systemPrompt,
    // A HOME of its own, to show Codex writes nothing outside its session's CODEX_HOME.
    env: { HOME: home },
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { repo, home, sessionDir, events, outcome };
}

describe('Codex runtime', () => {
  it('edits a file through its command tool and reports the answer, tool calls and usage the model sent', async () => {
    const tag = `tag-${Date.now()}`;
    const { repo, home, sessionDir, events, outcome } = run(`[rehearsal:rewrite-readme] ${tag}`);
    const result = await outcome;

    expect(result).toMatchObject({ stopReason: 'stop', errorMessage: undefined, toolCalls: 2 });
    expect(result.finalText).toBe(`rewrote README.md for ${tag}`);
    expect(fs.readFileSync(path.join(repo, 'README.md'), 'utf8')).toBe(`# rewritten for ${tag}\n`);

    // Three Responses calls (read, write, answer), streamed, with Dash's key as the bearer token.
    const calls = requestsOf(rehearsal, tag);
    expect(calls.map((r) => [r.path, r.step, r.status, r.stream])).toEqual([
      ['/v1/responses', 0, 200, true],
      ['/v1/responses', 1, 200, true],
      ['/v1/responses', 2, 200, true],
    ]);
    expect(calls.every((r) => r.authorization === 'Bearer k-codex-test')).toBe(true);
    // Usage is Codex's own turn.completed account, and it matches what the server reported.
    expect(result.usage).toEqual({ ...tokensOf(calls), cost: 0 });
    const turn = events.find((e) => e.type === 'turn.completed') as { usage?: { input_tokens?: number } };
    expect(turn?.usage?.input_tokens).toBe(tokensOf(calls).input);

    // The first command read the file, the second wrote it; both through the sandbox, both fine.
    const commands = events.filter(
      (e) => e.type === 'item.completed' && (e.item as { type?: string }).type === 'command_execution',
    ) as unknown as { item: { command: string; exit_code: number; aggregated_output: string } }[];
    expect(commands.map((c) => c.item.exit_code)).toEqual([0, 0]);
    expect(commands[0]?.item.aggregated_output).toContain('# original');
    expect(events[0]?.type).toBe('thread.started');

    // The rollout stays in the session's CODEX_HOME; HOME is untouched.
    expect(result.sessionFile?.startsWith(path.join(sessionDir, 'codex', 'sessions'))).toBe(true);
    expect(fs.readFileSync(result.sessionFile!, 'utf8')).toContain(tag);
    expect(fs.readdirSync(home)).toEqual([]);
  });

  it("enforces a Reviewer's tool set with a read-only sandbox: its write fails and nothing changes on disk", async () => {
    const tag = `reviewer-${Date.now()}`;
    const { repo, outcome } = run(`[rehearsal:write-file] ${tag}`, {
      tools: ROLES.reviewer.tools,
      systemPrompt: ROLES.reviewer.systemPrompt,
    });
    const result = await outcome;
    expect(result).toMatchObject({ stopReason: 'stop', toolCalls: 1 });
    // The command ran in Codex's read-only sandbox and failed there (its rollout has the output;
    // Codex's item events can miss a command that ends at once).
    expect(fs.readFileSync(result.sessionFile!, 'utf8')).toMatch(/rehearsal\.txt: Read-only file system/);
    expect(fs.existsSync(path.join(repo, 'rehearsal.txt'))).toBe(false);
  });

  it('abort during a long shell command kills Codex and the command', async () => {
    let control: RuntimeControl | undefined;
    let pid: number | undefined;
    const { repo, outcome } = run(`[rehearsal:long-shell] abort-${Date.now()}`, {
      onControl: (c) => (control = c),
      onSpawn: (p) => (pid = p),
    });
    let tails: number[] = [];
    await waitFor(
      () => (tails = pid === undefined ? [] : descendantsRunning(pid, 'tail -f /dev/null')).length > 0,
      60_000,
      'the command tool to start `tail -f /dev/null`',
    );
    expect(await control!.abort()).toEqual({ success: true });
    const result = await outcome;
    expect(result.stopReason).toBe('aborted');
    expect(isRunning(pid!)).toBe(false);
    expect(tails.length).toBeGreaterThan(0);
    for (const tail of tails) expect(isRunning(tail)).toBe(false);
    expect(fs.existsSync(path.join(repo, 'slow.txt'))).toBe(false);
  });

  it('turns a failing model into an error outcome after a bounded number of retries', async () => {
    const tag = `fault-${Date.now()}`;
    const result = await run(`[rehearsal:always-500] ${tag}`).outcome;
    expect(result.stopReason).toBe('error');
    // Codex words a 5xx its own way ("…high demand…"), not with the server's message.
    expect(result.errorMessage).toMatch(/high demand|500/);
    // Bounded by the provider's request_max_retries=1 within stream_max_retries=1: four calls,
    // each answered 500 (Codex's own defaults allow minutes of retries).
    expect(requestsOf(rehearsal, tag).map((r) => r.status)).toEqual([500, 500, 500, 500]);
  });

  it('turns an unreachable model endpoint into an error outcome instead of hanging', async () => {
    const result = await run('[rehearsal:echo] nobody home', {
      llm: { ...rehearsalLlm(rehearsal.url, 'openai', 'k'), baseUrl: 'http://127.0.0.1:1/v1' },
    }).outcome;
    expect(result.stopReason).toBe('error');
    expect(result.errorMessage).toMatch(/unreachable.*Connection failed/);
    expect(result.usage).toEqual({ input: 0, output: 0, cost: 0 });
  });
});
