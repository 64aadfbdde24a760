// The API's Prometheus metrics: one instance per app, so several apps in one process (tests) keep
// their numbers apart. The HTTP histogram lives in process; everything else is read at scrape time.
import type { MiddlewareHandler } from 'hono';
import type { ProxyRuntime } from '../../proxy/runtime.js';
import type { ApiDeps } from '../context.js';
import { collectFamilies } from './collect.js';
import { createHttpHistogram, httpMetrics } from './http.js';
import { renderFamilies } from './registry.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface ApiMetrics {
  /** Observes every request's duration; mount it before any route. */
  middleware: MiddlewareHandler;
  /** The whole exposition, in text format 0.0.4. */
  render(): Promise<string>;
}

export function createApiMetrics(deps: ApiDeps, proxy: ProxyRuntime): ApiMetrics {
  const http = createHttpHistogram();
  return {
    middleware: httpMetrics(http),
    render: async () => renderFamilies([...(await collectFamilies(deps, proxy)), http.family()]),
  };
}
