import { Flags } from '@oclif/core';
import type { AgentView } from '../../../sdk/client.js';
import { DashCommand } from '../../base.js';

export default class PiInstances extends DashCommand {
  static override summary =
    'List the Pi processes Dash is running now: session, pid, worktree, current tool.';
  static override examples = ['<%= config.bin %> pi instances', '<%= config.bin %> pi instances --json'];
  static override flags = {
    limit: Flags.integer({ char: 'n', default: 100, description: 'how many at most' }),
  };

  async run(): Promise<{ data: AgentView[] }> {
    const { flags } = await this.parse(PiInstances);
    const page = await this.client().listAgents({ status: 'running', limit: flags.limit });
    const data = page.data.filter((a) => a.runtime === 'pi');
    if (!this.jsonEnabled()) {
      if (data.length === 0)
        this.log('No Pi instances running. Start one with: dash pi session create "<prompt>"');
      for (const a of data) {
        const tool = a.current_tool ? `[${a.current_tool}]` : '';
        this.log(`${a.id.padEnd(32)} pid ${String(a.pid ?? '-').padEnd(8)} ${a.worktree ?? ''} ${tool}`);
      }
    }
    return { data };
  }
}
