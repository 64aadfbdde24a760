// Making the local admin key (see core/local-key.ts) in the stack's own database.
import fs from 'node:fs';
import path from 'node:path';
import { localKeyFile, readLocalKey } from '../core/local-key.js';
import type { DashConfig } from '../core/config.js';
import type { Db } from '../drizzle/client.js';
import { authenticate, mintVirtualKey } from '../proxy/auth.js';

/** Keeps $DASH_HOME/api-key holding a live admin key; returns whether a new one was made. */
export async function ensureLocalAdminKey(db: Db, config: Pick<DashConfig, 'home'>): Promise<boolean> {
  const file = localKeyFile(config);
  const current = readLocalKey(config);
  if (current) {
    const live = await authenticate(db, current, undefined).then(
      (p) => p.scope === 'admin',
      () => false,
    );
    if (live) return false;
  }
  const minted = await mintVirtualKey(db, {
    tenantId: 'default',
    userId: 'local-admin',
    name: `local admin key (${file})`,
    scope: 'admin',
  });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, `${minted.key}\n`, { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
  return true;
}
