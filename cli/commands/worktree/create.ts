import path from 'node:path';
import { Flags } from '@oclif/core';
import type { WorktreeCreated } from '../../../sdk/client.js';
import { DashCommand } from '../../base.js';

export default class WorktreeCreate extends DashCommand {
  static override summary =
    'Make a worktree as Dash makes them for agents: own branch, shared dependency links, own .env and port range.';
  static override examples = [
    '<%= config.bin %> worktree create --repo .',
    '<%= config.bin %> worktree create --repo ./api --branch spike/cache --json',
  ];
  static override flags = {
    repo: Flags.string({ char: 'r', description: 'git repository', default: '.' }),
    branch: Flags.string({ description: 'new branch name (default: dash/worktrees/<id>)' }),
    'base-branch': Flags.string({ description: 'branch to start from (default: the current one)' }),
  };

  async run(): Promise<WorktreeCreated> {
    const { flags } = await this.parse(WorktreeCreate);
    const created = await this.client().createWorktree({
      repo: path.resolve(flags.repo),
      ...(flags.branch && { branch: flags.branch }),
      ...(flags['base-branch'] && { base_branch: flags['base-branch'] }),
    });
    this.progress(`Worktree ${created.id} at ${created.path} on branch ${created.branch}.`);
    this.progress(`  Ports: ${created.env.DASH_PORT_BASE ?? '?'}+ (PORT=${created.env.PORT ?? '?'})`);
    if (created.linked.length) this.progress(`  Shared: ${created.linked.join(', ')}`);
    this.progress(`  Remove it (snapshot first) with: dash worktree cleanup ${created.id}`);
    return created;
  }
}
