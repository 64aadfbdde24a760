// The CODEX_HOME of one session: a config.toml whose only model provider is the base URL Dash
// chose (Responses API), no update checks, analytics or feedback uploads, and the sandbox the
// role's tool set allows. Codex reads nothing from the user's ~/.codex.
import fs from 'node:fs';
import path from 'node:path';
import type { LlmSettings } from '../../core/config.js';
import { agentBaseEnv } from '../env.js';

/** The variable Codex reads the provider key from; set only in the Codex process's environment. */
export const CODEX_KEY_VAR = 'DASH_CODEX_API_KEY';

/** Tools that change files or run commands that may: without them the sandbox is read-only. */
const WRITING_TOOLS = ['write', 'edit', 'bash'];

export type CodexSandbox = 'read-only' | 'workspace-write';

export function codexSandbox(tools: string[] | undefined): CodexSandbox {
  return !tools || tools.some((t) => WRITING_TOOLS.includes(t)) ? 'workspace-write' : 'read-only';
}

const toml = (s: string) => JSON.stringify(s); // a TOML basic string has JSON's escapes

export function writeCodexHome(
  codexHome: string,
  opts: { llm: LlmSettings; sandbox: CodexSandbox; systemPrompt: string | undefined },
): void {
  fs.mkdirSync(codexHome, { recursive: true });
  const lines = [
    `model = ${toml(opts.llm.model)}`,
    'model_provider = "dash"',
    // exec mode never asks; the sandbox decides what a command may touch.
    'approval_policy = "never"',
    `sandbox_mode = ${toml(opts.sandbox)}`,
    'check_for_update_on_startup = false',
    ...(opts.systemPrompt ? [`developer_instructions = ${toml(opts.systemPrompt)}`] : []),
    '',
    '[analytics]',
    'enabled = false',
    '',
    '[feedback]',
    'enabled = false',
    '',
    '[history]',
    'persistence = "none"',
    '',
    '[otel]',
    'exporter = "none"',
    '',
    '[model_providers.dash]',
    'name = "Dash"',
    `base_url = ${toml(opts.llm.baseUrl ?? '')}`,
    `env_key = ${toml(CODEX_KEY_VAR)}`,
    'wire_api = "responses"',
    // Dash retries whole sessions; a dead endpoint should surface in seconds, not minutes.
    'request_max_retries = 1',
    'stream_max_retries = 1',
    '',
  ];
  fs.writeFileSync(path.join(codexHome, 'config.toml'), lines.join('\n'));
}

export function codexArgs(opts: { cwd: string; prompt: string }): string[] {
  return [
    'exec',
    '--json',
    // Fail on a config key this Codex does not know instead of silently running without it.
    '--strict-config',
    '--skip-git-repo-check',
    '--cd',
    opts.cwd,
    '--',
    opts.prompt,
  ];
}

/** Variables that would send Codex elsewhere or load another configuration. */
const FOREIGN = /^(OPENAI_|CODEX_|AZURE_OPENAI_)/;

export function codexEnv(
  llm: LlmSettings,
  codexHome: string,
  extra: Record<string, string> | undefined,
): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(agentBaseEnv()).filter(([k]) => !FOREIGN.test(k)));
  return { ...base, ...extra, CODEX_HOME: codexHome, [CODEX_KEY_VAR]: llm.apiKey ?? 'dash-rehearsal' };
}
