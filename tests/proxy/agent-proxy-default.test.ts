// Whether agents go through the proxy: DASH_AGENT_PROXY=auto (the default) turns it on in the
// embedded stack, which serves the proxy itself, when the proxy can route the agents' model;
// `off` is the escape hatch, `on` forces it; elsewhere (test stacks, lone workers) auto is direct.
// The end-to-end proof is tests/e2e/embedded-proxy.test.ts.
import { describe, expect, it } from 'vitest';
import { agentLlm } from '../../activities/agent-llm.js';
import { loadConfig, type LlmSettings } from '../../core/config.js';
import type { RehearsalServer } from '../../rehearsal/server.js';
import { embeddedProxyConfig } from '../../stack/agent-proxy.js';

const rehearsalLlm: LlmSettings = {
  kind: 'rehearsal',
  api: 'openai',
  baseUrl: 'http://127.0.0.1:7380/v1',
  model: 'rehearsal-1',
  plannerModel: 'rehearsal-1',
  apiKey: 'rehearsal',
};
const rehearsal = { url: 'http://127.0.0.1:7380' } as RehearsalServer;
const config = (env: Record<string, string> = {}) =>
  loadConfig({ DASH_HOME: '/tmp/dash-agent-proxy-default', DASH_PORT: '7399', ...env });

describe('DASH_AGENT_PROXY', () => {
  it('defaults to auto, which alone routes nothing (no proxy known to be served)', () => {
    expect(config().agent).toMatchObject({ proxyMode: 'auto', viaProxy: false });
    expect(config({ DASH_AGENT_PROXY: 'on' }).agent).toMatchObject({ proxyMode: 'on', viaProxy: true });
  });

  it('auto in the embedded stack: on, with its rehearsal LLM as the proxy provider and its own API as the URL', () => {
    const lines: string[] = [];
    const c = embeddedProxyConfig(
      config({ DASH_HOST: '0.0.0.0', DASH_API_URL: 'http://dash.example:80' }),
      rehearsalLlm,
      rehearsal,
      (l) => lines.push(l),
    );
    expect(c.agent.viaProxy).toBe(true);
    expect(c.proxy.providers.rehearsal).toEqual({
      baseUrl: 'http://127.0.0.1:7380/v1',
      apiKey: undefined,
      enabled: true,
    });
    expect(c.api.url).toBe('http://127.0.0.1:7399');
    expect(lines.join('\n')).toMatch(/through the LLM proxy at http:\/\/127\.0\.0\.1:7399\/proxy\/v1/);
  });

  it('auto with real keys: on when the proxy has that provider', () => {
    const c = embeddedProxyConfig(
      config({ ANTHROPIC_API_KEY: 'sk-ant-x' }),
      { ...rehearsalLlm, kind: 'anthropic', api: 'anthropic', model: 'claude-sonnet-4-5' },
      undefined,
      () => undefined,
    );
    expect(c.agent.viaProxy).toBe(true);
    expect(c.proxy.providers.rehearsal.enabled).toBe(false);
  });

  it('auto with a custom endpoint the proxy cannot route: direct, and the stack says why', () => {
    const lines: string[] = [];
    const c = embeddedProxyConfig(
      config({ DASH_LLM_BASE_URL: 'http://127.0.0.1:9999/v1', DASH_LLM_MODEL: 'local-llm' }),
      { ...rehearsalLlm, kind: 'custom', model: 'local-llm', baseUrl: 'http://127.0.0.1:9999/v1' },
      undefined,
      (l) => lines.push(l),
    );
    expect(c.agent.viaProxy).toBe(false);
    expect(lines.join('\n')).toMatch(/directly/);
  });

  it('off is the escape hatch in the embedded stack; the proxy still serves the rehearsal models', () => {
    const c = embeddedProxyConfig(
      config({ DASH_AGENT_PROXY: 'off' }),
      rehearsalLlm,
      rehearsal,
      () => undefined,
    );
    expect(c.agent.viaProxy).toBe(false);
    expect(c.proxy.providers.rehearsal.enabled).toBe(true);
  });

  it('auto routes the runtimes the proxy serves as they speak (Pi, command); on routes every runtime', async () => {
    const auto = embeddedProxyConfig(config(), rehearsalLlm, rehearsal, () => undefined);
    const deps = { db: undefined as never, config: auto, llm: rehearsalLlm };
    for (const runtime of ['codex', 'claude-code', 'openclaw']) {
      const { llm } = await agentLlm(deps, { sessionId: 's', runtime, model: 'fast' });
      expect(llm.baseUrl).toBe(rehearsalLlm.baseUrl);
      expect(llm.model).toBe('rehearsal-fast');
    }
    const off = embeddedProxyConfig(
      config({ DASH_AGENT_PROXY: 'off' }),
      rehearsalLlm,
      rehearsal,
      () => undefined,
    );
    const { llm } = await agentLlm({ ...deps, config: off }, { sessionId: 's', runtime: 'pi' });
    expect(llm).toEqual(rehearsalLlm);
  });
});
