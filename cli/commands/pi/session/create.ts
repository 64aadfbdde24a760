import { Args } from '@oclif/core';
import type { AgentCreated } from '../../../../sdk/client.js';
import { createAgent, createAgentFlags, followUpLines } from '../../../agent/create.js';
import { DashCommand } from '../../../base.js';

export default class PiSessionCreate extends DashCommand {
  static override summary = 'Start a Pi session (RPC mode) on a repository, in its own worktree and branch.';
  static override examples = [
    '<%= config.bin %> pi session create "add a health endpoint" --repo .',
    '<%= config.bin %> pi session create "explain the build" --role reviewer --json',
    '<%= config.bin %> pi session create "add a health endpoint" --model smart   # an alias, resolved with fallback by the proxy',
  ];
  static override args = {
    prompt: Args.string({ description: 'what Pi should do', required: true }),
  };
  static override flags = createAgentFlags;

  async run(): Promise<AgentCreated> {
    const { args, flags } = await this.parse(PiSessionCreate);
    const created = await createAgent(this.client(), args.prompt, flags, 'pi');
    for (const line of followUpLines(created)) this.progress(line);
    return created;
  }
}
