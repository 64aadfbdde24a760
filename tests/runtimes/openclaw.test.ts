// The OpenClaw runtime with the real `openclaw` package, run on the Node 24 that
// runtimes/openclaw/install.sh installs from the npm registry (Dash runs on Node 20), against the
// real rehearsal server (OpenAI chat completions, streaming), in real git repositories.
// `npm test` runs install.sh first; run by hand without that install these tests are reported as
// skipped, never as passed.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../../core/roles.js';
import { startRehearsalServer, type RehearsalServer } from '../../rehearsal/server.js';
import { openClawInstall } from '../../runtimes/openclaw/binary.js';
import { openClawRuntime } from '../../runtimes/openclaw/runtime.js';
import type { RuntimeControl, RuntimeEvent, RuntimeRunOptions } from '../../runtimes/types.js';
import { waitFor } from '../helpers/processes.js';
import { makeRepo, tempDir } from '../helpers/repo.js';
import { descendantsRunning, isRunning, rehearsalLlm, requestsOf, tokensOf } from './agent-cli-helpers.js';

const installed = (() => {
  try {
    openClawInstall();
    return true;
  } catch {
    return false;
  }
})();

let rehearsal: RehearsalServer;

beforeAll(async () => {
  rehearsal = await startRehearsalServer({ port: 0 });
});
afterAll(async () => {
  await rehearsal?.close();
});

function run(prompt: string, extra: Partial<RuntimeRunOptions> = {}) {
  const repo = makeRepo({ 'README.md': '# original\n' });
  const home = tempDir('dash-openclaw-home-');
  const events: RuntimeEvent[] = [];
  const outcome = openClawRuntime.run({
    cwd: repo,
    prompt,
    llm: rehearsalLlm(rehearsal.url, 'openai', 'k-openclaw-test'),
    sessionDir: tempDir('dash-openclaw-session-'),
    tools: ROLES.worker.tools,
    // A HOME of its own, to show OpenClaw keeps its state in the session directory.
    env: { HOME: home },
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { repo, home, events, outcome };
}

describe.skipIf(!installed)('OpenClaw runtime (needs runtimes/openclaw/install.sh)', () => {
  it('writes a file through its tools and reports the answer, tool calls and usage the model sent', async () => {
    const tag = `tag-${Date.now()}`;
    const { repo, home, events, outcome } = run(`[rehearsal:write-file] ${tag}`);
    const result = await outcome;
    expect(result).toMatchObject({
      stopReason: 'stop',
      errorMessage: undefined,
      finalText: 'done',
      toolCalls: 1,
    });
    // OpenClaw's timestamp and runtime footer are not part of {{user}}: the content is exact.
    expect(fs.readFileSync(path.join(repo, 'rehearsal.txt'), 'utf8')).toBe(`${tag}\n`);
    const calls = requestsOf(rehearsal, tag);
    expect(calls.map((r) => [r.path, r.step, r.status, r.stream])).toEqual([
      ['/v1/chat/completions', 0, 200, true],
      ['/v1/chat/completions', 1, 200, true],
    ]);
    expect(calls.every((r) => r.authorization === 'Bearer k-openclaw-test')).toBe(true);
    expect(result.usage).toEqual({ ...tokensOf(calls), cost: 0 });
    expect(events.map((e) => e.type)).toEqual(['openclaw_result']);
    expect(fs.readdirSync(home)).toEqual([]);
  });

  it('abort during a long exec tool kills OpenClaw and the command', async () => {
    let control: RuntimeControl | undefined;
    let pid: number | undefined;
    const { repo, outcome } = run(`[rehearsal:exec-long-shell] abort-${Date.now()}`, {
      onControl: (c) => (control = c),
      onSpawn: (p) => (pid = p),
    });
    let tails: number[] = [];
    await waitFor(
      () => (tails = pid === undefined ? [] : descendantsRunning(pid, 'tail -f /dev/null')).length > 0,
      150_000,
      'the exec tool to start `tail -f /dev/null`',
    );
    expect(await control!.abort()).toEqual({ success: true });
    const result = await outcome;
    expect(result.stopReason).toBe('aborted');
    expect(isRunning(pid!)).toBe(false);
    expect(tails.length).toBeGreaterThan(0);
    for (const tail of tails) expect(isRunning(tail)).toBe(false);
    expect(fs.existsSync(path.join(repo, 'slow.txt'))).toBe(false);
  });

  it('turns an unreachable model endpoint into an error outcome instead of hanging', async () => {
    const result = await run('[rehearsal:echo] nobody home', {
      llm: { ...rehearsalLlm(rehearsal.url, 'openai', 'k'), baseUrl: 'http://127.0.0.1:1/v1' },
    }).outcome;
    expect(result.stopReason).toBe('error');
    expect(result.errorMessage).toBeTruthy();
    expect(result.usage.output).toBe(0);
    // OpenClaw retries a refused connection for about two minutes before it gives up.
  }, 300_000);
});
