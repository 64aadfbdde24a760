import { Args, Flags } from '@oclif/core';
import { DashCommand } from '../../../base.js';

export default class PiSessionFork extends DashCommand {
  static override summary =
    "Start a new agent session, in its own worktree, from another session's history cut at one entry.";
  static override description =
    'Find entry ids with `dash pi session tree <id>`. The new worktree starts from the commit the source task started from.';
  static override examples = [
    '<%= config.bin %> pi session fork int-abc123defg-api --entry 20626530 --prompt "try a different approach: use JWT"',
    '<%= config.bin %> pi session fork <id> --entry <entryId> --json',
    '<%= config.bin %> pi session fork <id>   # a clone: the whole active branch',
    '<%= config.bin %> pi fork <id> --node <entryId>   # the same, spelt as in the seed',
  ];
  /** The seed's spelling: dash pi fork <id> --node <entry>. */
  static override aliases = ['pi:fork'];
  static override args = { id: Args.string({ description: 'agent session id to fork', required: true }) };
  static override flags = {
    entry: Flags.string({
      char: 'e',
      aliases: ['node'],
      description: 'entry id where the new history stops (default: the active leaf, a clone)',
    }),
    prompt: Flags.string({
      char: 'p',
      description: 'what the forked agent should do next',
      default: 'Continue from here.',
    }),
  };

  async run(): Promise<Record<string, unknown>> {
    const { args, flags } = await this.parse(PiSessionFork);
    const fork = await this.client().forkAgent(args.id, {
      ...(flags.entry && { entry_id: flags.entry }),
      prompt: flags.prompt,
    });
    this.progress(
      `Forked ${args.id} at ${fork.forked_from.entry_id} into ${fork.id}. Follow it with: dash agent show ${fork.id}`,
    );
    this.progress(`Temporal Web UI: ${fork.web_ui_url}`);
    return fork;
  }
}
