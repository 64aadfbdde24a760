// The pinned config of one OpenClaw run (`agent exec --config`): a single model provider whose
// base URL is the one Dash chose, and a tool policy that takes away what the role may not use.
// OpenClaw's state (sessions, SQLite) lives in the session directory, never under HOME.
import fs from 'node:fs';
import path from 'node:path';
import type { LlmSettings } from '../../core/config.js';
import { agentBaseEnv } from '../env.js';

/** OpenClaw tools that change files or run commands, by the Dash role tool that grants them. */
const GRANTED_BY: Record<string, string[]> = {
  write: ['write', 'apply_patch'],
  edit: ['edit'],
  bash: ['exec', 'process'],
};

export function openClawDeniedTools(tools: string[] | undefined): string[] {
  if (!tools) return [];
  return Object.entries(GRANTED_BY)
    .filter(([dash]) => !tools.includes(dash))
    .flatMap(([, claw]) => claw);
}

export function writeOpenClawConfig(file: string, llm: LlmSettings, tools: string[] | undefined): void {
  const anthropic = llm.api === 'anthropic';
  const config = {
    agents: { defaults: { model: { primary: `dash/${llm.model}` } } },
    models: {
      // Only Dash's provider exists: no bundled catalog, no other endpoint to fall back to.
      mode: 'replace',
      providers: {
        dash: {
          baseUrl: anthropic ? (llm.baseUrl ?? '').replace(/\/v1\/?$/, '') : llm.baseUrl,
          apiKey: llm.apiKey ?? 'dash-rehearsal',
          api: anthropic ? 'anthropic-messages' : 'openai-completions',
          models: [
            {
              id: llm.model,
              name: llm.model,
              reasoning: false,
              input: ['text'],
              // Dash does not know the endpoint's prices; OpenClaw's cost stays 0 rather than a guess.
              cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
              contextWindow: 200_000,
              maxTokens: 8_192,
            },
          ],
        },
      },
    },
    tools: { deny: openClawDeniedTools(tools) },
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
}

/**
 * Variables that would load another OpenClaw config or state, or change how it behaves: under a
 * test runner's VITEST/NODE_ENV OpenClaw silences its own output, and NODE_OPTIONS meant for
 * Dash's Node 20 does not belong to OpenClaw's Node 24.
 */
const FOREIGN = /^(OPENCLAW_|VITEST|NODE_OPTIONS$|NODE_ENV$)/;

export function openClawEnv(stateDir: string, extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(agentBaseEnv()).filter(([k]) => !FOREIGN.test(k)));
  return {
    ...base,
    ...extra,
    OPENCLAW_STATE_DIR: stateDir,
    OPENCLAW_HOME: stateDir,
    // OpenClaw caches compiled plugins under ~/.cache otherwise.
    XDG_CACHE_HOME: `${stateDir}/cache`,
  };
}
