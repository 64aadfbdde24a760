// Runs one prompt to completion in a Pi RPC process and reports a structured outcome. LLM
// failures are data (stopReason/errorMessage), never exceptions; only infrastructure errors throw.
import fs from 'node:fs';
import path from 'node:path';
import type { RuntimeRunOptions } from '../types.js';
import { piArgs, piEnv, writePiAgentDir } from './agent-dir.js';
import { PiRpcProcess } from './rpc-process.js';
import { piStartupGate } from './startup-gate.js';

/** The runtime options (runtimes/types.ts), with the live Pi process instead of a generic control. */
export interface PiRunOptions extends Omit<RuntimeRunOptions, 'onControl'> {
  /**
   * The live process, for steering and aborting while it works. An abort that arrives before the
   * prompt is sent must call `markAborted`: Pi ignores an abort when nothing runs yet.
   */
  onProcess?: (pi: PiRpcProcess, markAborted: () => void) => void;
}

export interface PiUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  cost: number;
}

export interface PiRunOutcome {
  stopReason: string;
  errorMessage: string | undefined;
  finalText: string;
  usage: PiUsage;
  sessionFile: string;
  /** Wall time from spawn to idle: Pi's own share of a run. */
  agentMs: number;
  toolCalls: number;
}

export async function runPi(opts: PiRunOptions): Promise<PiRunOutcome> {
  const started = Date.now();
  const agentDir = path.join(opts.sessionDir, 'agent');
  const sessionFile = path.join(opts.sessionDir, 'session.jsonl');
  fs.mkdirSync(opts.sessionDir, { recursive: true });
  const { modelArg } = writePiAgentDir(agentDir, opts.llm);
  const release = await piStartupGate.acquire();
  let pi: PiRpcProcess;
  try {
    pi = new PiRpcProcess({
      cwd: opts.cwd,
      args: piArgs({ modelArg, sessionFile, tools: opts.tools, systemPrompt: opts.systemPrompt }),
      env: piEnv(agentDir, opts.llm, opts.env),
    });
  } catch (err) {
    release();
    throw err;
  }
  if (pi.pid !== undefined) opts.onSpawn?.(pi.pid);
  let abortedBeforePrompt = false;
  opts.onProcess?.(pi, () => (abortedBeforePrompt = true));
  let stopReason = 'unknown';
  let errorMessage: string | undefined;
  let finalText = '';
  let toolCalls = 0;
  const usage: PiUsage = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cost: 0 };
  pi.onEvent((e) => {
    if (e.type === 'message_end') {
      const message = e.message as AssistantMessage | undefined;
      if (message?.role === 'assistant') {
        stopReason = message.stopReason ?? stopReason;
        errorMessage = message.errorMessage;
        const text = (message.content ?? [])
          .filter((c) => c.type === 'text')
          .map((c) => c.text ?? '')
          .join('');
        if (text) finalText = text;
        if (message.usage) {
          addUsage(usage, message.usage);
          opts.onUsage?.({ input: usage.input, output: usage.output, cost: usage.cost });
        }
      }
    }
    if (e.type === 'tool_execution_start') {
      toolCalls++;
      opts.onToolChange?.(typeof e.toolName === 'string' ? e.toolName : 'tool');
    }
    if (e.type === 'tool_execution_end') opts.onToolChange?.(null);
    opts.onEvent?.(e);
  });
  const onAbort = () => void pi.abortAndStop();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
    // The first answer means Pi has finished loading: let the next one start.
    await pi.request({ type: 'get_state' });
    release();
    if (abortedBeforePrompt) {
      stopReason = 'aborted';
      errorMessage = 'aborted before the agent started';
    } else {
      await pi.promptUntilIdle(opts.prompt);
    }
    await pi.stop();
  } catch (err) {
    await pi.abortAndStop();
    if (opts.signal?.aborted) throw opts.signal.reason ?? err;
    throw err;
  } finally {
    release();
    opts.signal?.removeEventListener('abort', onAbort);
  }
  return {
    stopReason,
    errorMessage,
    finalText,
    usage,
    sessionFile,
    agentMs: Date.now() - started,
    toolCalls,
  };
}

interface AssistantMessage {
  role: string;
  stopReason?: string;
  errorMessage?: string;
  content?: { type: string; text?: string }[];
  usage?: {
    input?: number;
    output?: number;
    cacheRead?: number;
    cacheWrite?: number;
    cost?: { total?: number };
  };
}

function addUsage(total: PiUsage, u: AssistantMessage['usage']): void {
  if (!u) return;
  total.input += u.input ?? 0;
  total.output += u.output ?? 0;
  total.cacheRead += u.cacheRead ?? 0;
  total.cacheWrite += u.cacheWrite ?? 0;
  total.cost += u.cost?.total ?? 0;
}
