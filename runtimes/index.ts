// The runtime registry: which adapter runs a task's agent.
import type { DashConfig } from '../core/config.js';
import { commandRuntime } from './command/runtime.js';
import { piRuntime } from './pi/runtime.js';
import type { AgentRuntime, RuntimeName } from './types.js';

export function runtimeFor(name: RuntimeName, config: DashConfig): AgentRuntime {
  return name === 'command' ? commandRuntime(config.agentCommand) : piRuntime;
}

export { runtimeNames, type AgentRuntime, type RuntimeControl, type RuntimeName } from './types.js';
