// The key the CLI uses on its own machine. The embedded stack makes an admin key of the default
// tenant the first time it starts and writes it to $DASH_HOME/api-key (mode 0600), so `dash do`
// works on a fresh machine with no setup, and the API is still closed to everyone else. DASH_API_KEY
// wins over the file; a revoked or deleted key is replaced at the next start.
import fs from 'node:fs';
import path from 'node:path';
import type { DashConfig } from './config.js';

export const localKeyFile = (config: Pick<DashConfig, 'home'>) => path.join(config.home, 'api-key');

/** The stack's local admin key, if the file holds one. */
export function readLocalKey(config: Pick<DashConfig, 'home'>): string | undefined {
  try {
    return fs.readFileSync(localKeyFile(config), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The key the CLI and SDK send: DASH_API_KEY, else the stack's local admin key, if any. */
export const cliApiKey = (config: Pick<DashConfig, 'home' | 'api'>): string | undefined =>
  config.api.key ?? readLocalKey(config);
