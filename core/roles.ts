// Agent roles. A role's tool set is enforced by the runtime (Pi's --tools allowlist), not asked
// for in a prompt: a Reviewer's process has no write, edit or bash tool to call.
import type { RoleName } from '../workflows/types.js';

export interface RoleSpec {
  name: RoleName;
  /** The name Gas Town users know it by. */
  alias: string;
  purpose: string;
  /** Pi tools the agent process is started with; nothing else exists for it. */
  tools: string[];
  systemPrompt: string;
}

// grep and find are left out: they need ripgrep/fd on PATH, and Pi would try to download them.
export const ROLES: Record<RoleName, RoleSpec> = {
  coordinator: {
    name: 'coordinator',
    alias: 'Mayor',
    purpose: 'Reads the repository and splits an intent into tasks for other agents.',
    tools: ['read', 'ls'],
    systemPrompt:
      'You are the Coordinator. You read the repository and plan work for other agents; you do not change files.',
  },
  worker: {
    name: 'worker',
    alias: 'Polecat',
    purpose: 'Implements one task in its own worktree.',
    tools: ['read', 'bash', 'edit', 'write', 'ls'],
    systemPrompt:
      'You are a Worker. Implement the task in the current directory and check your work by running it.',
  },
  reviewer: {
    name: 'reviewer',
    alias: 'Witness',
    purpose: 'Reads a finished branch and judges it; cannot change files or run commands.',
    tools: ['read', 'ls'],
    systemPrompt:
      'You are a Reviewer. Read the changes and report problems precisely; you cannot and must not change files.',
  },
  refinery: {
    name: 'refinery',
    alias: 'Refinery',
    purpose: 'Integrates branches and resolves merge conflicts.',
    tools: ['read', 'bash', 'edit', 'write', 'ls'],
    systemPrompt:
      'You are the Refinery. Resolve merge conflicts so that both sides keep their intent, then run the tests.',
  },
  monitor: {
    name: 'monitor',
    alias: 'Deacon',
    purpose: 'Watches sessions and system health; read-only.',
    tools: ['read', 'ls'],
    systemPrompt: 'You are the Monitor. Observe and report; you do not change files.',
  },
};

export const roleNames = Object.keys(ROLES) as RoleName[];
