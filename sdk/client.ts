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

export interface SwarmView {
  id: string;
  intent_id: string;
  intent: string;
  status: IntentView['status'];
  summary: string;
  gate: string | null;
  planner_model: string;
  result_branch: string | null;
  tasks: {
    total: number;
    pending: number;
    running: number;
    completed: number;
    failed: number;
    cancelled: number;
  };
  cost_usd: number;
  web_ui_url: string;
  created_at: string;
  updated_at: string;
}

export interface SwarmDetail extends SwarmView {
  plan: { key: string; title: string; role: string; runtime: string; depends_on: string[] }[];
}

/** A task as GET /api/v1/tasks lists it (IntentDetail's TaskView is the same task seen from its intent). */
export interface SwarmTaskView extends Omit<TaskView, 'session'> {
  id: string;
  intent_id: string;
  swarm_id: string | null;
  prompt: string;
  role: string;
  runtime: string;
  session_id: string | null;
  created_at: string;
  updated_at: string;
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

/** One entry of the live event log (GET /api/v1/events). */
export interface DashEvent {
  /** The event id: pass it as `after` to resume after this event. */
  id: number;
  kind:
    | 'intent.status'
    | 'intent.plan'
    | 'task.added'
    | 'task.status'
    | 'session.status'
    | 'session.event'
    | 'proxy.request'
    | (string & {});
  intent_id: string | null;
  session_id: string | null;
  payload: Record<string, unknown>;
  created_at: string;
}

export interface EventFilters {
  intent_id?: string;
  session_id?: string;
  kinds?: string[];
}

export interface EventStreamOptions {
  filters?: EventFilters;
  /** Start after this event id (0 or absent: from the first stored event). */
  after?: number;
  /** Stops the stream: the iterator then ends without an error. */
  signal?: AbortSignal;
  /** false: end once every stored event has been yielded, instead of waiting for new ones. */
  follow?: boolean;
  /** Called once, when every event stored at connection time has been yielded. */
  onCaughtUp?: (lastId: number) => void;
  /** Called before each reconnection after a dropped stream. */
  onReconnect?: (info: { lastId: number; attempt: number; error: unknown }) => void;
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
  private readonly key: string | (() => string | undefined) | undefined;

  /**
   * `apiKey`: a Dash API key or JWT, or a function returning one, asked before every request (the
   * CLI's key file may appear only once the stack it starts is up).
   */
  constructor(opts: { baseUrl: string; apiKey?: string | (() => string | undefined) | undefined }) {
    this.baseUrl = opts.baseUrl.replace(/\/$/, '');
    this.key = opts.apiKey;
  }

