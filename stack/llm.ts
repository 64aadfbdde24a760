// Resolves the model endpoint: real provider keys if present, otherwise the rehearsal server,
// started here and announced loudly so nobody mistakes scripted output for a real model.
import type { DashConfig, LlmSettings } from '../core/config.js';
import { startRehearsalServer, type RehearsalServer } from '../rehearsal/server.js';

export interface ResolvedLlm {
  llm: LlmSettings;
  rehearsal: RehearsalServer | undefined;
}

export const REHEARSAL_BANNER =
  'No provider key found (ANTHROPIC_API_KEY, OPENAI_API_KEY or DASH_LLM_BASE_URL): using the REHEARSAL provider, a scripted offline LLM. Plans and edits come from rehearsal/scenarios, not from a real model.';

export async function resolveLlm(
  config: DashConfig,
  log: (line: string) => void,
  port = config.rehearsalPort,
): Promise<ResolvedLlm> {
  if (config.llm.kind !== 'rehearsal') return { llm: config.llm, rehearsal: undefined };
  const rehearsal = await startRehearsalServer({ port });
  log(`${REHEARSAL_BANNER} (listening on ${rehearsal.url})`);
  return { llm: { ...config.llm, baseUrl: `${rehearsal.url}/v1` }, rehearsal };
}
