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
  onSpawn?: (pid: number) => void;
  onControl?: (control: RuntimeControl) => void;
  signal?: AbortSignal;
}

export interface RuntimeOutcome {
  stopReason: string;
  errorMessage: string | undefined;
  finalText: string;
  usage: { input: number; output: number; cost: number };
  /** The runtime's own session file, when it keeps one. */
  sessionFile: string | undefined;
  agentMs: number;
  toolCalls: number;
}

export interface AgentRuntime {
  name: RuntimeName;
  run(opts: RuntimeRunOptions): Promise<RuntimeOutcome>;
}

export type { RuntimeName } from '../workflows/types.js';
export const runtimeNames = ['pi', 'command'] as const satisfies readonly RuntimeName[];
