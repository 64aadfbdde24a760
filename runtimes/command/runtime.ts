// The generic command runtime: any CLI agent (or script) run once per task in the worktree.
// The prompt is in DASH_PROMPT, the model endpoint Dash chose in OPENAI_BASE_URL /
// ANTHROPIC_BASE_URL with the session's key in DASH_AGENT_LLM_KEY; exit status 0 means done.
// It cannot be steered; abort stops its whole process group.
import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { agentBaseEnv } from '../env.js';
import { outcomeBuilder, type AgentRuntime, type RuntimeOutcome, type RuntimeRunOptions } from '../types.js';

export function commandRuntime(command: string | undefined): AgentRuntime {
  return {
    name: 'command',
    canResume: false,
    async run(opts: RuntimeRunOptions): Promise<RuntimeOutcome> {
      const started = Date.now();
      const outcome = outcomeBuilder(started);
      if (!command)
        return outcome('error', 'DASH_AGENT_COMMAND is not set: the command runtime has nothing to run.');
      const base = opts.llm.baseUrl ?? '';
      const child = spawn('sh', ['-c', command], {
        cwd: opts.cwd,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...agentBaseEnv(),
          ...opts.env,
          DASH_PROMPT: opts.prompt,
          OPENAI_BASE_URL: opts.llm.api === 'openai' ? base : '',
          ANTHROPIC_BASE_URL: opts.llm.api === 'anthropic' ? base.replace(/\/v1$/, '') : '',
          DASH_AGENT_LLM_KEY: opts.llm.apiKey ?? '',
        },
      });
      if (child.pid !== undefined) opts.onSpawn?.(child.pid);
      const killGroup = (signal: NodeJS.Signals) => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, signal);
        } catch {
          // already gone
        }
      };
      let aborted = false;
      const abort = async () => {
        aborted = true;
        killGroup('SIGTERM');
        setTimeout(() => killGroup('SIGKILL'), 3_000).unref();
        return { success: true };
      };
      opts.onControl?.({ abort });
      const onSignal = () => void abort();
      opts.signal?.addEventListener('abort', onSignal, { once: true });
      let lastLine = '';
      for (const [stream, source] of [
        ['stdout', child.stdout],
        ['stderr', child.stderr],
      ] as const) {
        const decoder = new StringDecoder('utf8');
        let buffer = '';
        source.on('data', (chunk: Buffer) => {
          buffer += decoder.write(chunk);
          for (let i = buffer.indexOf('\n'); i !== -1; i = buffer.indexOf('\n')) {
            const line = buffer.slice(0, i);
            buffer = buffer.slice(i + 1);
            if (stream === 'stdout' && line.trim()) lastLine = line;
            opts.onEvent?.({ type: 'output', stream, line: line.slice(0, 2_000) });
          }
        });
      }
      const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
      opts.signal?.removeEventListener('abort', onSignal);
      killGroup('SIGKILL'); // anything the command left running in its group
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
      if (aborted) return outcome('aborted', 'aborted by request', lastLine);
      if (code !== 0) return outcome('error', `the command exited with status ${code}`, lastLine);
      return outcome('stop', undefined, lastLine);
    },
  };
}
