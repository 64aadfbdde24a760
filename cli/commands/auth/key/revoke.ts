import { Args } from '@oclif/core';
import { DashCommand, EXIT } from '../../../base.js';

const KEY_ID = /^vk_[0-9a-f]{16}$/;

export default class AuthKeyRevoke extends DashCommand {
  static override summary = 'Revoke an API key: requests with it are refused from now on.';
  static override description =
    'Needs a key of scope admin in the same tenant. Find ids with `dash auth key list`. The key stays listed (with --all) for the audit; revoking it again changes nothing. Other API replicas refuse it within a few seconds (their key cache).';
  static override examples = [
    '<%= config.bin %> auth key revoke vk_0123456789abcdef',
    '<%= config.bin %> auth key revoke vk_0123456789abcdef --json',
  ];
  static override args = {
    id: Args.string({
      description: 'key id, vk_ and 16 hex digits (see dash auth key list)',
      required: true,
    }),
  };

  async run(): Promise<{ id: string; revoked: boolean; was_revoked: boolean }> {
    const { args } = await this.parse(AuthKeyRevoke);
    if (!KEY_ID.test(args.id))
      this.error(
        `'${args.id}' is not a key id: key ids look like vk_0123456789abcdef (see dash auth key list).`,
        { exit: EXIT.badInput },
      );
    const r = await this.client().revokeApiKey(args.id);
    this.progress(r.was_revoked ? `${r.id} was already revoked.` : `Revoked ${r.id}.`);
    return r;
  }
}
