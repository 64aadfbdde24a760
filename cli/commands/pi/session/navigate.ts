import { Args, Flags } from '@oclif/core';
import { DashCommand } from '../../../base.js';

export default class PiSessionNavigate extends DashCommand {
  static override summary =
    'Move a paused Pi session back to an earlier entry; resuming continues from there, with a summary of the branch left.';
  static override description =
    'The abandoned branch stays in the session tree. Find entry ids with `dash pi session tree <id>`.';
  static override examples = [
    '<%= config.bin %> pi session navigate int-abc123defg-api --entry 20626530 --summary "the ORM approach failed"',
    '<%= config.bin %> pi session navigate <id> --entry <entryId> --json && <%= config.bin %> agent resume <id>',
  ];
  static override args = {
    id: Args.string({
      description: 'paused agent session id (see dash agent list --status paused)',
      required: true,
    }),
  };
  static override flags = {
    entry: Flags.string({ char: 'e', description: 'entry id to continue from', required: true }),
    summary: Flags.string({
      char: 's',
      description: 'what the agent should know about the branch it leaves',
    }),
  };

  async run(): Promise<{ id: string; entry_id: string; branch_entry_id: string }> {
    const { args, flags } = await this.parse(PiSessionNavigate);
    const result = await this.client().navigateAgent(args.id, {
      entry_id: flags.entry,
      ...(flags.summary && { summary: flags.summary }),
    });
    this.progress(
      `${args.id} now continues from ${flags.entry}. Resume it with: dash agent resume ${args.id}`,
    );
    return result;
  }
}
