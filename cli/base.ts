// Shared behaviour of every `dash` command: config from DASH_* env vars, one API client, and one
// translation of errors into messages and exit statuses.
import { Command, Errors, type Interfaces } from '@oclif/core';
import { loadConfig, type DashConfig } from '../core/config.js';
import { cliApiKey } from '../core/local-key.js';
import { DashApiError, DashClient } from '../sdk/client.js';

/** Exit statuses, stable for scripts. */
export const EXIT = {
  failed: 1,
  badInput: 2,
  unavailable: 3,
  notFound: 4,
  unauthorized: 5,
} as const;

/** What to do next, by HTTP status (0: the API could not be reached). */
const HINTS: Record<number, string> = {
  0: '\nStart the stack with `dash up` (or let `dash do` start it), or set DASH_API_URL.',
  401: "\nSet DASH_API_KEY to a key from `dash auth key create`; on the stack's own machine the CLI uses $DASH_HOME/api-key.",
  403: '\nAsk an admin of your tenant for a key with the scope this needs (`dash auth key create --scope ...`).',
};

export abstract class DashCommand extends Command {
  static override enableJsonFlag = true;

  private cachedConfig: DashConfig | undefined;

  protected get dashConfig(): DashConfig {
    this.cachedConfig ??= loadConfig();
    return this.cachedConfig;
  }

  protected client(): DashClient {
    return new DashClient({ baseUrl: this.dashConfig.api.url, apiKey: () => cliApiKey(this.dashConfig) });
  }

  /** Progress goes to stderr so that stdout stays clean for --json output. */
  protected progress(line: string): void {
    // oclif mutes logToStderr under --json too, so write to stderr directly.
    if (this.jsonEnabled()) process.stderr.write(`${line}\n`);
    else this.log(line);
  }

  protected override async catch(err: Interfaces.CommandError): Promise<unknown> {
    if (err instanceof DashApiError) {
      const exit =
        err.status === 0 || err.status >= 500
          ? EXIT.unavailable
          : err.status === 401 || err.status === 403
            ? EXIT.unauthorized
            : err.status === 404
              ? EXIT.notFound
              : err.status >= 400
                ? EXIT.badInput
                : EXIT.failed;
      const hint = HINTS[err.status] ?? '';
      return super.catch(new Errors.CLIError(`${err.message} [${err.code}]${hint}`, { exit }));
    }
    return super.catch(err);
  }
}
