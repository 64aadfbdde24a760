// Where an agent's model traffic goes. Through the proxy, each run gets a virtual key of its
// own, minted here and revoked when the run ends, so every token is attributed to the session,
// its swarm and its intent, and the provider keys never reach the agent. The key is minted
// inside the activity so that it never appears in workflow history; a run killed with its
// worker leaves a key that expires with the agent timeout.
import { agentModel } from '../core/agent-model.js';
import type { LlmSettings } from '../core/config.js';
import { eq } from 'drizzle-orm';
import { intents } from '../drizzle/schema.js';
import { mintVirtualKey, revokeVirtualKey } from '../proxy/auth.js';
import type { ActivityDeps } from './deps.js';

/**
 * Runtimes whose traffic the proxy serves as they speak it when the proxy is on by default
 * (DASH_AGENT_PROXY=auto): Pi (checked end to end) and the generic command. Claude Code, Codex
 * and OpenClaw go through it only with DASH_AGENT_PROXY=on (Codex speaks the Responses API,
 * which the proxy does not serve yet).
 */
const PROXIED_BY_DEFAULT = new Set(['pi', 'command']);

export async function agentLlm(
  { db, config, llm: defaults }: Pick<ActivityDeps, 'db' | 'config' | 'llm'>,
  session: { sessionId: string; intentId?: string; model?: string; runtime?: string },
): Promise<{ llm: LlmSettings; release: () => Promise<void> }> {
  const viaProxy =
    config.agent.viaProxy &&
    (config.agent.proxyMode === 'on' || PROXIED_BY_DEFAULT.has(session.runtime ?? 'pi'));
  const model = agentModel(defaults, session.model, { viaProxy, aliases: config.proxy.aliases });
  const llm = { ...defaults, model };
  if (!viaProxy) return { llm, release: async () => undefined };
  const [intent] = session.intentId
    ? await db.select({ tenantId: intents.tenantId }).from(intents).where(eq(intents.id, session.intentId))
    : [];
  const key = await mintVirtualKey(db, {
    tenantId: intent?.tenantId ?? 'default',
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