  private get apiKey(): string | undefined {
    return typeof this.key === 'function' ? this.key() : this.key;
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    opts: { timeoutMs?: number; okStatuses?: number[]; text?: boolean } = {},
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
    // Text answers (Prometheus metrics) come back as they are; their errors are JSON like the rest.
    if (opts.text && res.ok) return text as T;
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

  health(): Promise<{ status: 'ok'; service: 'dash'; llm: string }> {
    return this.request('GET', '/health', undefined, { timeoutMs: 2_000 });
  }

  /** Prometheus text exposition of /metrics (needs an admin key). */
  metrics(): Promise<string> {
    return this.request('GET', '/metrics', undefined, { text: true });
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

  /** Temporal reset to the start of the swarm (or a WorkflowTaskCompleted event id); landed tasks stay. */
  resetIntent(
    id: string,
    input: { to?: 'swarm-start' | number; reason?: string } = {},
  ): Promise<{ id: string; reset_to_event: number; run_id: string; web_ui_url: string }> {
    return this.request('POST', `/api/v1/intents/${encodeURIComponent(id)}/reset`, input);
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

  listSwarms(query: { limit?: number; cursor?: string; status?: string } = {}): Promise<Page<SwarmView>> {
    return this.request('GET', `/api/v1/swarms${queryString(query)}`);
  }

  /** A swarm (its id is its intent's) with its plan. */
  getSwarm(id: string): Promise<SwarmDetail> {
    return this.request('GET', `/api/v1/swarms/${encodeURIComponent(id)}`);
  }

  listTasks(
    query: { limit?: number; cursor?: string; status?: string; intent_id?: string; role?: string } = {},
  ): Promise<Page<SwarmTaskView>> {
    return this.request('GET', `/api/v1/tasks${queryString(query)}`);
  }

  /** A task by its id, `<intent id>-<task key>`. */
  getTask(id: string): Promise<SwarmTaskView> {
    return this.request('GET', `/api/v1/tasks/${encodeURIComponent(id)}`);
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
    /** A model alias (smart, fast, cheap, …) or id. */
    model?: string;
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

  /**
   * The live event log as an async iterator over Server-Sent Events: every stored event after
   * `after`, then new ones as they happen. A dropped connection is reopened by itself from the last
   * event id received, so no event is missed or repeated. Errors: 4xx answers (bad filters, unknown
   * ids) and an unreachable API on the first connection throw a DashApiError.
   *
   *     for await (const e of client.events({ filters: { intent_id }, signal })) console.log(e.kind);
   */
  async *events(opts: EventStreamOptions = {}): AsyncGenerator<DashEvent, void, undefined> {
    let lastId = opts.after ?? 0;
    let caughtUp = false;
    let connected = false;
    let attempt = 0;
    const query = {
      intent_id: opts.filters?.intent_id,
      session_id: opts.filters?.session_id,
      kinds: opts.filters?.kinds?.join(','),
    };
    while (!opts.signal?.aborted) {
      const stop = new AbortController();
      const onAbort = () => stop.abort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      let dropped: unknown;
      try {
        const res = await this.openEventStream({ ...query, after: lastId }, stop, connected);
        connected = true;
        for await (const message of readSse(res.body!, stop)) {
          if (message.event === 'caught_up') {
            attempt = 0;
            if (!caughtUp) {
              caughtUp = true;
              opts.onCaughtUp?.(lastId);
            }
            if (opts.follow === false) return;
          } else if (message.event === 'error') {
            dropped = new Error(`the server ended the stream: ${message.data}`);
            break;
          } else if (!message.event && message.data) {
            const event = JSON.parse(message.data) as DashEvent;
            lastId = event.id;
            yield event;
          }
        }
        dropped ??= new Error('the server closed the stream');
      } catch (err) {
        if (opts.signal?.aborted) return;
        if (err instanceof DashApiError && (err.status === 0 ? !connected : err.status < 500)) throw err;
        dropped = err;
      } finally {
        opts.signal?.removeEventListener('abort', onAbort);
        stop.abort();
      }
      if (opts.signal?.aborted) return;
      attempt++;
      opts.onReconnect?.({ lastId, attempt, error: dropped });
      await delay(Math.min(250 * 2 ** Math.min(attempt - 1, 5), 5_000), opts.signal);
    }
  }

  private async openEventStream(
    query: Record<string, string | number | undefined>,
    stop: AbortController,
    reconnecting: boolean,
  ): Promise<Response> {
    const headerTimeout = setTimeout(() => stop.abort(), 30_000);
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/api/v1/events${queryString(query)}`, {
        headers: {
          accept: 'text/event-stream',
          ...(this.apiKey && { authorization: `Bearer ${this.apiKey}` }),
        },
        signal: stop.signal,
      });
    } catch (err) {
      throw new DashApiError(
        0,
        'api_unreachable',
        `Cannot reach the Dash API at ${this.baseUrl}${reconnecting ? ' (reconnecting)' : ''}: ${(err as Error).message}`,
      );
    } finally {
      clearTimeout(headerTimeout);
    }
    if (res.ok && res.body) return res;
    const text = await res.text().catch(() => '');
    let err: { code?: string; message?: string; details?: unknown } | undefined;
    try {
      err = (JSON.parse(text) as { error?: typeof err }).error;
    } catch {
      err = undefined;
    }
    throw new DashApiError(
      res.status,
      err?.code ?? 'http_error',
      err?.message ?? `HTTP ${res.status}`,
      err?.details,
    );
  }

  listWorktrees(
    query: { limit?: number; cursor?: string; status?: 'active' | 'removed' } = {},
  ): Promise<Page<WorktreeView>> {
    return this.request('GET', `/api/v1/worktrees${queryString(query)}`);
  }

  getWorktree(id: string): Promise<WorktreeView> {
    return this.request('GET', `/api/v1/worktrees/${encodeURIComponent(id)}`);
  }

  listRoles(): Promise<{ data: RoleView[] }> {
    return this.request('GET', '/api/v1/roles');
  }

  /** Proxy spending aggregated by `group_by` (e.g. 'intent,model'), confined to the caller's tenant. */
  usage(query: UsageQuery = {}): Promise<UsageReport> {
    return this.request('GET', `/api/v1/usage${queryString(query)}`);
  }

  /** The OpenAPI 3.1 document of this API. */
  openApi(): Promise<Record<string, unknown>> {
    return this.request('GET', '/api/v1/openapi.json');
  }

  /** Who this client's key is: tenant, user, scope. */
  whoami(): Promise<WhoamiView> {
    return this.request('GET', '/api/v1/auth/whoami');
  }

  /** A new API key of the caller's tenant (needs admin); its secret is in `key`, returned only now. */
  createApiKey(input: {
    name: string;
    scope?: 'read' | 'write' | 'admin';
    expires_in_days?: number;
  }): Promise<ApiKeyView & { key: string }> {
    return this.request('POST', '/api/v1/auth/keys', input);
  }

  listApiKeys(
    query: { limit?: number; cursor?: string; include_revoked?: 'true' | 'false' } = {},
  ): Promise<Page<ApiKeyView>> {
    return this.request('GET', `/api/v1/auth/keys${queryString(query)}`);
  }

  revokeApiKey(id: string): Promise<{ id: string; revoked: boolean; was_revoked: boolean }> {
    return this.request('DELETE', `/api/v1/auth/keys/${encodeURIComponent(id)}`);
  }
}

export interface ApiKeyView {
  id: string;
  prefix: string;
  name: string | null;
  scope: 'proxy' | 'read' | 'write' | 'admin';
  tenant: string;
  user: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface WhoamiView {
  tenant: string;
  user: string;
  scope: 'proxy' | 'read' | 'write' | 'admin';
  auth: 'api_key' | 'jwt';
  key_id: string | null;
}

export interface RoleView {
  name: string;
  [k: string]: unknown;
}

export interface UsageQuery {
  group_by?: string;
  from?: string;
  to?: string;
  user?: string;
  intent?: string;
  swarm?: string;
  session?: string;
  model?: string;
  [k: string]: string | undefined;
}

export interface UsageReport {
  group_by: string[];
  rows: Array<Record<string, string | number | null>>;
  total_cost_usd: number;
}

function queryString(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams(
    Object.entries(query)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]): [string, string] => [k, String(v)]),
  );
  return params.size ? `?${params}` : '';
}

/** A stream that sends nothing (not even a heartbeat) for this long is taken as dead. */
const SSE_IDLE_MS = 60_000;

/** Server-Sent Events messages from a response body, per the WHATWG parsing rules we need. */
async function* readSse(
  body: ReadableStream<Uint8Array>,
  stop: AbortController,
): AsyncGenerator<{ event: string; data: string; id: string | undefined }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  try {
    for (;;) {
      let idle: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) => {
          idle = setTimeout(() => reject(new Error('the stream went silent')), SSE_IDLE_MS);
        }),
      ]).finally(() => clearTimeout(idle));
      if (chunk.done) return;
      buffer += decoder.decode(chunk.value, { stream: true });
      let newline: number;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (data.length || event) yield { event, data: data.join('\n'), id };
          event = '';
          data = [];
          id = undefined;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') data.push(value);
        else if (field === 'event') event = value;
        else if (field === 'id') id = value;
      }
    }
  } finally {
    stop.abort();
    reader.cancel().catch(() => undefined);
  }
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
