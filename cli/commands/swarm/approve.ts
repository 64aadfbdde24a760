import { Args, Flags } from '@oclif/core';
import { DashCommand } from '../../base.js';

export default class SwarmApprove extends DashCommand {
  static override summary = 'Approve (or reject) the plan of an intent started with --approve-plan.';
  static override description =
    'Until its plan is decided the intent waits in awaiting_approval and no agent starts. Read the plan with `dash swarm status <id>` first.';
  static override examples = [
    '<%= config.bin %> swarm approve int-abc123defg',
    '<%= config.bin %> swarm approve int-abc123defg --reject --reason "split the API work in two"',
    '<%= config.bin %> swarm approve <id> --json',
  ];
  static override args = {
    id: Args.string({
      description: 'intent id (see dash swarm list --status awaiting_approval)',
      required: true,
    }),
  };
  static override flags = {
    reject: Flags.boolean({ description: 'reject the plan: the intent ends cancelled, nothing runs' }),
    reason: Flags.string({ description: 'why, recorded with the decision' }),
  };

  async run(): Promise<{ id: string; approved: boolean }> {
    const { args, flags } = await this.parse(SwarmApprove);
    const r = await this.client().decidePlan(args.id, !flags.reject, flags.reason);
    this.progress(
      r.approved
        ? `Plan of ${r.id} approved; agents start now. Follow it with: dash swarm status ${r.id}`
        : `Plan of ${r.id} rejected; nothing ran. Start again with dash do and a clearer intent.`,
    );
    return r;
  }
}
