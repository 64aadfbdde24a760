// The proxy's process-wide state, created once per API app: limit store (Redis or in process),
// response cache, audit writer and provider health. Tests create their own and close it.
import type { DashConfig } from '../core/config.js';
import type { Database, Db } from '../drizzle/client.js';
import type { ProviderEndpoint, ProviderName } from '../providers/types.js';
import { AuditLog } from './audit.js';
import { ResponseCache } from './cache.js';
import { MemoryLimitStore, type LimitStore } from './limits.js';
import { RedisLimitStore } from './limits-redis.js';
import { ProxyMetrics } from './metrics.js';
import { ProviderHealth } from './router.js';
import type { ProxySettings } from './settings.js';

export interface ProxyRuntime {
  settings: ProxySettings;
  db: Db;
  limits: LimitStore;
  limitStoreKind: 'redis' | 'memory';
  cache: ResponseCache;
  audit: AuditLog;
  metrics: ProxyMetrics;
  health: ProviderHealth;
  endpoint(provider: ProviderName): ProviderEndpoint;
  close(): Promise<void>;
}

export function createProxyRuntime(
  config: Pick<DashConfig, 'proxy'>,
  database: Pick<Database, 'db'>,
): ProxyRuntime {
  const settings = config.proxy;
  const limits = settings.redisUrl ? new RedisLimitStore(settings.redisUrl) : new MemoryLimitStore();
  const metrics = new ProxyMetrics();
  const audit = new AuditLog(database.db, settings.auditFlushMs, (row) => metrics.observe(row));
  const endpoints = Object.fromEntries(
    (Object.keys(settings.providers) as ProviderName[]).map((name) => [
      name,
      { name, baseUrl: settings.providers[name].baseUrl, apiKey: settings.providers[name].apiKey },
    ]),
  ) as Record<ProviderName, ProviderEndpoint>;
  return {
    settings,
    db: database.db,
    limits,
    limitStoreKind: settings.redisUrl ? 'redis' : 'memory',
    cache: new ResponseCache(settings.cache.maxBytes, settings.cache.ttlMs),
    audit,
    metrics,
    health: new ProviderHealth(),
    endpoint: (p) => endpoints[p],
    close: async () => {
      await audit.flush();
      await limits.close();
    },
  };
}
