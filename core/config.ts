// One place that reads DASH_* environment variables, validated with zod, so every surface (API,
// worker, CLI) agrees on defaults. Defaults favour safety: loopback only, embedded everything.
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ProxyEnvShape, resolveProxySettings, type ProxySettings } from '../proxy/settings.js';
import { DEFAULT_DEPENDENCIES, parseDependencyList } from '../worktrees/dependencies.js';

const port = z.coerce.number().int().min(0).max(65535);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const EnvSchema = z.object({
  DASH_HOME: optionalString,
  DASH_HOST: z.string().default('127.0.0.1'),
  DASH_PORT: port.default(7373),
  DASH_API_URL: optionalString,
  DASH_DATABASE_URL: optionalString,
  DASH_TEMPORAL_ADDRESS: optionalString,
  DASH_TEMPORAL_NAMESPACE: z.string().default('default'),
  DASH_TEMPORAL_PORT: port.default(7233),
  DASH_TEMPORAL_UI_PORT: port.optional(),
  DASH_TEMPORAL_UI_URL: optionalString,
  DASH_TEMPORAL_CLI: optionalString,
  DASH_TASK_QUEUE: z.string().default('dash-orchestrator'),
  /** The CLI's and SDK's key for the control API; unset, the CLI reads the stack's local admin key. */
  DASH_API_KEY: optionalString,
  /** Serve /api/v1/openapi.json and /api/v1/docs without a key (off: they need one like the rest). */
  DASH_PUBLIC_DOCS: z.enum(['on', 'off']).default('off'),
  DASH_WORKTREE_ROOT: optionalString,
  DASH_WORKTREE_SHARED: z.string().optional(),
  DASH_AGENT_COMMAND: optionalString,
  DASH_WORKTREE_CLEANUP: z.enum(['immediate', 'on_success', 'delayed', 'manual']).default('on_success'),
  DASH_WORKTREE_TTL_MS: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(24 * 3600_000),
  DASH_WORKTREE_ISOLATED: z.string().optional(),
  DASH_REHEARSAL_PORT: port.default(7380),
  DASH_LLM_BASE_URL: optionalString,
  DASH_LLM_API: z.enum(['openai', 'anthropic']).optional(),
  DASH_LLM_MODEL: optionalString,
  DASH_PLANNER_MODEL: optionalString,
  DASH_AGENT_HEARTBEAT_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  DASH_AGENT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(60 * 60_000),
  DASH_OPENCLAW_MAX_SESSIONS: z.coerce.number().int().positive().optional(),
  /**
   * Agents' model traffic: through Dash's LLM proxy with a key per session (`on`), or straight to
   * the provider (`off`). `auto`: through the proxy where the process serves it itself and it can
   * route the agents' model (the embedded stack, stack/agent-proxy.ts); elsewhere direct.
   */
  DASH_AGENT_PROXY: z.enum(['on', 'off', 'auto']).default('auto'),
  DASH_SWARM_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(8),
  DASH_MAX_FIX_ATTEMPTS: z.coerce.number().int().min(0).max(10).default(2),
  DASH_GATE_COMMAND: optionalString,
  DASH_REVIEW_ROUNDS: z.coerce.number().int().min(0).max(5).default(0),
  DASH_RATE_LIMIT_BACKOFF_MS: z.coerce.number().int().min(1).max(600_000).default(15_000),
  DASH_RATE_LIMIT_RETRIES: z.coerce.number().int().min(0).max(50).default(6),
  DASH_MERGE_BATCH: z.coerce.number().int().min(1).max(20).default(4),
  /** 0 turns the Monitor off. */
  DASH_STALL_TIMEOUT_MS: z.coerce.number().int().min(0).max(86_400_000).default(600_000),
  DASH_MAX_AGENT_SESSIONS: z.coerce.number().int().positive().optional(),
  ANTHROPIC_API_KEY: optionalString,
  OPENAI_API_KEY: optionalString,
  ...ProxyEnvShape,
});

export type DashEnv = z.infer<typeof EnvSchema>;

