import type { Client } from '@temporalio/client';
import type { DashConfig } from '../core/config.js';
import type { Database } from '../drizzle/client.js';

/** What the API needs from the process hosting it. */
export interface ApiDeps {
  database: Database;
  temporal: Client;
  config: DashConfig;
  /** Which model endpoint agents use, shown on /health so users see rehearsal mode. */
  llmKind: string;
}
