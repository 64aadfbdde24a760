// Runs an agent (Pi over RPC) in a session's worktree as one long, heartbeating activity.
// Temporal retries this activity on another worker if this one dies; the retry starts the
// attempt again from the worktree's committed state, so a half-done attempt never leaks into
// the result.
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { sql } from 'drizzle-orm';
import { git } from '../core/git.js';
import * as s from '../drizzle/schema.js';
import type { PiEvent } from '../runtimes/pi/rpc-process.js';
import { runPi } from '../runtimes/pi/run.js';
import { ROLES } from '../core/roles.js';
import type { AgentOutcome, RoleName } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

export interface RunAgentInput {
  sessionId: string;
  worktreePath: string;
  title: string;
  prompt: string;
  role: RoleName;
}

/** What the agent is told: the task, and that committing is Dash's job, not the agent's. */
export function agentPrompt(title: string, prompt: string): string {
  return `Task: ${title}\n\n${prompt}\n\nWork only inside the current directory. Dash commits your changes when you finish, so do not run git commit.`;
}

// Streaming deltas repeat the whole partial message; the end events carry everything worth keeping.
const NOISY_EVENTS = new Set(['message_update', 'tool_execution_update', 'message_start']);
const FLUSH_EVERY_MS = 1_000;

export function createAgentActivities({ db, config, llm }: ActivityDeps) {
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
      let seq = 0;
      let buffer: { seq: number; type: string; payload: unknown }[] = [];
      let lastEvent = 'spawning';
      let lastTool: string | undefined;
      const flush = async () => {
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
          .set({ lastActivityAt: sql`now()`, status: 'running', attempt })
          .where(sql`${s.agentSessions.id} = ${input.sessionId}`);
      };
      const onEvent = (e: PiEvent) => {
        lastEvent = e.type;
        if (e.type === 'tool_execution_start') lastTool = String(e.toolName ?? '');
        if (NOISY_EVENTS.has(e.type)) return;
        buffer.push({ seq: ++seq, type: e.type, payload: trimEvent(e) });
      };
      const ticker = setInterval(
        () => {
          ctx.heartbeat({ events: seq, lastEvent, lastTool, attempt });
          flush().catch((err: unknown) =>
            ctx.log.warn('could not store session events', { error: String(err) }),
          );
        },
        Math.min(FLUSH_EVERY_MS, config.agent.heartbeatTimeoutMs / 3),
      );
      try {
        const outcome = await runPi({
          cwd: input.worktreePath,
          prompt: agentPrompt(input.title, input.prompt),
          llm,
          sessionDir,
          tools: ROLES[input.role].tools,
          systemPrompt: ROLES[input.role].systemPrompt,
          onEvent,
          signal: ctx.cancellationSignal,
          onSpawn: (pid) => {
            void db
              .update(s.agentSessions)
              .set({ pid, runtimeSessionFile: path.join(sessionDir, 'session.jsonl') })
              .where(sql`${s.agentSessions.id} = ${input.sessionId}`)
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
        await flush().catch(() => undefined);
      }
    },
  };
}

/** Keeps stored events small: long strings (file contents, tool output) are cut. */
function trimEvent(e: PiEvent): unknown {
  return JSON.parse(
    JSON.stringify(e, (_key, value: unknown) =>
      typeof value === 'string' && value.length > 2_000
        ? `${value.slice(0, 2_000)}…[${value.length} chars]`
        : value,
    ),
  );
}
