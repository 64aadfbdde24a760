import { Args } from '@oclif/core';
import { DashCommand } from '../../base.js';

export default class AgentSteer extends DashCommand {
  static override summary = 'Tell a running agent something; it reads it before its next model call.';
  static override examples = [
    '<%= config.bin %> agent steer int-abc123defg-api "use the existing auth middleware instead"',
  ];
  static override args = {
    id: Args.string({ description: 'session id (see dash agent list)', required: true }),
    message: Args.string({ description: 'what to tell the agent', required: true }),
  };

  async run(): Promise<{ id: string; queued: true }> {
    const { args } = await this.parse(AgentSteer);
    const result = await this.client().steerAgent(args.id, args.message);
    this.progress(`Queued for ${args.id}; the agent reads it after its current tool call.`);
    return result;
  }
}
