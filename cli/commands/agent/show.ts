import { Args } from '@oclif/core';
import type { AgentView } from '../../../sdk/client.js';
import { DashCommand } from '../../base.js';

export default class AgentShow extends DashCommand {
  static override summary = 'Show one agent session, with its live state while it runs.';
  static override examples = [
    '<%= config.bin %> agent show int-abc123defg-greet-function',
    '<%= config.bin %> agent show <id> --json',
  ];
  static override args = {
    id: Args.string({ description: 'session id (see dash agent list)', required: true }),
  };

  async run(): Promise<AgentView> {
    const { args } = await this.parse(AgentShow);
    const agent = await this.client().getAgent(args.id);
    if (!this.jsonEnabled()) {
      this.log(`${agent.id}: ${agent.status} (${agent.role}, ${agent.runtime}, attempt ${agent.attempt})`);
      this.log(`  worktree      ${agent.worktree ?? '-'}`);
      this.log(`  current tool  ${agent.current_tool ?? '-'}`);
      this.log(
        `  tokens        ${agent.tokens.input} in, ${agent.tokens.output} out; $${agent.cost_usd.toFixed(4)}`,
      );
      this.log(`  last activity ${agent.last_activity_at ?? '-'}`);
      if (agent.error) this.log(`  error         ${agent.error}`);
      this.log(`  web ui        ${agent.web_ui_url}`);
    }
    return agent;
  }
}
