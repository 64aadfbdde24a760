// The proxy's HTTP surface, mounted at /proxy: OpenAI chat completions, Anthropic messages, the
// model list and health. Errors leave in the format of the endpoint that was called. Bodies are
// read and size-limited in node-io.ts, not by hono's bodyLimit (it builds a fetch Request per call).
import { Hono, type Context } from 'hono';
import { MODELS } from '../providers/models.js';
import type { ProviderName } from '../providers/types.js';
import { authenticate, tokenOf } from './auth.js';
import { serveChat } from './chat.js';
import { answered, exchangeOf, header } from './node-io.js';
import { renderProxyError } from './errors.js';
import type { ProxyRuntime } from './runtime.js';
import { anthropicSurface, openAiSurface, type SurfaceCodec } from './surfaces.js';

export function proxyRoutes(rt: ProxyRuntime) {
  // The Node server answers these two before Hono sees them (api/node-listener.ts); these routes
  // serve other runtimes, `app.request`, and the rare request with a query string.
  const chat = (codec: SurfaceCodec) => async (c: Context) => {
    const ex = exchangeOf(c);
    await serveChat(ex, codec, rt);
    return answered(ex);
  };
  return new Hono()
    .post('/v1/chat/completions', chat(openAiSurface))
    .post('/v1/messages', chat(anthropicSurface))
    .get('/v1/models', async (c) => {
      const ex = exchangeOf(c);
      try {
        await authenticate(
          rt.db,
          tokenOf({ authorization: header(ex, 'authorization'), xApiKey: header(ex, 'x-api-key') }),
          rt.settings.jwtSecret,
        );
      } catch (err) {
        renderProxyError(ex, 'openai', err);
        return answered(ex);
      }
      const served = MODELS.filter(
        (m) => m.provider !== 'custom' && rt.settings.providers[m.provider].enabled,
      );
      const servedIds = new Set(served.map((m) => m.id));
      const aliases = Object.entries(rt.settings.aliases)
        .filter(([, models]) => models.some((m) => servedIds.has(m)))
        .map(([id, models]) => ({
          id,
          object: 'model' as const,
          created: 0,
          owned_by: 'dash',
          alias_of: models.filter((m) => servedIds.has(m)),
        }));
      const models = served.map((m) => ({
        id: m.id,
        object: 'model' as const,
        created: 0,
        owned_by: m.provider,
        context_window: m.contextWindow,
        max_output_tokens: m.maxTokens,
        capabilities: m.capabilities,
        price_per_million_tokens: m.price,
      }));
      return c.json({ object: 'list' as const, data: [...aliases, ...models] });
    })
    .get('/metrics', (c) => c.text(rt.metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4' }))
    .get('/health', (c) => {
      // Which providers are usable and cooling down; never their keys or URLs.
      const providers = Object.fromEntries(
        (Object.keys(rt.settings.providers) as ProviderName[]).map((p) => [
          p,
          { enabled: rt.settings.providers[p].enabled, cooling_down_ms: rt.health.coolingFor(p) },
        ]),
      );
      return c.json({
        ok: Object.values(rt.settings.providers).some((p) => p.enabled),
        providers,
        limits: rt.limitStoreKind,
        cache: rt.cache.size,
      });
    });
}
