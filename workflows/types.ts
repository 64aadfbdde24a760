// Inputs and results that cross the workflow/activity boundary. Types only, so both sides can
// import them without pulling non-deterministic code into the workflow bundle.
/** What happens to a session's worktree when it ends (its branch always stays). */
export type CleanupPolicy = 'immediate' | 'on_success' | 'delayed' | 'manual';

/** Agent runtimes Dash can drive; adapters live in runtimes/. */
export type RuntimeName = 'pi' | 'command';

/** Agent roles; their enforced tool sets live in core/roles.ts. */
export type RoleName = 'coordinator' | 'worker' | 'reviewer' | 'refinery' | 'monitor';

export interface Usage {
  input: number;
  output: number;
  cost: number;
}

export interface IntentInput {
  intentId: string;
  text: string;
  repoPath: string;
  baseBranch: string;
  /** Heartbeat timeout of agent activities: how fast a dead worker's session is retried. */
  agentHeartbeatTimeoutMs: number;
  agentTimeoutMs: number;
  /** Where session worktrees go: <worktreeRoot>/<intentId>/<taskKey>. */
  worktreeRoot: string;
  baseSha: string;
  /** Queue of the workers that run agent processes (bounded per host). */
  agentTaskQueue?: string;
  cleanup?: CleanupPolicy;
  /** How long a `delayed` worktree is kept after its session ends. */
  worktreeTtlMs?: number;
}

export interface PlannedTaskInput {
  id: string;
  title: string;
  prompt: string;
  role: RoleName;
  runtime?: RuntimeName;
  dependsOn: string[];
}

export interface PlanResult {
  summary: string;
  tasks: PlannedTaskInput[];
  usage: Usage;
  model: string;
}

export interface SessionInput {
  intentId: string;
  taskKey: string;
  taskId: string;
  sessionId: string;
  repoPath: string;
  /** Commit the session's branch starts from. */
  baseSha: string;
  branch: string;
  title: string;
  prompt: string;
  role: RoleName;
  runtime?: RuntimeName;
  worktreeRoot: string;
  agentTaskQueue?: string;
  cleanup?: CleanupPolicy;
  worktreeTtlMs?: number;
  /** A fork: the new session starts from this session file, cut at this entry. */
  forkFrom?: { sessionFile: string; entryId: string };
  heartbeatTimeoutMs: number;
  timeoutMs: number;
}

export interface SessionResult {
  taskKey: string;
  sessionId: string;
  branch: string;
  commit: string;
  filesChanged: string[];
  usage: Usage;
  agentMs: number;
}

export interface IntentResult {
  intentId: string;
  resultBranch: string;
  resultCommit: string;
  filesChanged: string[];
  usage: Usage;
  sessions: SessionResult[];
}

export interface AgentOutcome {
  stopReason: string;
  errorMessage: string | undefined;
  finalText: string;
  usage: Usage;
  agentMs: number;
  toolCalls: number;
  attempt: number;
}

/** Live progress an agent activity reports to its session workflow. */
export interface SessionProgress {
  currentTool: string | null;
  lastEvent: string;
  lastActivityAt: number;
  usage: Usage;
  attempt: number;
}
