// Shared by the Claude Code and Codex runtime tests: LLM settings for the rehearsal server, the
// requests one run made, and the processes a CLI started.
import fs from 'node:fs';
import type { LlmSettings } from '../../core/config.js';
import type { RehearsalServer } from '../../rehearsal/server.js';
import { descendantsOf } from '../../runtimes/cli-process.js';

export { isRunning } from '../../runtimes/cli-process.js';

export function rehearsalLlm(url: string, api: LlmSettings['api'], apiKey: string): LlmSettings {
  return {
    kind: 'rehearsal',
    api,
    baseUrl: `${url}/v1`,
    model: 'rehearsal-1',
    plannerModel: 'rehearsal-1',
    apiKey,
  };
}

/** The model calls whose last user message held this run's unique tag. */
export function requestsOf(rehearsal: RehearsalServer, tag: string) {
  return rehearsal.requests.filter((r) => r.lastUser.includes(tag));
}

export function tokensOf(requests: ReturnType<typeof requestsOf>) {
  return {
    input: requests.reduce((n, r) => n + (r.inputTokens ?? 0), 0),
    output: requests.reduce((n, r) => n + (r.outputTokens ?? 0), 0),
  };
}

/** Descendants of a process whose command line contains `needle`. */
export function descendantsRunning(root: number, needle: string): number[] {
  return descendantsOf(root).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(needle);
    } catch {
      return false;
    }
  });
}
