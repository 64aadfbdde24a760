import { Args, Flags } from '@oclif/core';
import type { AgentCreated } from '../../../sdk/client.js';
import { createAgent, createAgentFlags, followUpLines } from '../../agent/create.js';
import { DashCommand } from '../../base.js';

export default class AgentCreate extends DashCommand {
  static override summary = 'Start one agent session on a repository, in its own worktree and branch.';
  static override examples = [
    '<%= config.bin %> agent create "add input validation to the signup form" --repo .',
    '<%= config.bin %> agent create "review the auth module" --role reviewer --json',
    '<%= config.bin %> agent create "add OAuth to the API" --model smart   # an alias, resolved with fallback by the proxy',
    '<%= config.bin %> agent create "run the migration script" --runtime command --cleanup manual',
  ];
  static override args = {
    prompt: Args.string({ description: 'what the agent should do', required: true }),
  };
  static override flags = {
    ...createAgentFlags,
    runtime: Flags.string({ description: 'agent runtime (pi, command, ...)', default: 'pi' }),
  };

  async run(): Promise<AgentCreated> {
    const { args, flags } = await this.parse(AgentCreate);
    const created = await createAgent(this.client(), args.prompt, flags, flags.runtime);
    for (const line of followUpLines(created)) this.progress(line);
    return created;
  }
}
