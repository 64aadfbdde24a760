// GET /metrics: Prometheus text format 0.0.4. Like the rest of the API it has no auth of its own;
// the API binds to loopback unless told otherwise.
import { Hono } from 'hono';
import { METRICS_CONTENT_TYPE, type ApiMetrics } from '../metrics/index.js';

export function metricsRoutes(metrics: ApiMetrics) {
  return new Hono().get('/', async (c) =>
    c.body(await metrics.render(), 200, { 'content-type': METRICS_CONTENT_TYPE }),
  );
}
