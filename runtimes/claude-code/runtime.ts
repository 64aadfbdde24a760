// Claude Code behind the AgentRuntime interface: one `claude --print` process per run, its
// stream-json events folded into usage, tool calls and the final answer. It cannot be steered in
// print mode; abort stops its process group and the tool processes it started.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CliProcess, superviseCli } from '../cli-process.js';
import { outcomeBuilder, type AgentRuntime, type RuntimeOutcome, type RuntimeRunOptions } from '../types.js';
import { claudeCodeArgs, claudeCodeEnv } from './args.js';
import { claudeCodeBinary } from './binary.js';
import { ClaudeCodeRunState } from './events.js';

export const claudeCodeRuntime: AgentRuntime = {
  name: 'claude-code',
  canResume: false,
  async run(opts: RuntimeRunOptions): Promise<RuntimeOutcome> {
    const started = Date.now();
    const state = new ClaudeCodeRunState({ onUsage: opts.onUsage, onToolChange: opts.onToolChange });
    const outcome = outcomeBuilder(started, () => ({
      usage: { ...state.usage },
      sessionFile: transcriptOf(configDir, state.sessionId),
      toolCalls: state.toolCalls,
    }));
    const configDir = path.join(opts.sessionDir, 'claude');
    if (opts.llm.kind === 'openai')
      return outcome('error', 'Claude Code speaks the Anthropic messages API; the configured LLM is OpenAI.');
    let binary: string;
    try {
      binary = claudeCodeBinary();
    } catch (err) {
      return outcome('error', (err as Error).message);
    }
    fs.mkdirSync(configDir, { recursive: true });
    const sessionId = randomUUID();
    const cli = new CliProcess(
      {
        command: binary,
        args: claudeCodeArgs({
          prompt: opts.prompt,
          model: opts.llm.model,
          tools: opts.tools,
          systemPrompt: opts.systemPrompt,
          sessionId,
        }),
        cwd: opts.cwd,
        env: claudeCodeEnv(opts.llm, configDir, opts.env),
      },
      (line) => {
        const type = state.apply(line);
        opts.onEvent?.({ ...(line as object), type });
      },
    );
    const run = await superviseCli(cli, opts);
    if (run.startError) return outcome('error', `Claude Code did not start: ${run.startError.message}`);
    const exit = run.exit!;
    const aborted = run.aborted;
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
    if (aborted) return outcome('aborted', 'aborted by request', state.lastText);
    const result = state.result;
    if (!result) {
      const how = exit.signal ? `signal ${exit.signal}` : `status ${exit.code}`;
      return outcome(
        'error',
        `Claude Code exited with ${how} before its result: ${cli.stderr.slice(-2_000)}`,
      );
    }
    if (result.is_error || result.subtype !== 'success') {
      const message = result.errors?.join('; ') || result.result || result.subtype;
      return outcome('error', message, state.lastText);
    }
    return outcome('stop', undefined, result.result ?? state.lastText);
  },
};

/** Claude Code keeps each session's transcript at <config>/projects/<cwd slug>/<session id>.jsonl. */
function transcriptOf(configDir: string, sessionId: string | undefined): string | undefined {
  if (!sessionId) return undefined;
  const projects = path.join(configDir, 'projects');
  if (!fs.existsSync(projects)) return undefined;
  for (const dir of fs.readdirSync(projects)) {
    const file = path.join(projects, dir, `${sessionId}.jsonl`);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}
