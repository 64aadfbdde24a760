// The command line and environment of one Claude Code run: print mode with stream-json events,
// the role's tool set enforced by Claude Code itself, model traffic to the base URL Dash chose,
// and a configuration directory of the session's own so the user's ~/.claude is never touched.
import type { LlmSettings } from '../../core/config.js';
import { agentBaseEnv } from '../env.js';

/** Dash's role tools (Pi's names) and the Claude Code built-in tools that do the same. */
const TOOL_NAMES: Record<string, string[]> = {
  read: ['Read'],
  write: ['Write'],
  edit: ['Edit'],
  bash: ['Bash'],
  ls: ['Glob'],
  find: ['Glob'],
  grep: ['Grep'],
};

/** Built-in tools that change files or run code: denied outright unless the role has them. */
const MUTATING = ['Bash', 'Edit', 'Write', 'NotebookEdit', 'PowerShell'];

/** Tools a Worker gets when the caller names none. */
const DEFAULT_TOOLS = ['read', 'bash', 'edit', 'write', 'ls'];

export function claudeCodeTools(tools: string[] | undefined): { allowed: string[]; denied: string[] } {
  const allowed = [...new Set((tools ?? DEFAULT_TOOLS).flatMap((t) => TOOL_NAMES[t] ?? []))];
  return { allowed, denied: MUTATING.filter((t) => !allowed.includes(t)) };
}

export function claudeCodeArgs(opts: {
  prompt: string;
  model: string;
  tools: string[] | undefined;
  systemPrompt: string | undefined;
  sessionId: string;
}): string[] {
  const { allowed, denied } = claudeCodeTools(opts.tools);
  return [
    '--print',
    '--output-format',
    'stream-json',
    '--verbose',
    '--model',
    opts.model,
    '--session-id',
    opts.sessionId,
    // Only these built-in tools exist for the model ('' means none)…
    '--tools',
    allowed.join(','),
    // …they run without asking, and anything that would ask is refused (no one is there to answer).
    ...(allowed.length ? ['--allowedTools', allowed.join(',')] : []),
    '--permission-mode',
    'dontAsk',
    ...(denied.length ? ['--disallowedTools', denied.join(',')] : []),
    // The repository's .claude/settings.json and .mcp.json could add hooks, permissions and
    // servers; only the session's own (empty) user settings count.
    '--setting-sources',
    'user',
    '--strict-mcp-config',
    ...(opts.systemPrompt ? ['--append-system-prompt', opts.systemPrompt] : []),
    '--',
    opts.prompt,
  ];
}

/** Variables that would send Claude Code elsewhere (another key, Bedrock, Vertex, a proxy). */
const FOREIGN = /^(ANTHROPIC_|CLAUDE_|CLAUDECODE$|AWS_BEARER_TOKEN_BEDROCK$)/;

export function claudeCodeEnv(
  llm: LlmSettings,
  configDir: string,
  extra: Record<string, string> | undefined,
): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(agentBaseEnv()).filter(([k]) => !FOREIGN.test(k)));
  return {
    ...base,
    ...extra,
    // Claude Code appends /v1/messages itself.
    ANTHROPIC_BASE_URL: (llm.baseUrl ?? '').replace(/\/v1\/?$/, ''),
    ANTHROPIC_API_KEY: llm.apiKey ?? 'dash-rehearsal',
    // Background calls (titles, summaries) go to the same model at the same place.
    ANTHROPIC_SMALL_FAST_MODEL: llm.model,
    ANTHROPIC_DEFAULT_HAIKU_MODEL: llm.model,
    CLAUDE_CONFIG_DIR: configDir,
    // Claude Code's own default is 10 retries with backoff (minutes on a dead endpoint); Dash
    // retries whole sessions, so a failing endpoint should surface in seconds.
    CLAUDE_CODE_MAX_RETRIES: '2',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_NON_ESSENTIAL_MODEL_CALLS: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_BUG_COMMAND: '1',
    DISABLE_COST_WARNINGS: '1',
    CLAUDE_CODE_IDE_SKIP_AUTO_INSTALL: '1',
    CLAUDE_CODE_DISABLE_TERMINAL_TITLE: '1',
  };
}
