// The HTTP latency histogram, observed by a middleware around every request. Labels stay bounded:
// the route is the pattern Hono matched (`/api/v1/intents/:id`), never the raw path, and a request
// no route matched is `unmatched`; unusual methods are `other`.
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { Histogram } from './registry.js';

export const HTTP_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

// `app.use` registers middleware under the method `ALL`; Dash registers no handler with `.all`.
const isHandler = (r: { method: string }) => r.method !== 'ALL';

/**
 * The route pattern of the handler that answered, or, when a middleware answered first (a body too
 * large), of the handler the request was going to; `unmatched` when no handler matched at all.
 */
export function routeLabel(c: Context): string {
  let routes: { method: string; path: string }[];
  try {
    routes = matchedRoutes(c);
  } catch {
    return 'unmatched'; // a context Hono's router did not dispatch
  }
  const current = routes[c.req.routeIndex];
  if (current && isHandler(current)) return current.path;
  return routes.find(isHandler)?.path ?? 'unmatched';
}

export function createHttpHistogram(): Histogram {
  return new Histogram(
    'dash_http_request_duration_seconds',
    'API request duration until the response is ready (for streams: until the first byte, not the end), ' +
      'by method, matched route pattern and status class.',
    HTTP_SECONDS,
  );
}

/** One answered request, from the middleware or from the proxy's own Node listener. */
export function observeHttp(
  histogram: Histogram,
  method: string,
  route: string,
  status: number,
  seconds: number,
): void {
  histogram.observe(
    { method: METHODS.has(method) ? method : 'other', route, status: `${Math.floor(status / 100)}xx` },
    seconds,
  );
}

export function httpMetrics(histogram: Histogram): MiddlewareHandler {
  return async (c, next) => {
    const start = performance.now();
    let status: number | undefined;
    try {
      await next();
      status = c.res.status;
    } finally {
      // A throw that escaped Hono's error handler is a 500 to the client.
      observeHttp(histogram, c.req.method, routeLabel(c), status ?? 500, (performance.now() - start) / 1000);
    }
  };
}