export interface DashConfig {
  home: string;
  api: { host: string; port: number; url: string; key: string | undefined; publicDocs: boolean };
  databaseUrl: string | undefined;
  temporal: {
    /** Set when the user points Dash at an existing cluster; then Dash starts no server. */
    externalAddress: string | undefined;
    address: string;
    namespace: string;
    port: number;
    uiPort: number;
    uiUrl: string;
    cliPath: string | undefined;
    taskQueue: string;
  };
  worktreeRoot: string;
  /** Entries symlinked from the main checkout (shared) or copied into each worktree (isolated). */
  worktreeDependencies: { shared: string[]; isolated: string[] };
  worktreeCleanup: 'immediate' | 'on_success' | 'delayed' | 'manual';
  /** Shell command run by the generic `command` runtime, with the prompt in DASH_PROMPT. */
  agentCommand: string | undefined;
  worktreeTtlMs: number;
  rehearsalPort: number;
  llm: LlmSettings;
  agent: {
    heartbeatTimeoutMs: number;
    timeoutMs: number;
    maxSessions: number;
    /** Agents call models through the proxy (decided from `proxyMode` where the proxy runs). */
    viaProxy: boolean;
    /** DASH_AGENT_PROXY as set: `auto` lets the embedded stack turn `viaProxy` on. */
    proxyMode: 'on' | 'off' | 'auto';
  };
  /**
   * How a swarm runs: sessions at once, how often a failing acceptance check goes back to its
   * agent, and the repository's test command run on every merge (the gate).
   */
  swarm: {
    concurrency: number;
    maxFixAttempts: number;
    gateCommand: string | undefined;
    reviewRounds: number;
    /** A rate-limited session waits this long (doubling) before it goes on, this many times. */
    rateLimit: { backoffMs: number; retries: number };
    /** The Monitor stops an agent that emits nothing for this long, after a nudge (0: off). */
    stallMs: number;
    /** Finished branches merged and gated together at most; a failing batch is bisected. */
    mergeBatchSize: number;
  };
  /** The LLM proxy: provider keys and URLs, aliases, limits, PII, cache. */
  proxy: ProxySettings;
}

/** Which model endpoint planners and agents talk to. `rehearsal` means the offline scripted server. */
export interface LlmSettings {
  kind: 'rehearsal' | 'openai' | 'anthropic' | 'custom';
  api: 'openai' | 'anthropic';
  /** Unset for rehearsal until the rehearsal server is started and its URL known. */
  baseUrl: string | undefined;
  model: string;
  plannerModel: string;
  apiKey: string | undefined;
}

