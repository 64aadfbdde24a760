// Runs an agent (Pi over RPC) in a session's worktree as one long, heartbeating activity.
// Temporal retries this activity on another worker if this one dies; the retry starts the
// attempt again from the worktree's committed state, so a half-done attempt never leaks into
// the result. While it runs, it delivers queued controls (steer, abort) to the process and
// reports progress to its workflow, so the session's live state is one query away.
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { git } from '../core/git.js';
import { ROLES } from '../core/roles.js';
import * as s from '../drizzle/schema.js';
import { forkSessionFile } from '../runtimes/pi/fork.js';
import { runtimeFor, type RuntimeControl } from '../runtimes/index.js';
import type { RuntimeEvent } from '../runtimes/types.js';
import type { AgentOutcome, RoleName, RuntimeName, SessionProgress } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

export interface RunAgentInput {
  sessionId: string;
  worktreePath: string;
  title: string;
  prompt: string;
  role: RoleName;
  runtime?: RuntimeName;
  /** Worktree environment: its port range and path. */
  env?: Record<string, string>;
  /** Start from another session's history, cut at one of its entries. */
  forkFrom?: { sessionFile: string; entryId: string };
}

/** What the agent is told: the task, and that committing is Dash's job, not the agent's. */
export function agentPrompt(title: string, prompt: string): string {
  return `Task: ${title}\n\n${prompt}\n\nWork only inside the current directory. Dash commits your changes when you finish, so do not run git commit.`;
}

// Streaming deltas repeat the whole partial message; the end events carry everything worth keeping.
const NOISY_EVENTS = new Set(['message_update', 'tool_execution_update', 'message_start']);
const TICK_MS = 500;
const PROGRESS_EVERY_MS = 2_000;

