// DashClient: a small typed client for the Dash REST API, used by the CLI and by integrators.
export interface IntentView {
  id: string;
  intent: string;
  status:
    | 'queued'
    | 'planning'
    | 'awaiting_approval'
    | 'running'
    | 'paused'
    | 'merging'
    | 'completed'
    | 'failed'
    | 'budget_exceeded'
    | 'cancelled';
  repo: string;
  base_branch: string;
  result_branch: string | null;
  result_commit: string | null;
  files_changed: string[];
  tokens: { input: number; output: number; total: number };
  cost_usd: number;
  llm: string | null;
  error: { code: string; message: string } | null;
  workflow_id: string;
  web_ui_url: string;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

export interface TaskView {
  key: string;
  title: string;
  status: 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
  depends_on: string[];
  branch: string | null;
  commit: string | null;
  files_changed: string[];
  tokens: { input: number; output: number };
  cost_usd: number;
  error: { code: string; message: string } | null;
  session: {
    id: string;
    status: string;
    attempt: number;
    runtime: string;
    last_activity_at: string | null;
    agent_ms: number | null;
  } | null;
}

export interface IntentDetail extends IntentView {
  tasks: TaskView[];
}

export interface ReadyView {
  status: 'ready' | 'not_ready';
  checks: Record<string, { status: 'ok' | 'error'; error?: string; [k: string]: unknown }>;
  llm: string;
  temporal_ui: string;
}

export interface AgentView {
  id: string;
  intent_id: string | null;
  task_id: string | null;
  role: string;
  runtime: string;
  status: string;
  attempt: number;
  worktree: string | null;
  pid: number | null;
  current_tool: string | null;
  tokens: { input: number; output: number };
  cost_usd: number;
  agent_ms: number | null;
  error: string | null;
  last_activity_at: string | null;
  created_at: string;
  ended_at: string | null;
  workflow_id: string;
  web_ui_url: string;
  live?: Record<string, unknown> | null;
}

export interface WorktreeView {
  id: string;
  session_id: string | null;
  repository: string;
  path: string;
  branch: string;
  base_ref: string;
  status: string;
  cleanup: string;
  port_base: number | null;
  snapshot_ref: string | null;
  created_at: string;
  removed_at: string | null;
}

export interface AgentCreated {
  id: string;
  intent_id: string;
  branch: string;
  role: string;
  runtime: string;
  workflow_id: string;
  web_ui_url: string;
}

export interface WorktreeCreated extends WorktreeView {
  /** What an agent in this worktree would get: PORT, DASH_PORT_BASE, DASH_PORT_COUNT, DASH_WORKTREE. */
  env: Record<string, string>;
  /** Dependency directories linked or copied from the repository. */
  linked: string[];
}

export interface AgentTreeView {
  id: string;
  session_file: string | null;
  leaf_id: string | null;
  entries: {
    id: string;
    parent_id: string | null;
    type: string;
    role: string | null;
    preview: string;
    children: string[];
  }[];
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export class DashApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DashApiError';
  }
}

