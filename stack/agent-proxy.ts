// The embedded stack serves the LLM proxy itself (mounted in its API at /proxy), so with
// DASH_AGENT_PROXY=auto (the default) its agents call models through it, each session with a
// virtual key of its own: every agent call is limited, audited and costed per session and intent.
// Not when the proxy cannot route the agents' model (a DASH_LLM_BASE_URL endpoint with a model
// outside the model table): then they call it directly, and the stack says why.
import { localApiUrl, type DashConfig, type LlmSettings } from '../core/config.js';
import { findModel } from '../providers/models.js';
import type { RehearsalServer } from '../rehearsal/server.js';

export function embeddedProxyConfig(
  config: DashConfig,
  llm: LlmSettings,
  rehearsal: RehearsalServer | undefined,
  log: (line: string) => void,
): DashConfig {
  // The rehearsal LLM this stack started is also the proxy's offline provider (rehearsal-* models).
  const providers =
    rehearsal && !config.proxy.providers.rehearsal.enabled
      ? {
          ...config.proxy.providers,
          rehearsal: { baseUrl: `${rehearsal.url}/v1`, apiKey: undefined, enabled: true },
        }
      : config.proxy.providers;
  const withProxy: DashConfig = { ...config, proxy: { ...config.proxy, providers } };
  if (config.agent.proxyMode !== 'auto') return withProxy;
  const model = findModel(llm.model);
  if (!model || model.provider === 'custom' || !providers[model.provider].enabled) {
    log(
      `Agents call ${llm.model} at ${llm.baseUrl ?? '(unknown)'} directly: the LLM proxy has no provider for it (DASH_AGENT_PROXY=on sends them through it anyway).`,
    );
    return withProxy;
  }
  const url = localApiUrl(config.api.host, config.api.port);
  log(
    `Agents call models through the LLM proxy at ${url}/proxy/v1 with a key per session (DASH_AGENT_PROXY=off: straight to the provider).`,
  );
  return {
    ...withProxy,
    api: { ...config.api, url },
    agent: { ...config.agent, viaProxy: true },
  };
}
