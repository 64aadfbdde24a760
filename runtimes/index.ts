// The runtime registry: which adapter runs a task's agent.
import type { DashConfig } from '../core/config.js';
import { claudeCodeRuntime } from './claude-code/runtime.js';
import { codexRuntime } from './codex/runtime.js';
import { commandRuntime } from './command/runtime.js';
import { openClawRuntime } from './openclaw/runtime.js';
import { piRuntime } from './pi/runtime.js';
import type { AgentRuntime, RuntimeName } from './types.js';

export function runtimeFor(name: RuntimeName, config: DashConfig): AgentRuntime {
  switch (name) {
    case 'command':
      return commandRuntime(config.agentCommand);
    case 'claude-code':
      return claudeCodeRuntime;
    case 'codex':
      return codexRuntime;
    case 'openclaw':
      return openClawRuntime;
    default:
      return piRuntime;
  }
}

export { runtimeNames, type AgentRuntime, type RuntimeControl, type RuntimeName } from './types.js';
