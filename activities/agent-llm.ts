// Where an agent's model traffic goes. Through the proxy, each run gets a virtual key of its
// own, minted here and revoked when the run ends, so every token is attributed to the session,
// its swarm and its intent, and the provider keys never reach the agent. The key is minted
// inside the activity so that it never appears in workflow history; a run killed with its
// worker leaves a key that expires with the agent timeout.
import { agentModel } from '../core/agent-model.js';
import type { LlmSettings } from '../core/config.js';
import { mintVirtualKey, revokeVirtualKey } from '../proxy/auth.js';
import type { ActivityDeps } from './deps.js';

export async function agentLlm(
  { db, config, llm: defaults }: Pick<ActivityDeps, 'db' | 'config' | 'llm'>,
  session: { sessionId: string; intentId?: string; model?: string },
): Promise<{ llm: LlmSettings; release: () => Promise<void> }> {
  const model = agentModel(defaults, session.model, {
    viaProxy: config.agent.viaProxy,
    aliases: config.proxy.aliases,
  });
  const llm = { ...defaults, model };
  if (!config.agent.viaProxy) return { llm, release: async () => undefined };
  const key = await mintVirtualKey(db, {
    userId: `agent:${session.sessionId}`,
    name: `session ${session.sessionId}`,
    sessionId: session.sessionId,
    ...(session.intentId && { intentId: session.intentId, swarmId: session.intentId }),
    expiresAt: new Date(Date.now() + config.agent.timeoutMs),
  });
  return {
    llm: { ...llm, api: 'openai', baseUrl: `${config.api.url}/proxy/v1`, apiKey: key.key },
    release: async () => {
      await revokeVirtualKey(db, key.id);
    },
  };
}
