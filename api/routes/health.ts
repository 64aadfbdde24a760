import { Hono } from 'hono';
import type { ApiDeps } from '../context.js';

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)),
  ]);

export function healthRoutes(deps: ApiDeps) {
  return new Hono()
    .get('/', (c) => c.json({ status: 'ok', service: 'dash', llm: deps.llmKind }))
    .get('/live', (c) => c.json({ status: 'ok' }))
    .get('/ready', async (c) => {
      const check = async (fn: () => Promise<unknown>) => {
        try {
          await withTimeout(fn(), 3_000);
          return { status: 'ok' as const };
        } catch (err) {
          return { status: 'error' as const, error: (err as Error).message };
        }
      };
      const [database, temporal] = await Promise.all([
        check(() => deps.database.ping()),
        check(() => deps.temporal.workflowService.getSystemInfo({})),
      ]);
      const ready = database.status === 'ok' && temporal.status === 'ok';
      return c.json(
        {
          status: ready ? 'ready' : 'not_ready',
          checks: {
            database: { ...database, kind: deps.database.kind },
            temporal: { ...temporal, address: deps.config.temporal.address },
          },
          llm: deps.llmKind,
          temporal_ui: deps.config.temporal.uiUrl,
        },
        ready ? 200 : 503,
      );
    });
}
