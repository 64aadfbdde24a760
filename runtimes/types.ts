// One interface for every agent runtime Dash can drive. A runtime runs one prompt in a worktree
// to completion and reports a structured outcome; LLM failures are data, not exceptions.
import type { LlmSettings } from '../core/config.js';
import type { RuntimeName } from '../workflows/types.js';

export interface RuntimeEvent {
  type: string;
  [key: string]: unknown;
}

/** What a running agent accepts while it works; runtimes that cannot steer leave it out. */
export interface RuntimeControl {
  steer?(message: string): Promise<{ success: boolean; error?: string }>;
  abort(): Promise<{ success: boolean; error?: string }>;
}

export interface RuntimeRunOptions {
  cwd: string;
  prompt: string;
  llm: LlmSettings;
  sessionDir: string;
  tools?: string[];
  systemPrompt?: string;
  env?: Record<string, string>;
  onEvent?: (event: RuntimeEvent) => void;
  /** The run's usage so far, from the runtime's own reports, each time it grows. */
  onUsage?: (usage: RuntimeUsage) => void;
  /** The tool the agent is running now, or null between tools. */
  onToolChange?: (tool: string | null) => void;
  onSpawn?: (pid: number) => void;
  onControl?: (control: RuntimeControl) => void;
  signal?: AbortSignal;
  /**
   * Continue the conversation already kept in sessionDir instead of starting a new one; only
   * passed to runtimes whose `canResume` is true.
   */
  resume?: boolean;
}

export interface CompactOptions {
  sessionDir: string;
  cwd: string;
  llm: LlmSettings;
  instructions?: string;
}

export interface RuntimeUsage {
  input: number;
  output: number;
  cost: number;
}

export interface RuntimeOutcome {
  stopReason: string;
  errorMessage: string | undefined;
  finalText: string;
  usage: RuntimeUsage;
  /** The runtime's own session file, when it keeps one. */
  sessionFile: string | undefined;
  agentMs: number;
  toolCalls: number;
}

export interface AgentRuntime {
  name: RuntimeName;
  /** Whether the runtime keeps a conversation in sessionDir that a later run can continue. */
  canResume: boolean;
  /** The file a resumable runtime keeps its conversation in, for a given sessionDir. */
  sessionFileIn?(sessionDir: string): string;
  run(opts: RuntimeRunOptions): Promise<RuntimeOutcome>;
  /** Summarise a stopped session's conversation to free context, where the runtime can. */
  compact?(opts: CompactOptions): Promise<{ tokensBefore: number; summary: string }>;
  /** Move a stopped session's active leaf back to an entry, summarising the branch left. */
  navigate?(opts: {
    sessionDir: string;
    entryId: string;
    summary: string;
  }): Promise<{ branchEntryId: string }>;
}

export type { RuntimeName } from '../workflows/types.js';
export const runtimeNames = [
  'pi',
  'command',
  'claude-code',
  'codex',
  'openclaw',
] as const satisfies readonly RuntimeName[];

/**
 * Builds a run's outcome the same way in every CLI adapter: what the run knows so far (usage,
 * session file, tool calls) from `current`, the wall time since `started`, and the stop reason.
 */
export function outcomeBuilder(
  started: number,
  current: () => Partial<Pick<RuntimeOutcome, 'usage' | 'sessionFile' | 'toolCalls'>> = () => ({}),
) {
  return (
    stopReason: string,
    errorMessage: string | undefined,
    finalText = '',
    rest: Partial<RuntimeOutcome> = {},
  ): RuntimeOutcome => ({
    stopReason,
    errorMessage,
    finalText,
    usage: { input: 0, output: 0, cost: 0 },
    sessionFile: undefined,
    toolCalls: 0,
    ...current(),
    agentMs: Date.now() - started,
    ...rest,
  });
}
