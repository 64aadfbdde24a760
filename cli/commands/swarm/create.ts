import { Flags } from '@oclif/core';
import Do from '../do.js';

export default class SwarmCreate extends Do {
  static override summary =
    'Start a swarm for an intent and return at once (dash do without following it); every dash do option applies.';
  static override examples = [
    '<%= config.bin %> swarm create "add OAuth to the API" --repo . --concurrency 4',
    '<%= config.bin %> swarm create "split the billing module" --approve-plan --json',
    '<%= config.bin %> swarm create "fix the flaky tests" --wait',
  ];
  // oclif reads a command's own static fields: inherited ones would be lost at parse time.
  static override args = Do.args;
  static override flags = {
    ...Do.flags,
    wait: Flags.boolean({
      description: 'follow the swarm until it ends (as dash do)',
      default: false,
      allowNo: true,
    }),
  };
}
