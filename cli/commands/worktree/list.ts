import { Flags } from '@oclif/core';
import type { Page, WorktreeView } from '../../../sdk/client.js';
import { DashCommand } from '../../base.js';

export default class WorktreeList extends DashCommand {
  static override summary = 'List the worktrees Dash made, with their ports and snapshot refs.';
  static override examples = [
    '<%= config.bin %> worktree list',
    '<%= config.bin %> worktree list --status removed --json',
  ];
  static override flags = {
    status: Flags.string({ options: ['active', 'removed'], description: 'only worktrees in this state' }),
    limit: Flags.integer({ char: 'n', default: 20, description: 'how many' }),
  };

  async run(): Promise<Page<WorktreeView>> {
    const { flags } = await this.parse(WorktreeList);
    const page = await this.client().listWorktrees({
      status: flags.status as 'active' | 'removed' | undefined,
      limit: flags.limit,
    });
    if (!this.jsonEnabled()) {
      if (page.data.length === 0) this.log('No worktrees yet.');
      for (const w of page.data) {
        const where =
          w.status === 'active' ? `${w.path} (ports ${w.port_base}+)` : `snapshot ${w.snapshot_ref ?? '-'}`;
        this.log(`${w.id.padEnd(32)} ${w.status.padEnd(8)} ${w.branch.padEnd(40)} ${where}`);
      }
    }
    return page;
  }
}
