// The API's Node request listener and server. The proxy's two chat routes, which carry every model
// call of every agent, are answered here before Hono sees them: @hono/node-server's fetch-style
// Request, Hono's dispatch and middleware, and a fetch Response copied back into Node's objects
// cost 0.06-0.09 ms of the ~0.33 ms the proxy added to a call (bench/README.md, third round). Everything else, and a
// chat call with a query string, goes through the Hono app, whose routes run the same pipeline.
import http, { type RequestListener } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import { serveChat } from '../proxy/chat.js';
import { nodeExchange } from '../proxy/node-io.js';
import type { ProxyRuntime } from '../proxy/runtime.js';
import type { ApiMetrics } from './metrics/index.js';
import { anthropicSurface, openAiSurface, type SurfaceCodec } from '../proxy/surfaces.js';

const CHAT_ROUTES = new Map<string, SurfaceCodec>([
  ['/proxy/v1/chat/completions', openAiSurface],
  ['/proxy/v1/messages', anthropicSurface],
]);

export function dashRequestListener(
  app: Pick<Hono, 'fetch'>,
  proxy: ProxyRuntime,
  observe: ApiMetrics['observeHttp'],
): RequestListener {
  const viaHono = getRequestListener(app.fetch);
  return (incoming, outgoing) => {
    const route = incoming.url ?? '';
    const codec = incoming.method === 'POST' ? CHAT_ROUTES.get(route) : undefined;
    if (!codec) return void viaHono(incoming, outgoing);
    const started = performance.now();
    serveChat(nodeExchange(incoming, outgoing), codec, proxy).then(
      () => observe('POST', route, outgoing.statusCode, (performance.now() - started) / 1000),
      (err: unknown) => {
        // serveChat answers its own failures; this is a failure to write that answer.
        console.error('[dash proxy] answering a request failed:', (err as Error).message);
        observe('POST', route, 500, (performance.now() - started) / 1000);
        outgoing.destroy();
      },
    );
  };
}

/** An HTTP server for the API; listen on it as on any `http.Server`. */
export const createDashServer = (listener: RequestListener) => http.createServer(listener);
