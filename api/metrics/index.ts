// The API's Prometheus metrics: one instance per app, so several apps in one process (tests) keep
// their numbers apart. The HTTP histogram lives in process; everything else is read at scrape time.
import type { MiddlewareHandler } from 'hono';
import type { ProxyRuntime } from '../../proxy/runtime.js';
import type { ApiDeps } from '../context.js';
import { collectFamilies } from './collect.js';
import { createHttpHistogram, httpMetrics, observeHttp } from './http.js';
import { renderFamilies } from './registry.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface ApiMetrics {
  /** Observes every request's duration; mount it before any route. */
  middleware: MiddlewareHandler;
  /** Observes a request answered outside Hono (the proxy's chat routes on Node). */
  observeHttp(method: string, route: string, status: number, seconds: number): void;
  /** The whole exposition, in text format 0.0.4. */
  render(): Promise<string>;
}

export function createApiMetrics(deps: ApiDeps, proxy: ProxyRuntime): ApiMetrics {
  const http = createHttpHistogram();
  return {
    middleware: httpMetrics(http),
    observeHttp: (method, route, status, seconds) => observeHttp(http, method, route, status, seconds),
    render: async () => renderFamilies([...(await collectFamilies(deps, proxy)), http.family()]),
  };
}
