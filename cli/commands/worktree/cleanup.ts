import { Args } from '@oclif/core';
import { DashCommand } from '../../base.js';

export default class WorktreeCleanup extends DashCommand {
  static override summary =
    'Remove a kept worktree now; its full state is saved at refs/dash/snapshots/<id> first.';
  static override examples = [
    '<%= config.bin %> worktree cleanup int-abc123defg-api',
    '<%= config.bin %> worktree cleanup <id> --json',
  ];
  static override args = {
    id: Args.string({ description: 'worktree id (see dash worktree list)', required: true }),
  };

  async run(): Promise<{ id: string; removed: boolean; snapshot_ref: string | null }> {
    const { args } = await this.parse(WorktreeCleanup);
    const result = await this.client().cleanupWorktree(args.id);
    this.progress(
      result.removed
        ? `Removed ${args.id}; restore it with: git worktree add -b restored-${args.id} <dir> ${result.snapshot_ref}`
        : `${args.id} was not removed (it changed state meanwhile).`,
    );
    return result;
  }
}