export class DashClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;

  constructor(opts: { baseUrl: string; apiKey?: string | undefined }) {
    this.baseUrl = opts.baseUrl.replace(/\/$/, '');
    this.apiKey = opts.apiKey;
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    opts: { timeoutMs?: number; okStatuses?: number[] } = {},
  ): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          ...(body !== undefined && { 'content-type': 'application/json' }),
          ...(this.apiKey && { authorization: `Bearer ${this.apiKey}` }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new DashApiError(
        0,
        'api_unreachable',
        `Cannot reach the Dash API at ${this.baseUrl}: ${(err as Error).message}`,
      );
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new DashApiError(
        res.status,
        'bad_response',
        `The Dash API answered with non-JSON (HTTP ${res.status}).`,
      );
    }
    if (!res.ok && !(opts.okStatuses ?? []).includes(res.status)) {
      const err = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | undefined)
        ?.error;
      throw new DashApiError(
        res.status,
        err?.code ?? 'http_error',
        err?.message ?? `HTTP ${res.status}`,
        err?.details,
      );
    }
    return parsed as T;
  }

  live(): Promise<{ status: string }> {
    return this.request('GET', '/health/live', undefined, { timeoutMs: 2_000 });
  }

  ready(): Promise<ReadyView> {
    return this.request('GET', '/health/ready', undefined, { okStatuses: [503] });
  }

  createIntent(input: {
    intent: string;
    repo: string;
    base_branch?: string;
    cleanup?: 'immediate' | 'on_success' | 'delayed' | 'manual';
    gate?: string;
    concurrency?: number;
    max_fix_attempts?: number;
    review_rounds?: number;
    budget?: { usd?: number; tokens?: number };
    approve_plan?: boolean;
  }): Promise<IntentView> {
    return this.request('POST', '/api/v1/intents', input);
  }

  getIntent(id: string): Promise<IntentDetail> {
    return this.request('GET', `/api/v1/intents/${encodeURIComponent(id)}`);
  }

  retryIntent(id: string): Promise<{ id: string; rerun: string[]; kept: string[]; web_ui_url: string }> {
    return this.request('POST', `/api/v1/intents/${encodeURIComponent(id)}/retry`, {});
  }

  cancelIntent(id: string): Promise<{ id: string; cancelling: true }> {
    return this.request('POST', `/api/v1/intents/${encodeURIComponent(id)}/cancel`, {});
  }

  /** Decide the plan of an intent created with approve_plan. */
  decidePlan(id: string, approve: boolean, reason?: string): Promise<{ id: string; approved: boolean }> {
    const action = approve ? 'approve' : 'reject';
    return this.request('POST', `/api/v1/intents/${encodeURIComponent(id)}/${action}`, {
      ...(reason && { reason }),
    });
  }

  pauseIntent(id: string): Promise<{ id: string; paused: true; held_sessions: number }> {
    return this.request('POST', `/api/v1/intents/${encodeURIComponent(id)}/pause`, {});
  }

  resumeIntent(id: string): Promise<{ id: string; resumed: true; released_sessions: number }> {
    return this.request('POST', `/api/v1/intents/${encodeURIComponent(id)}/resume`, {});
  }

  listIntents(query: { limit?: number; cursor?: string; status?: string } = {}): Promise<Page<IntentView>> {
    return this.request('GET', `/api/v1/intents${queryString(query)}`);
  }

  listAgents(
    query: { limit?: number; cursor?: string; status?: string; intent_id?: string } = {},
  ): Promise<Page<AgentView>> {
    return this.request('GET', `/api/v1/agents${queryString(query)}`);
  }

  getAgent(id: string): Promise<AgentView> {
    return this.request('GET', `/api/v1/agents/${encodeURIComponent(id)}`);
  }

  getAgentTree(id: string): Promise<AgentTreeView> {
    return this.request('GET', `/api/v1/agents/${encodeURIComponent(id)}/tree`);
  }

  forkAgent(
    id: string,
    input: { entry_id?: string; prompt?: string },
  ): Promise<{
    id: string;
    forked_from: { id: string; entry_id: string };
    workflow_id: string;
    web_ui_url: string;
  }> {
    return this.request('POST', `/api/v1/agents/${encodeURIComponent(id)}/fork`, input);
  }

  steerAgent(id: string, message: string): Promise<{ id: string; queued: true }> {
    return this.request('POST', `/api/v1/agents/${encodeURIComponent(id)}/steer`, { message });
  }

  abortAgent(id: string, reason?: string): Promise<{ id: string; queued: true }> {
    return this.request('POST', `/api/v1/agents/${encodeURIComponent(id)}/abort`, reason ? { reason } : {});
  }

  createAgent(input: {
    repo: string;
    prompt: string;
    title?: string;
    role?: string;
    runtime?: string;
    base_branch?: string;
    cleanup?: 'immediate' | 'on_success' | 'delayed' | 'manual';
  }): Promise<AgentCreated> {
    return this.request('POST', '/api/v1/agents', input);
  }

  pauseAgent(id: string): Promise<{ id: string; queued: true }> {
    return this.request('POST', `/api/v1/agents/${encodeURIComponent(id)}/pause`, {});
  }

  resumeAgent(id: string, message?: string): Promise<{ id: string; resumed: true }> {
    return this.request(
      'POST',
      `/api/v1/agents/${encodeURIComponent(id)}/resume`,
      message ? { message } : {},
    );
  }

  navigateAgent(
    id: string,
    input: { entry_id: string; summary?: string },
  ): Promise<{ id: string; entry_id: string; branch_entry_id: string }> {
    return this.request('POST', `/api/v1/agents/${encodeURIComponent(id)}/navigate`, input);
  }

  compactAgent(
    id: string,
    instructions?: string,
  ): Promise<{ id: string; tokens_before: number; summary: string }> {
    return this.request(
      'POST',
      `/api/v1/agents/${encodeURIComponent(id)}/compact`,
      instructions ? { instructions } : {},
      { timeoutMs: 300_000 },
    );
  }

  createWorktree(input: { repo: string; branch?: string; base_branch?: string }): Promise<WorktreeCreated> {
    return this.request('POST', '/api/v1/worktrees', input, { timeoutMs: 120_000 });
  }

  cleanupWorktree(id: string): Promise<{ id: string; removed: boolean; snapshot_ref: string | null }> {
    return this.request(
      'POST',
      `/api/v1/worktrees/${encodeURIComponent(id)}/cleanup`,
      {},
      { timeoutMs: 120_000 },
    );
  }

  listWorktrees(
    query: { limit?: number; cursor?: string; status?: 'active' | 'removed' } = {},
  ): Promise<Page<WorktreeView>> {
    return this.request('GET', `/api/v1/worktrees${queryString(query)}`);
  }
}

function queryString(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams(
    Object.entries(query)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]): [string, string] => [k, String(v)]),
  );
  return params.size ? `?${params}` : '';
}
