// Temporal connections for clients and workers, and registration of Dash's search attributes
// on clusters Dash did not start (the dev server gets them as start flags).
import { Client, Connection } from '@temporalio/client';
import { dashSearchAttributes } from '../workflows/search-attributes.js';

export async function connectClient(address: string, namespace: string): Promise<Client> {
  const connection = await Connection.connect({ address, connectTimeout: 5_000 });
  return new Client({ connection, namespace });
}

export async function ensureSearchAttributes(client: Client, namespace: string): Promise<void> {
  const existing = await client.connection.operatorService.listSearchAttributes({ namespace });
  const missing = dashSearchAttributes.filter((k) => !(k.name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  await client.connection.operatorService.addSearchAttributes({
    namespace,
    // 2 = INDEXED_VALUE_TYPE_KEYWORD
    searchAttributes: Object.fromEntries(missing.map((k) => [k.name, 2])),
  });
}
