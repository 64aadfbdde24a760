import { Flags } from '@oclif/core';
import type { AgentView, Page } from '../../../sdk/client.js';
import { DashCommand } from '../../base.js';

export default class AgentList extends DashCommand {
  static override summary = 'List agent sessions, newest first.';
  static override examples = [
    '<%= config.bin %> agent list',
    '<%= config.bin %> agent list --status running',
    '<%= config.bin %> agent list --intent int-abc123defg --json',
  ];
  static override flags = {
    status: Flags.string({
      description: 'only sessions in this status (running, completed, failed, aborted, cancelled)',
    }),
    intent: Flags.string({ description: 'only sessions of this intent' }),
    limit: Flags.integer({ char: 'n', default: 20, description: 'how many' }),
  };

  async run(): Promise<Page<AgentView>> {
    const { flags } = await this.parse(AgentList);
    const page = await this.client().listAgents({
      status: flags.status,
      intent_id: flags.intent,
      limit: flags.limit,
    });
    if (!this.jsonEnabled()) {
      if (page.data.length === 0)
        this.log('No agent sessions. Start some with: dash do "<intent>" --repo <git repo>');
      for (const a of page.data) {
        const tool = a.current_tool ? ` [${a.current_tool}]` : '';
        this.log(
          `${a.id.padEnd(32)} ${a.status.padEnd(10)} ${a.role.padEnd(8)} attempt ${a.attempt}  ${a.tokens.input + a.tokens.output} tokens${tool}`,
        );
      }
    }
    return page;
  }
}
