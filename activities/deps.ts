import type { Client } from '@temporalio/client';
import type { DashConfig, LlmSettings } from '../core/config.js';
import type { Db } from '../drizzle/client.js';

/** What activities need from the process that hosts them. */
export interface ActivityDeps {
  db: Db;
  config: DashConfig;
  /** The resolved model endpoint (rehearsal URL filled in). */
  llm: LlmSettings;
  /** For activities that report back to their workflow (live session progress). */
  temporal?: Client;
}
