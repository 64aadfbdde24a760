// Pi behind the AgentRuntime interface: RPC mode, steerable and abortable while it works.
import path from 'node:path';
import type { AgentRuntime, RuntimeRunOptions, RuntimeOutcome } from '../types.js';
import { compactPiSession } from './compact.js';
import { navigatePiSession } from './navigate.js';
import { runPi } from './run.js';

export const piRuntime: AgentRuntime = {
  name: 'pi',
  // Pi appends to its session file: a later run with --session continues the conversation.
  canResume: true,
  sessionFileIn: (sessionDir) => path.join(sessionDir, 'session.jsonl'),
  compact: (opts) => compactPiSession(opts),
  navigate: (opts) =>
    navigatePiSession({
      sessionFile: path.join(opts.sessionDir, 'session.jsonl'),
      entryId: opts.entryId,
      summary: opts.summary,
    }),
  async run(opts: RuntimeRunOptions): Promise<RuntimeOutcome> {
    const outcome = await runPi({
      ...opts,
      onProcess: (pi, markAborted) =>
        opts.onControl?.({
          steer: async (message) => {
            const r = await pi.send({ type: 'steer', message });
            return { success: r.success, ...(r.error && { error: r.error }) };
          },
          abort: async () => {
            markAborted();
            const r = await pi.send({ type: 'abort' });
            return { success: r.success, ...(r.error && { error: r.error }) };
          },
        }),
    });
    return {
      stopReason: outcome.stopReason,
      errorMessage: outcome.errorMessage,
      finalText: outcome.finalText,
      usage: { input: outcome.usage.input, output: outcome.usage.output, cost: outcome.usage.cost },
      sessionFile: outcome.sessionFile,
      agentMs: outcome.agentMs,
      toolCalls: outcome.toolCalls,
    };
  },
};
