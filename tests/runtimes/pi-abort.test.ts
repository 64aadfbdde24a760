// An abort that reaches Pi before its prompt is sent must still stop the run: Pi itself ignores
// an abort when nothing runs, so the runtime has to remember it. Real Pi, real rehearsal server.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRehearsalServer, type RehearsalServer } from '../../rehearsal/server.js';
import { piRuntime } from '../../runtimes/pi/runtime.js';
import { isAlive } from '../helpers/processes.js';
import { makeRepo, tempDir } from '../helpers/repo.js';
import { rehearsalLlm } from './agent-cli-helpers.js';

let rehearsal: RehearsalServer;

beforeAll(async () => {
  rehearsal = await startRehearsalServer({ port: 0 });
});
afterAll(async () => {
  await rehearsal?.close();
});

describe('Pi abort', () => {
  it('an abort delivered while Pi is still starting ends the run without the prompt ever running', async () => {
    const repo = makeRepo({ 'README.md': '# a\n' });
    let pid: number | undefined;
    const outcome = await piRuntime.run({
      cwd: repo,
      prompt: '[rehearsal:write-file] must never be written',
      llm: rehearsalLlm(rehearsal.url, 'openai', 'k'),
      sessionDir: tempDir(),
      onSpawn: (p) => (pid = p),
      // The control arrives right after the spawn, long before Pi has loaded: abort at once.
      onControl: (control) => void control.abort(),
    });
    expect(outcome.stopReason).toBe('aborted');
    expect(rehearsal.requests.filter((r) => r.lastUser.includes('must never be written'))).toEqual([]);
    expect(fs.existsSync(path.join(repo, 'rehearsal.txt'))).toBe(false);
    expect(pid !== undefined && isAlive(pid)).toBe(false);
  });
});
