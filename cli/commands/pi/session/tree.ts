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
  ];
  static override args = {
    id: Args.string({ description: 'agent session id (see dash agent list)', required: true }),
  };

  async run(): Promise<AgentTreeView> {
    const { args } = await this.parse(PiSessionTree);
    const tree = await this.client().getAgentTree(args.id);
    if (!this.jsonEnabled()) {
      this.log(`${tree.id} (${tree.session_file})`);
      this.log(
        renderTree({
          sessionId: tree.pi_session_id,
          cwd: undefined,
          parentSession: tree.parent_session ?? undefined,
          leafId: tree.leaf_id ?? undefined,
          entries: tree.entries.map((e) => ({
            id: e.id,
            parentId: e.parent_id,
            type: e.type,
            preview: e.preview,
            children: e.children,
            ...(e.role && { role: e.role }),
          })),
        }),
      );
    }
    return tree;
  }
}
