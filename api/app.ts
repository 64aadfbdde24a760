// The Hono app: mounts one router per resource and translates errors once.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createProxyRuntime, type ProxyRuntime } from '../proxy/runtime.js';
import { proxyRoutes } from '../proxy/routes.js';
import { requireAuth } from './auth.js';
import type { ApiDeps } from './context.js';
import { errorResponse, onError } from './errors.js';
import { dashRequestListener } from './node-listener.js';
import { createApiMetrics } from './metrics/index.js';
import { openApiRoutes } from './openapi/routes.js';
import { authRoutes } from './routes/auth.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { intentRoutes } from './routes/intents.js';
import { metricsRoutes } from './routes/metrics.js';
import { roleRoutes } from './routes/roles.js';
import { sessionRoutes } from './routes/sessions.js';
import { swarmRoutes } from './routes/swarms.js';
import { taskRoutes } from './routes/tasks.js';
import { usageRoutes } from './routes/usage.js';
import { worktreeRoutes } from './routes/worktrees.js';

/** `proxy` is the LLM proxy's process state; tests pass their own to close it. */
export function createApp(
  deps: ApiDeps,
  proxy: ProxyRuntime = createProxyRuntime(deps.config, deps.database),
) {
  return createApi(deps, proxy).app;
}

/**
 * The app and the Node request listener to serve it with (`createDashServer(listener)`), which
 * answers the proxy's chat routes without going through Hono.
 */
export function createApi(deps: ApiDeps, proxy: ProxyRuntime) {
  const metrics = createApiMetrics(deps, proxy);
  const auth = requireAuth(deps.database.db, proxy.settings.jwtSecret);
  const publicDocs = new Set(deps.config.api.publicDocs ? ['/api/v1/openapi.json', '/api/v1/docs'] : []);
  const app = new Hono()
    .use('*', metrics.middleware)
    .use(
      '/api/*',
      bodyLimit({
        maxSize: 1024 * 1024,
        onError: (c) => errorResponse(c, 413, 'body_too_large', 'The request body is larger than 1 MiB.'),
      }),
    )
    .route('/health', healthRoutes(deps))
    // Closed by default: everything but /health (and /proxy, which checks its own keys).
    .use('/metrics', auth)
    .use('/api/*', (c, next) => (publicDocs.has(c.req.path) ? next() : auth(c, next)))
    .route('/metrics', metricsRoutes(metrics))
    .route('/api/v1/auth', authRoutes(deps))
    .route('/api/v1/intents', intentRoutes(deps))
    .route('/api/v1/roles', roleRoutes())
    .route('/api/v1/swarms', swarmRoutes(deps))
    .route('/api/v1/tasks', taskRoutes(deps))
    .route('/api/v1/agents', sessionRoutes(deps))
    // The seed's name for the same resource: an agent session is a Pi session when its runtime is Pi.
    .route('/api/v1/pi/sessions', sessionRoutes(deps))
    .route('/api/v1/worktrees', worktreeRoutes(deps))
    .route('/api/v1/usage', usageRoutes(deps, proxy))
    .route('/api/v1/events', eventRoutes(deps))
    .route('/api/v1', openApiRoutes())
    .route('/proxy', proxyRoutes(proxy));
  app.onError(onError);
  app.notFound((c) =>
    errorResponse(c, 404, 'route_not_found', `No route for ${c.req.method} ${c.req.path}.`),
  );
  return { app, listener: dashRequestListener(app, proxy, metrics.observeHttp) };
}

export type DashApp = ReturnType<typeof createApp>;
