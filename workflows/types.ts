// Inputs and results that cross the workflow/activity boundary. Types only, so both sides can
// import them without pulling non-deterministic code into the workflow bundle.
/** What happens to a session's worktree when it ends (its branch always stays). */
export type CleanupPolicy = 'immediate' | 'on_success' | 'delayed' | 'manual';

/** Agent runtimes Dash can drive; adapters live in runtimes/. */
export type RuntimeName = 'pi' | 'command' | 'claude-code' | 'codex' | 'openclaw';

/** Agent roles; their enforced tool sets live in core/roles.ts. */
export type RoleName = 'coordinator' | 'worker' | 'reviewer' | 'refinery' | 'monitor';

export interface Usage {
  input: number;
  output: number;
  cost: number;
}

/** A spending limit for one intent, in dollars and/or tokens (input + output). */
export interface IntentBudget {
  usd?: number;
  tokens?: number;
  /** Spend not recorded on any session row (the planner's calls). */
  spentOutsideSessions: Usage;
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
  /** Sessions of this intent that run at once; the rest wait their turn. */
  concurrency?: number;
  /** How often a failing acceptance check is sent back to the task's agent. */
  maxFixAttempts?: number;
  /** The repository's test command, run on the merged tree before each merge lands. */
  gateCommand?: string;
  /** Review rounds per task (0: no review). */
  reviewRounds?: number;
  budget?: { usd?: number; tokens?: number };
  /** How rate-limited sessions back off (workflows/rate-pressure.ts). */
  rateLimit?: RateLimitPolicy;
  /** Finished branches merged and gated together at most (1: one at a time). */
  mergeBatchSize?: number;
  /** The Monitor stops an agent silent for this long (after a nudge); unset or 0: never. */
  stallMs?: number;
  /** Wait for the plan to be approved (an update) before any agent starts. */
  approvePlan?: boolean;
  /** A retry (`dash swarm retry`): the plan of the first run, and the tasks that already landed. */
  retry?: { plan: PlanResult; landed: { key: string; branch: string; commit: string }[] };
}

export interface RateLimitPolicy {
  backoffMs: number;
  retries: number;
}

export interface PlannedTaskInput {
  id: string;
  title: string;
  prompt: string;
  role: RoleName;
  runtime?: RuntimeName;
  /** Model alias or id for this task's agent (core/agent-model.ts resolves it). */
  model?: string;
  dependsOn: string[];
  acceptance?: string[];
}

export interface PlanResult {
  summary: string;
  gate?: string;
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
  /** Model alias or id the plan chose for this task. */
  model?: string;
  worktreeRoot: string;
  agentTaskQueue?: string;
  cleanup?: CleanupPolicy;
  worktreeTtlMs?: number;
  /** A fork: the new session starts from this session file, cut at this entry. */
  forkFrom?: { sessionFile: string; entryId: string };
  heartbeatTimeoutMs: number;
  timeoutMs: number;
  budget?: IntentBudget;
  /** A Reviewer reads each commit; its change requests go back to this session, this many rounds at most. */
  review?: { maxRounds: number };
  /** Commands that must pass in the worktree before the work is committed. */
  acceptance?: string[];
  maxFixAttempts?: number;
  /** How this session backs off when its provider rate-limits it. */
  rateLimit?: RateLimitPolicy;
  /** The Monitor stops an agent silent for this long (after a nudge): restarted once, then failed. */
  stallMs?: number;
  /** Start with this branch merged into the worktree, conflicts and all (a Refinery resolving them). */
  mergeBranch?: string;
  /** A standalone agent: the session's intent has no workflow of its own, so the session ends it. */
  ownsIntent?: boolean;
  /** Continue as new at the next break between runs once history holds this many events. */
  maxHistoryEvents?: number;
  /** State carried over a continue-as-new; absent on the first run. */
  carry?: SessionCarry;
}

/** What a session hands to its next run after continue-as-new. */
export interface SessionCarry {
  worktree: { path: string; excludes: string[]; env: Record<string, string> };
  usage: Usage;
  agentMs: number;
  runs: number;
  steers: number;
  /** The session continued as new while paused: wait for resume before the next run. */
  paused: boolean;
  fixes?: number;
  /** The next run continues the conversation, for this reason, with this message. */
  resume?: { reason?: string; message?: string };
  rateLimitWaits?: number;
  stalls?: number;
  /** The swarm holds the session (and paused it, when true): its release resumes it. */
  hold?: { held: boolean; pausedByHold: boolean };
}

export interface SessionResult {
  taskKey: string;
  sessionId: string;
  branch: string;
  commit: string;
  filesChanged: string[];
  usage: Usage;
  agentMs: number;
  /** The agent's last words: a Reviewer's verdict is read from them. */
  finalText?: string;
  /** Runs the agent needed to pass its acceptance checks. */
  fixes?: number;
  /** Review rounds it took to be approved. */
  reviews?: number;
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