/** The API as a process on this host reaches it (a server bound to every address answers on loopback). */
export const localApiUrl = (host: string, port: number) =>
  `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): DashConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Invalid Dash configuration: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const e = parsed.data;
  const home = path.resolve(e.DASH_HOME ?? path.join(os.homedir(), '.dash'));
  const uiPort = e.DASH_TEMPORAL_UI_PORT ?? e.DASH_TEMPORAL_PORT + 1000;
  const apiUrl = e.DASH_API_URL ?? localApiUrl(e.DASH_HOST, e.DASH_PORT);
  return {
    home,
    api: {
      host: e.DASH_HOST,
      port: e.DASH_PORT,
      url: apiUrl.replace(/\/$/, ''),
      key: e.DASH_API_KEY,
      publicDocs: e.DASH_PUBLIC_DOCS === 'on',
    },
    databaseUrl: e.DASH_DATABASE_URL,
    temporal: {
      externalAddress: e.DASH_TEMPORAL_ADDRESS,
      address: e.DASH_TEMPORAL_ADDRESS ?? `127.0.0.1:${e.DASH_TEMPORAL_PORT}`,
      namespace: e.DASH_TEMPORAL_NAMESPACE,
      port: e.DASH_TEMPORAL_PORT,
      uiPort,
      uiUrl: (e.DASH_TEMPORAL_UI_URL ?? `http://127.0.0.1:${uiPort}`).replace(/\/$/, ''),
      cliPath: e.DASH_TEMPORAL_CLI,
      taskQueue: e.DASH_TASK_QUEUE,
    },
    worktreeRoot: path.resolve(e.DASH_WORKTREE_ROOT ?? path.join(home, 'worktrees')),
    worktreeDependencies: {
      shared: parseDependencyList(e.DASH_WORKTREE_SHARED, DEFAULT_DEPENDENCIES.shared),
      isolated: parseDependencyList(e.DASH_WORKTREE_ISOLATED, DEFAULT_DEPENDENCIES.isolated),
    },
    worktreeCleanup: e.DASH_WORKTREE_CLEANUP,
    agentCommand: e.DASH_AGENT_COMMAND,
    worktreeTtlMs: e.DASH_WORKTREE_TTL_MS,
    rehearsalPort: e.DASH_REHEARSAL_PORT,
    llm: resolveLlm(e),
    agent: {
      heartbeatTimeoutMs: e.DASH_AGENT_HEARTBEAT_TIMEOUT_MS,
      timeoutMs: e.DASH_AGENT_TIMEOUT_MS,
      maxSessions: e.DASH_OPENCLAW_MAX_SESSIONS ?? e.DASH_MAX_AGENT_SESSIONS ?? 50,
      viaProxy: e.DASH_AGENT_PROXY === 'on',
      proxyMode: e.DASH_AGENT_PROXY,
    },
    proxy: resolveProxySettings(e),
    swarm: {
      concurrency: e.DASH_SWARM_CONCURRENCY,
      maxFixAttempts: e.DASH_MAX_FIX_ATTEMPTS,
      gateCommand: e.DASH_GATE_COMMAND,
      reviewRounds: e.DASH_REVIEW_ROUNDS,
      rateLimit: { backoffMs: e.DASH_RATE_LIMIT_BACKOFF_MS, retries: e.DASH_RATE_LIMIT_RETRIES },
      stallMs: e.DASH_STALL_TIMEOUT_MS,
      mergeBatchSize: e.DASH_MERGE_BATCH,
    },
  };
}

// Real keys win; with none, Dash falls back to the rehearsal provider and says so loudly.
function resolveLlm(e: DashEnv): LlmSettings {
  if (e.DASH_LLM_BASE_URL) {
    const model = e.DASH_LLM_MODEL ?? 'rehearsal-1';
    return {
      kind: 'custom',
      api: e.DASH_LLM_API ?? 'openai',
      baseUrl: e.DASH_LLM_BASE_URL.replace(/\/$/, ''),
      model,
      plannerModel: e.DASH_PLANNER_MODEL ?? model,
      apiKey: e.OPENAI_API_KEY ?? e.ANTHROPIC_API_KEY,
    };
  }
  if (e.ANTHROPIC_API_KEY) {
    const model = e.DASH_LLM_MODEL ?? 'claude-sonnet-4-5';
    return {
      kind: 'anthropic',
      api: 'anthropic',
      baseUrl: 'https://api.anthropic.com',
      model,
      plannerModel: e.DASH_PLANNER_MODEL ?? model,
      apiKey: e.ANTHROPIC_API_KEY,
    };
  }
  if (e.OPENAI_API_KEY) {
    const model = e.DASH_LLM_MODEL ?? 'gpt-4.1';
    return {
      kind: 'openai',
      api: 'openai',
      baseUrl: 'https://api.openai.com/v1',
      model,
      plannerModel: e.DASH_PLANNER_MODEL ?? model,
      apiKey: e.OPENAI_API_KEY,
    };
  }
  return {
    kind: 'rehearsal',
    api: 'openai',
    baseUrl: undefined,
    model: e.DASH_LLM_MODEL ?? 'rehearsal-1',
    plannerModel: e.DASH_PLANNER_MODEL ?? 'rehearsal-1',
    apiKey: 'rehearsal',
  };
}

export function webUiWorkflowUrl(config: DashConfig, workflowId: string): string {
  return `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
