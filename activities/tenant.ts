// Rows made by workflows belong to the tenant of their intent: the intent row, written by the API
// with the caller's tenant, is the one place the tenant is decided, so workflow inputs (and their
// recorded histories) do not carry it.
import { sql, type SQL } from 'drizzle-orm';

/** The tenant of an intent as an insertable value; `default` for rows with no intent. */
export const tenantOfIntent = (intentId: string | undefined): SQL<string> | string =>
  intentId
    ? sql<string>`coalesce((select tenant_id from intents where id = ${intentId}), 'default')`
    : 'default';