export function createAgentActivities({ db, config, llm, temporal }: ActivityDeps) {
  return {
    async runAgent(input: RunAgentInput): Promise<AgentOutcome> {
      const ctx = Context.current();
      const attempt = ctx.info.attempt;
      if (attempt > 1) {
        // A previous attempt died mid-run: drop its uncommitted edits and start the task again.
        const g = git(input.worktreePath);
        await g.raw(['reset', '--hard', 'HEAD']);
        await g.raw(['clean', '-fd']);
      }
      const sessionDir = path.join(config.home, 'sessions', input.sessionId, `attempt-${attempt}`);
      if (input.forkFrom) {
        try {
          forkSessionFile({
            source: input.forkFrom.sessionFile,
            entryId: input.forkFrom.entryId,
            target: path.join(sessionDir, 'session.jsonl'),
            cwd: input.worktreePath,
          });
        } catch (err) {
          throw ApplicationFailure.nonRetryable(`Cannot fork: ${(err as Error).message}`, 'ForkFailed');
        }
      }
      const progress: SessionProgress = {
        currentTool: null,
        lastEvent: 'spawning',
        lastActivityAt: Date.now(),
        usage: { input: 0, output: 0, cost: 0 },
        attempt,
      };
      let seq = 0;
      let buffer: { seq: number; type: string; payload: unknown }[] = [];
      let control: RuntimeControl | undefined;
      const runtime = runtimeFor(input.runtime ?? 'pi', config);
      let lastReported = 0;
      let dirty = true;

      const flushEvents = async () => {
        if (buffer.length === 0) return;
        const rows = buffer.map((e) => ({
          sessionId: input.sessionId,
          attempt,
          seq: e.seq,
          type: e.type,
          payload: e.payload,
        }));
        buffer = [];
        await db.insert(s.sessionEvents).values(rows).onConflictDoNothing();
        await db
          .update(s.agentSessions)
          .set({ lastActivityAt: sql`now()`, attempt, currentTool: progress.currentTool })
          // Status belongs to the workflow: a late flush must not undo its final word.
          .where(eq(s.agentSessions.id, input.sessionId));
      };
      const deliverControls = async () => {
        if (!control) return;
        const pending = await db
          .select()
          .from(s.sessionControls)
          .where(and(eq(s.sessionControls.sessionId, input.sessionId), isNull(s.sessionControls.deliveredAt)))
          .orderBy(asc(s.sessionControls.id));
        for (const queued of pending) {
          const response =
            queued.kind === 'abort'
              ? await control.abort()
              : control.steer
                ? await control.steer(queued.message ?? '')
                : { success: false, error: `the ${runtime.name} runtime cannot be steered` };
          await db
            .update(s.sessionControls)
            .set({
              deliveredAt: sql`now()`,
              result: response.success ? 'delivered' : `refused: ${response.error ?? ''}`,
            })
            .where(eq(s.sessionControls.id, queued.id));
        }
      };
      const reportProgress = async () => {
        const workflowId = ctx.info.workflowExecution?.workflowId;
        if (!temporal || !workflowId || !dirty || Date.now() - lastReported < PROGRESS_EVERY_MS) return;
        dirty = false;
        lastReported = Date.now();
        await temporal.workflow.getHandle(workflowId).signal('sessionProgress', { ...progress });
      };
      const onEvent = (e: RuntimeEvent) => {
        progress.lastEvent = e.type;
        progress.lastActivityAt = Date.now();
        if (e.type === 'tool_execution_start') progress.currentTool = String(e.toolName ?? '');
        if (e.type === 'tool_execution_end') progress.currentTool = null;
        if (e.type === 'message_end') addUsage(progress, e);
        if (e.type === 'tool_execution_start' || e.type === 'tool_execution_end' || e.type === 'agent_end')
          dirty = true;
        if (NOISY_EVENTS.has(e.type)) return;
        buffer.push({ seq: ++seq, type: e.type, payload: trimEvent(e) });
      };
      let inFlight: Promise<unknown> | undefined;
      const ticker = setInterval(
        () => {
          ctx.heartbeat({
            events: seq,
            lastEvent: progress.lastEvent,
            currentTool: progress.currentTool,
            attempt,
          });
          if (inFlight) return;
          inFlight = Promise.all([flushEvents(), deliverControls(), reportProgress()])
            .catch((err: unknown) => ctx.log.warn('session bookkeeping failed', { error: String(err) }))
            .finally(() => (inFlight = undefined));
        },
        Math.min(TICK_MS, config.agent.heartbeatTimeoutMs / 3),
      );
      try {
        const role = ROLES[input.role];
        const outcome = await runtime.run({
          cwd: input.worktreePath,
          prompt: agentPrompt(input.title, input.prompt),
          llm,
          sessionDir,
          tools: role.tools,
          systemPrompt: role.systemPrompt,
          onEvent,
          env: input.env,
          signal: ctx.cancellationSignal,
          onControl: (c) => (control = c),
          onSpawn: (pid) => {
            void db
              .update(s.agentSessions)
              .set({
                pid,
                runtime: runtime.name,
                runtimeSessionFile: runtime.name === 'pi' ? path.join(sessionDir, 'session.jsonl') : null,
              })
              .where(eq(s.agentSessions.id, input.sessionId))
              .catch(() => undefined);
          },
        });
        return {
          stopReason: outcome.stopReason,
          errorMessage: outcome.errorMessage,
          finalText: outcome.finalText.slice(0, 4_000),
          usage: { input: outcome.usage.input, output: outcome.usage.output, cost: outcome.usage.cost },
          agentMs: outcome.agentMs,
          toolCalls: outcome.toolCalls,
          attempt,
        };
      } finally {
        clearInterval(ticker);
        control = undefined;
        await inFlight;
        progress.currentTool = null;
        await flushEvents().catch(() => undefined);
      }
    },
  };
}

function addUsage(progress: SessionProgress, e: RuntimeEvent): void {
  const message = e.message as
    { role?: string; usage?: { input?: number; output?: number; cost?: { total?: number } } } | undefined;
  if (message?.role !== 'assistant' || !message.usage) return;
  progress.usage.input += message.usage.input ?? 0;
  progress.usage.output += message.usage.output ?? 0;
  progress.usage.cost += message.usage.cost?.total ?? 0;
}

/** Keeps stored events small: long strings (file contents, tool output) are cut. */
function trimEvent(e: RuntimeEvent): unknown {
  return JSON.parse(
    JSON.stringify(e, (_key, value: unknown) =>
      typeof value === 'string' && value.length > 2_000
        ? `${value.slice(0, 2_000)}…[${value.length} chars]`
        : value,
    ),
  );
}
