// What `dash agent create` and `dash pi session create` share: the flags and the request that
// starts a standalone agent session, and the lines that say how to follow it.
import path from 'node:path';
import { Flags } from '@oclif/core';
import type { AgentCreated, DashClient } from '../../sdk/client.js';

export const createAgentFlags = {
  repo: Flags.string({ char: 'r', description: 'git repository to work in', default: '.' }),
  title: Flags.string({ description: 'short title (default: the first line of the prompt)' }),
  role: Flags.string({
    description: 'coordinator, worker, reviewer, refinery or monitor (see GET /api/v1/roles)',
    default: 'worker',
  }),
  'base-branch': Flags.string({ description: 'branch to start from (default: the current one)' }),
  model: Flags.string({
    char: 'm',
    description: 'model alias (smart, fast, cheap) or id (default: the configured model)',
  }),
  cleanup: Flags.string({
    description: 'worktree cleanup policy when the agent ends',
    options: ['immediate', 'on_success', 'delayed', 'manual'],
  }),
};

export async function createAgent(
  client: DashClient,
  prompt: string,
  flags: {
    repo: string;
    title?: string;
    role: string;
    model?: string;
    'base-branch'?: string;
    cleanup?: string;
  },
  runtime: string,
): Promise<AgentCreated> {
  return client.createAgent({
    repo: path.resolve(flags.repo),
    prompt,
    runtime,
    role: flags.role,
    ...(flags.title && { title: flags.title }),
    ...(flags.model && { model: flags.model }),
    ...(flags['base-branch'] && { base_branch: flags['base-branch'] }),
    ...(flags.cleanup && { cleanup: flags.cleanup as 'immediate' | 'on_success' | 'delayed' | 'manual' }),
  });
}

export function followUpLines(a: AgentCreated): string[] {
  return [
    `Agent ${a.id} started (${a.role}, ${a.runtime}) on branch ${a.branch}.`,
    `  Watch:  dash agent show ${a.id}`,
    `  Steer:  dash agent steer ${a.id} "<message>"   Pause: dash agent pause ${a.id}`,
    `  Web UI: ${a.web_ui_url}`,
  ];
}
