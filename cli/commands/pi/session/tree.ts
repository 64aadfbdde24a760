import { Args } from '@oclif/core';
import { renderTree } from '../../../../runtimes/pi/session-tree.js';
import type { AgentTreeView } from '../../../../sdk/client.js';
import { DashCommand } from '../../../base.js';

export default class PiSessionTree extends DashCommand {
  static override summary =
    "Print an agent session's Pi conversation tree (entries linked by id and parentId).";
  static override examples = [
    '<%= config.bin %> pi session tree int-abc123defg-greet-function',
    '<%= config.bin %> pi session tree <id> --json',
    '<%= config.bin %> pi tree <id>   # the same, spelt as in the seed',
  ];
  static override aliases = ['pi:tree'];
  static override args = {
    id: Args.string({ description: 'agent session id (see dash agent list)', required: true }),
  };

  async run(): Promise<AgentTreeView> {
    const { args } = await this.parse(PiSessionTree);
    const tree = await this.client().getAgentTree(args.id);
    if (!this.jsonEnabled()) {
      this.log(`${tree.id} (${tree.session_file})`);
      this.log(renderTree(tree.entries, tree.leaf_id));
    }
    return tree;
  }
}
