import { Args, Flags } from '@oclif/core';
import { DashCommand } from '../../../base.js';

export default class PiSessionCompact extends DashCommand {
  static override summary =
    "Compact a paused Pi session: its conversation so far is summarised to free the model's context.";
  static override examples = [
    '<%= config.bin %> agent pause int-abc123defg-api && <%= config.bin %> pi session compact int-abc123defg-api',
    '<%= config.bin %> pi session compact <id> --instructions "keep every file name" --json',
  ];
  static override args = {
    id: Args.string({ description: 'agent session id (see dash agent list)', required: true }),
  };
  static override flags = {
    instructions: Flags.string({ description: 'what the summary must keep' }),
  };

  async run(): Promise<{ id: string; tokens_before: number; summary: string }> {
    const { args, flags } = await this.parse(PiSessionCompact);
    const result = await this.client().compactAgent(args.id, flags.instructions);
    this.progress(
      `Compacted ${args.id} (${result.tokens_before} tokens summarised). Resume it with: dash agent resume ${args.id}`,
    );
    return result;
  }
}
