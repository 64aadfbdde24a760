// OpenClaw behind the AgentRuntime interface: one headless `openclaw agent exec --json` process
// per run, on the Node 24 that install.sh put next to it, with a pinned config whose only provider
// is the base URL Dash chose. It prints one JSON envelope at the end (no event stream), cannot be
// steered, and abort stops its process group and the commands it started.
// The role's system prompt is not passed: `agent exec` offers no option for it and skips
// workspace bootstrap files; the role's tool set is enforced through the config's tools.deny.
import fs from 'node:fs';
import path from 'node:path';
import { CliProcess, superviseCli } from '../cli-process.js';
import { outcomeBuilder, type AgentRuntime, type RuntimeOutcome, type RuntimeRunOptions } from '../types.js';
import { openClawInstall } from './binary.js';
import { openClawEnv, writeOpenClawConfig } from './config.js';
import { parseOpenClawResult } from './result.js';

/** Dash's own limits bound a session; OpenClaw's 600 s default would cut long tasks short. */
const RUN_TIMEOUT_SECONDS = 24 * 60 * 60;

export const openClawRuntime: AgentRuntime = {
  name: 'openclaw',
  canResume: false,
  async run(opts: RuntimeRunOptions): Promise<RuntimeOutcome> {
    const started = Date.now();
    const outcome = outcomeBuilder(started);
    let install;
    try {
      install = openClawInstall();
    } catch (err) {
      return outcome('error', (err as Error).message);
    }
    const home = path.join(opts.sessionDir, 'openclaw');
    const stateDir = path.join(home, 'state');
    const configFile = path.join(home, 'config.json');
    const promptFile = path.join(home, 'prompt.md');
    fs.mkdirSync(stateDir, { recursive: true });
    writeOpenClawConfig(configFile, opts.llm, opts.tools);
    fs.writeFileSync(promptFile, opts.prompt);
    const cli = new CliProcess(
      {
        command: install.node,
        args: [
          install.entry,
          'agent',
          'exec',
          '--json',
          '--config',
          configFile,
          '--state-dir',
          stateDir,
          '--cwd',
          opts.cwd,
          '--model',
          `dash/${opts.llm.model}`,
          '--timeout',
          String(RUN_TIMEOUT_SECONDS),
          '--message-file',
          promptFile,
        ],
        cwd: opts.cwd,
        env: openClawEnv(stateDir, opts.env),
      },
      // The envelope is one pretty-printed document, read whole once the process has ended.
      () => undefined,
    );
    const run = await superviseCli(cli, opts);
    if (run.startError) return outcome('error', `OpenClaw did not start: ${run.startError.message}`);
    const exit = run.exit!;
    const aborted = run.aborted;
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
    if (aborted) return outcome('aborted', 'aborted by request');
    const result = parseOpenClawResult(cli.stdout);
    if (!result) {
      const how = exit.signal ? `signal ${exit.signal}` : `status ${exit.code}`;
      return outcome(
        'error',
        `OpenClaw exited with ${how} without a result: ${(cli.stderr || cli.stdout).slice(-2_000)}`,
      );
    }
    opts.onEvent?.({ ...result, type: 'openclaw_result' });
    const usage = {
      input: result.usage?.input ?? 0,
      output: result.usage?.output ?? 0,
      cost: result.costUsd ?? 0,
    };
    opts.onUsage?.(usage);
    const rest = { usage, toolCalls: result.toolSummary?.calls ?? 0 };
    if (!result.ok || result.status !== 'ok')
      return outcome(
        'error',
        result.error?.message ?? `OpenClaw ended with ${result.status}`,
        result.final ?? '',
        rest,
      );
    return outcome('stop', undefined, result.final ?? '', rest);
  },
};
