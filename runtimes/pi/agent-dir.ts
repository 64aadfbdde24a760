// Each Pi session gets its own PI_CODING_AGENT_DIR: models.json points Pi at the endpoint Dash
// chose (rehearsal now, the proxy later), settings.json turns off what would hide failures or
// reach the network (SDK-level retries, telemetry).
import fs from 'node:fs';
import path from 'node:path';
import type { LlmSettings } from '../../core/config.js';
import { modelInfo } from '../../providers/models.js';
import { agentBaseEnv } from '../env.js';

export const PI_PROVIDER = 'dash';
/** The child reads the key from this variable; real provider keys are not passed to agents. */
export const PI_KEY_ENV = 'DASH_AGENT_LLM_KEY';

export function writePiAgentDir(dir: string, llm: LlmSettings): { modelArg: string } {
  fs.mkdirSync(dir, { recursive: true });
  const info = modelInfo(llm.model);
  if (!llm.baseUrl) throw new Error('The LLM base URL is not known yet (is the rehearsal server started?).');
  const provider =
    llm.api === 'anthropic'
      ? { baseUrl: llm.baseUrl.replace(/\/v1$/, ''), api: 'anthropic-messages' }
      : {
          baseUrl: llm.baseUrl,
          api: 'openai-completions',
          compat: { supportsDeveloperRole: false, supportsReasoningEffort: false, supportsStore: false },
        };
  const models = {
    providers: {
      [PI_PROVIDER]: {
        ...provider,
        apiKey: PI_KEY_ENV,
        models: [
          {
            id: llm.model,
            name: llm.model,
            reasoning: false,
            input: ['text'],
            contextWindow: info.contextWindow,
            maxTokens: info.maxTokens,
            cost: info.price,
          },
        ],
      },
    },
  };
  const settings = {
    defaultProvider: PI_PROVIDER,
    defaultModel: llm.model,
    defaultThinkingLevel: 'off',
    enableInstallTelemetry: false,
    quietStartup: true,
    retry: { enabled: true, maxRetries: 2, baseDelayMs: 500, provider: { maxRetries: 0 } },
  };
  fs.writeFileSync(path.join(dir, 'models.json'), JSON.stringify(models, null, 2));
  fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify(settings, null, 2));
  return { modelArg: `${PI_PROVIDER}/${llm.model}` };
}

/** Flags for deterministic headless runs: nothing from the worktree or home is auto-loaded. */
export function piArgs(opts: {
  modelArg: string;
  sessionFile: string;
  tools?: string[];
  systemPrompt?: string;
}): string[] {
  const args = [
    '--model',
    opts.modelArg,
    '--no-extensions',
    '--no-skills',
    '--no-prompt-templates',
    '--no-context-files',
  ];
  args.push('--session', opts.sessionFile);
  if (opts.tools) args.push('--tools', opts.tools.join(','));
  if (opts.systemPrompt) args.push('--append-system-prompt', opts.systemPrompt);
  return args;
}

/** The agent's environment: the parent's, minus provider secrets, plus offline switches. */
export function piEnv(agentDir: string, llm: LlmSettings, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...agentBaseEnv(),
    ...extra,
    PI_CODING_AGENT_DIR: agentDir,
    PI_OFFLINE: '1',
    PI_SKIP_VERSION_CHECK: '1',
    PI_TELEMETRY: '0',
    [PI_KEY_ENV]: llm.apiKey ?? 'none',
  };
}
