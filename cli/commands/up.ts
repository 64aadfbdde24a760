import { Flags } from '@oclif/core';
import { startEmbeddedStack } from '../../stack/embedded.js';
import { readStackState } from '../../stack/state.js';
import { DashCommand, EXIT } from '../base.js';

export default class Up extends DashCommand {
  static override summary = 'Run the embedded stack in the foreground: Temporal dev server, worker and API.';
  static override description =
    'Uses DASH_TEMPORAL_ADDRESS instead of starting Temporal when set, Postgres when DASH_DATABASE_URL is set (PGlite otherwise), and the rehearsal LLM when no provider key exists. Ctrl-C stops everything it started.';
  static override examples = [
    '<%= config.bin %> up',
    'DASH_PORT=8080 DASH_TEMPORAL_PORT=7300 <%= config.bin %> up',
    'DASH_TEMPORAL_ADDRESS=temporal.internal:7233 DASH_DATABASE_URL=postgres://dash@db/dash <%= config.bin %> up',
  ];
  static override flags = {
    quiet: Flags.boolean({ char: 'q', description: 'print only errors' }),
  };

  async run(): Promise<Record<string, unknown>> {
    const { flags } = await this.parse(Up);
    const running = readStackState(this.dashConfig.home);
    if (running && running.pid !== process.pid) {
      this.error(
        `A Dash stack is already running (pid ${running.pid}, API ${running.apiUrl}). Stop it with \`dash down\`.`,
        {
          exit: EXIT.unavailable,
        },
      );
    }
    const log = (line: string) => {
      if (!flags.quiet) this.progress(`[dash] ${line}`);
    };
    const stack = await startEmbeddedStack(this.dashConfig, log);
    const summary = {
      api: stack.apiUrl,
      temporal: stack.temporalAddress,
      temporal_ui: stack.temporalUiUrl,
      llm: stack.llmKind,
      pid: process.pid,
    };
    log(
      `Ready. API ${stack.apiUrl} | Temporal ${stack.temporalAddress} | Web UI ${stack.temporalUiUrl ?? '(external)'} | LLM ${stack.llmKind}`,
    );
    log('Press Ctrl-C to stop everything.');
    if (this.jsonEnabled()) this.logJson(summary);
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        log(`${signal} received: stopping worker, API and Temporal...`);
        resolve();
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      stack.done.then(
        () => resolve(),
        (err: unknown) => {
          log(`worker stopped: ${String(err)}`);
          resolve();
        },
      );
    });
    await stack.stop();
    log('Stopped.');
    return summary;
  }
}
