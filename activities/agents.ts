// Runs an agent (Pi over RPC) in a session's worktree as one long, heartbeating activity.
// Temporal retries this activity on another worker if this one dies. A runtime that keeps its
// conversation (Pi) resumes it there, with the worktree as the agent left it; any other runtime
// starts again from the worktree's committed state, so a half-done attempt never leaks into the
// result. While it runs, it delivers queued controls (steer, abort) to the process and
// reports progress to its workflow, so the session's live state is one query away.
import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { summarizeSessionEvent } from '../core/events.js';
import { git } from '../core/git.js';
import { ROLES } from '../core/roles.js';
import * as s from '../drizzle/schema.js';
import { forkSessionFile } from '../runtimes/pi/fork.js';
import { runtimeFor, type RuntimeControl } from '../runtimes/index.js';
import type { RuntimeEvent } from '../runtimes/types.js';
import type {
  AgentOutcome,
  IntentBudget,
  RoleName,
  RuntimeName,
  SessionProgress,
  Usage,
} from '../workflows/types.js';
import { intentSpendWith, isOverBudget } from './budget.js';
import type { ActivityDeps } from './deps.js';
import { agentLlm } from './agent-llm.js';
import { mirrorSessionTree } from './session-mirror.js';
import { NUDGE_MESSAGE, StallMonitor } from './stall-monitor.js';

export interface RunAgentInput {
  sessionId: string;
  intentId?: string;
  worktreePath: string;
  title: string;
  prompt: string;
  role: RoleName;
  runtime?: RuntimeName;
  /** Worktree environment: its port range and path. */
  env?: Record<string, string>;
  /** Start from another session's history, cut at one of its entries. */
  forkFrom?: { sessionFile: string; entryId: string };
  /** The intent's budget, and this session's usage before this run. */
  budget?: IntentBudget & { intentId: string; usageBefore: Usage };
  /** Set when this run continues the session: why, and what the agent should be told. */
  resume?: { reason?: string; message?: string };
  /** Stop the run when the agent emits no event for this long (after one nudge); unset: never. */
  stallMs?: number;
  /** The plan's model alias or id for this task. */
  model?: string;
}

/** What the agent is told: the task, and that committing is Dash's job, not the agent's. */
export function agentPrompt(title: string, prompt: string): string {
  return `Task: ${title}\n\n${prompt}\n\nWork only inside the current directory. Dash commits your changes when you finish, so do not run git commit.`;
}

/**
 * What a resumed agent is told. The task is restated so the model (and the rehearsal server's
 * scenario markers) see it next to the reason for the break.
 */
export function resumePrompt(why: string, title: string, prompt: string, message?: string): string {
  const note = message ? `\n\n${message}` : '';
  return `${why} Your edits so far are still in the working tree; check them before redoing anything, then finish the task.${note}\n\n${agentPrompt(title, prompt)}`;
}

