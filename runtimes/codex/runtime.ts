// Codex behind the AgentRuntime interface: one `codex exec --json` process per run in the
// worktree, with a CODEX_HOME of the session's own. It cannot be steered; abort stops its process
// group and the command processes it started.
import fs from 'node:fs';
import path from 'node:path';
import { CliProcess, superviseCli } from '../cli-process.js';
import { outcomeBuilder, type AgentRuntime, type RuntimeOutcome, type RuntimeRunOptions } from '../types.js';
import { codexBinary } from './binary.js';
import { codexArgs, codexEnv, codexSandbox, writeCodexHome } from './config.js';
import { CodexRunState } from './events.js';

/** How long Codex may wait for an unreachable model endpoint before the run fails. */
const NETWORK_WAIT_GIVE_UP_MS = 15_000;

export const codexRuntime: AgentRuntime = {
  name: 'codex',
  canResume: false,
  async run(opts: RuntimeRunOptions): Promise<RuntimeOutcome> {
    const started = Date.now();
    const codexHome = path.join(opts.sessionDir, 'codex');
    const state = new CodexRunState({ onUsage: opts.onUsage, onToolChange: opts.onToolChange });
    const outcome = outcomeBuilder(started, () => ({
      usage: { ...state.usage },
      sessionFile: rolloutOf(codexHome, state.threadId),
      toolCalls: state.toolCalls,
    }));
    if (opts.llm.kind === 'anthropic')
      return outcome('error', 'Codex speaks the OpenAI Responses API; the configured LLM is Anthropic.');
    let binary: string;
    try {
      binary = codexBinary();
    } catch (err) {
      return outcome('error', (err as Error).message);
    }
    writeCodexHome(codexHome, {
      llm: opts.llm,
      sandbox: codexSandbox(opts.tools),
      systemPrompt: opts.systemPrompt,
    });
    const cli = new CliProcess(
      {
        command: binary,
        args: codexArgs({ cwd: opts.cwd, prompt: opts.prompt }),
        cwd: opts.cwd,
        env: codexEnv(opts.llm, codexHome, opts.env),
      },
      (line) => {
        state.apply(line);
        const type = (line as { type?: unknown })?.type;
        opts.onEvent?.({ ...(line as object), type: typeof type === 'string' ? type : 'unknown' });
      },
    );
    let unreachable = false;
    const watchdog = setInterval(() => {
      const since = state.networkWaitSince;
      if (since === undefined || Date.now() - since < NETWORK_WAIT_GIVE_UP_MS || unreachable) return;
      unreachable = true;
      void cli.kill();
    }, 1_000);
    const run = await superviseCli(cli, opts).finally(() => clearInterval(watchdog));
    if (run.startError) return outcome('error', `Codex did not start: ${run.startError.message}`);
    const exit = run.exit!;
    const aborted = run.aborted;
    // Codex's item events can miss a command that ends at once; its rollout records every call.
    const rollout = rolloutOf(codexHome, state.threadId);
    if (rollout) state.countToolCallsIn(fs.readFileSync(rollout, 'utf8'));
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
    if (aborted) return outcome('aborted', 'aborted by request', state.lastText);
    if (unreachable)
      return outcome(
        'error',
        `the model endpoint stayed unreachable for ${NETWORK_WAIT_GIVE_UP_MS / 1_000} s: ${state.lastError}`,
        state.lastText,
      );
    if (state.failure) return outcome('error', state.failure, state.lastText);
    if (exit.code !== 0 || state.turnsCompleted === 0) {
      const how = exit.signal ? `signal ${exit.signal}` : `status ${exit.code}`;
      const why = state.lastError ?? cli.stderr.slice(-2_000);
      return outcome('error', `Codex exited with ${how} before finishing its turn: ${why}`, state.lastText);
    }
    return outcome('stop', undefined, state.lastText);
  },
};

/** Codex keeps each thread at $CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<thread id>.jsonl. */
function rolloutOf(codexHome: string, threadId: string | undefined): string | undefined {
  if (!threadId) return undefined;
  const sessions = path.join(codexHome, 'sessions');
  if (!fs.existsSync(sessions)) return undefined;
  const found = fs
    .readdirSync(sessions, { recursive: true, encoding: 'utf8' })
    .find((f) => f.endsWith(`-${threadId}.jsonl`));
  return found ? path.join(sessions, found) : undefined;
}