/** Whether a session file holds any conversation worth resuming. */
function hasConversation(file: string | undefined): file is string {
  if (!file || !fs.existsSync(file)) return false;
  return fs.readFileSync(file, 'utf8').includes('"type":"message"');
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
      const runtime = runtimeFor(input.runtime ?? 'pi', config);
      const sessionDir = path.join(config.home, 'sessions', input.sessionId);
      const sessionFile = runtime.sessionFileIn?.(sessionDir);
      const continuing = attempt > 1 || input.resume !== undefined;
      const resumable = continuing && runtime.canResume && hasConversation(sessionFile);
      if (continuing && !resumable) {
        // Nothing to resume from: drop the earlier run's uncommitted edits and start again.
        const g = git(input.worktreePath);
        await g.raw(['reset', '--hard', 'HEAD']);
        await g.raw(['clean', '-fd']);
      }
      if (input.forkFrom && !hasConversation(sessionFile)) {
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
      // Runs of one session (pause/resume, fixes, reviews) share an attempt number, so numbering
      // goes on from the last stored event: starting at 0 again would collide with the unique key
      // and the later run's events would be dropped.
      const [last] = await db
        .select({ seq: sql<number>`coalesce(max(${s.sessionEvents.seq}), 0)` })
        .from(s.sessionEvents)
        .where(and(eq(s.sessionEvents.sessionId, input.sessionId), eq(s.sessionEvents.attempt, attempt)));
      let seq = Number(last?.seq ?? 0);
      let buffer: { seq: number; type: string; payload: unknown }[] = [];
      let control: RuntimeControl | undefined;
      let lastReported = 0;
      let dirty = true;
      /**
       * When the agent last did something (the Monitor's clock). It starts at the agent's first
       * event: a process still loading (Pi takes seconds on a busy host) is not silent, and a
       * nudge sent then would reach the model before the task does.
       */
      let agentActiveAt: number | undefined;

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
        // Each stored session event is also a live `session.event` (its gist), in the same
        // statement; a retried batch inserts nothing new, so it announces nothing twice.
        const inserted = db.insert(s.sessionEvents).values(rows).onConflictDoNothing().returning({
          sessionId: s.sessionEvents.sessionId,
          attempt: s.sessionEvents.attempt,
          seq: s.sessionEvents.seq,
          type: s.sessionEvents.type,
        });
        const gists = Object.fromEntries(rows.map((r) => [r.seq, summarizeSessionEvent(r.payload)]));
        await db.execute(sql`
          with ins as (${inserted.getSQL()})
          insert into events (tenant_id, kind, intent_id, session_id, payload)
          select coalesce(a.tenant_id, 'default'), 'session.event', a.intent_id, ins.session_id,
            jsonb_build_object('attempt', ins.attempt, 'seq', ins.seq, 'type', ins.type)
              || coalesce(${JSON.stringify(gists)}::jsonb -> ins.seq::text, '{}'::jsonb)
          from ins left join agent_sessions a on a.id = ins.session_id
          order by ins.seq`);
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
          const response = await deliver(control, queued.kind, queued.message, runtime.name);
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
      // The tree is mirrored while the agent works, whenever the session file has grown.
      let mirroredSize = -1;
      let lastMirrored = 0;
      const mirrorTree = async () => {
        if (!sessionFile || Date.now() - lastMirrored < PROGRESS_EVERY_MS) return;
        const size = fs.existsSync(sessionFile) ? fs.statSync(sessionFile).size : -1;
        if (size === mirroredSize) return;
        lastMirrored = Date.now();
        mirroredSize = size;
        await mirrorSessionTree(db, input.sessionId, sessionFile);
      };
      const onEvent = (e: RuntimeEvent) => {
        progress.lastEvent = e.type;
        progress.lastActivityAt = Date.now();
        // A queue update echoes a steer (the Monitor's own nudge among them): not the agent's progress.
        if (e.type !== 'queue_update') agentActiveAt = progress.lastActivityAt;
        if (NOISY_EVENTS.has(e.type)) return;
        buffer.push({ seq: ++seq, type: e.type, payload: trimEvent(e) });
      };
      let overBudget = false;
      const enforceBudget = async () => {
        if (!input.budget || overBudget) return;
        const u = input.budget.usageBefore;
        const mine = {
          input: u.input + progress.usage.input,
          output: u.output + progress.usage.output,
          cost: u.cost + progress.usage.cost,
        };
        const spent = await intentSpendWith(db, input.budget, input.sessionId, mine);
        if (!isOverBudget(input.budget, spent)) return;
        overBudget = true;
        await control?.abort();
      };
      const monitor = input.stallMs ? new StallMonitor(input.stallMs) : undefined;
      const watchStall = async () => {
        if (agentActiveAt === undefined) return;
        const action = monitor?.check(agentActiveAt) ?? 'none';
        if (action === 'none') return;
        const idleMs = Date.now() - agentActiveAt;
        buffer.push({ seq: ++seq, type: `monitor_${action}`, payload: { idleMs, stallMs: input.stallMs } });
        progress.lastEvent = `monitor_${action}`;
        if (action === 'nudge') await control?.steer?.(NUDGE_MESSAGE);
        else await control?.abort();
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
          inFlight = Promise.all([
            flushEvents(),
            deliverControls(),
            reportProgress(),
            mirrorTree(),
            enforceBudget(),
            watchStall(),
          ])
            .catch((err: unknown) => ctx.log.warn('session bookkeeping failed', { error: String(err) }))
            .finally(() => (inFlight = undefined));
        },
        Math.min(TICK_MS, config.agent.heartbeatTimeoutMs / 3),
      );
      const route = await agentLlm({ db, config, llm }, input);
      try {
        const role = ROLES[input.role];
        const outcome = await runtime.run({
          cwd: input.worktreePath,
          prompt: resumable
            ? resumePrompt(
                attempt > 1
                  ? 'Your previous run was interrupted because the worker running you stopped.'
                  : (input.resume?.reason ?? 'Your session was paused and is now resumed.'),
                input.title,
                input.prompt,
                input.resume?.message,
              )
            : agentPrompt(input.title, input.prompt),
          resume: resumable,
          llm: route.llm,
          sessionDir,
          tools: role.tools,
          systemPrompt: role.systemPrompt,
          onEvent,
          onUsage: (usage) => {
            progress.usage = { ...usage };
            dirty = true;
          },
          onToolChange: (tool) => {
            progress.currentTool = tool;
            dirty = true;
          },
          env: input.env,
          signal: ctx.cancellationSignal,
          onControl: (c) => (control = c),
          onSpawn: (pid) => {
            void db
              .update(s.agentSessions)
              .set({
                pid,
                runtime: runtime.name,
                runtimeSessionFile: sessionFile ?? null,
              })
              .where(eq(s.agentSessions.id, input.sessionId))
              .catch(() => undefined);
          },
        });
        return {
          stopReason: overBudget ? 'budget_exceeded' : monitor?.stopped ? 'stalled' : outcome.stopReason,
          errorMessage: monitor?.stopped ? monitor.reason() : outcome.errorMessage,
          finalText: outcome.finalText.slice(0, 4_000),
          usage: { input: outcome.usage.input, output: outcome.usage.output, cost: outcome.usage.cost },
          agentMs: outcome.agentMs,
          toolCalls: outcome.toolCalls,
          attempt,
        };
      } finally {
        clearInterval(ticker);
        control = undefined;
        await route
          .release()
          .catch((err: unknown) => ctx.log.warn('agent key revocation failed', { error: String(err) }));
        await inFlight;
        progress.currentTool = null;
        await flushEvents().catch(() => undefined);
        await mirrorSessionTree(db, input.sessionId, sessionFile).catch((err: unknown) =>
          ctx.log.warn('session tree mirror failed', { error: String(err) }),
        );
      }
    },
  };
}

async function deliver(
  control: RuntimeControl,
  kind: s.ControlKind,
  message: string | null,
  runtime: string,
): Promise<{ success: boolean; error?: string }> {
  if (kind === 'abort') return control.abort();
  if (control.steer) return control.steer(message ?? '');
  return { success: false, error: `the ${runtime} runtime cannot be steered` };
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
