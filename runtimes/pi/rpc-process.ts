// A Pi process in RPC mode: JSONL commands on stdin, responses and events on stdout.
// Pi's `agent_end` does not mean idle (auto-retry and auto-compaction can follow), so idleness is
// derived from four flags plus one get_state round trip that flushes same-tick events.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { fromRoot } from '../../core/paths.js';

export interface PiEvent {
  type: string;
  [key: string]: unknown;
}

interface PiResponse {
  type: 'response';
  id?: string;
  command: string;
  success: boolean;
  data?: unknown;
  error?: string;
}

export function piCliPath(): string {
  const cli = fromRoot('node_modules', '@mariozechner', 'pi-coding-agent', 'dist', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error(`Pi is not installed (${cli} missing); run npm ci.`);
  return cli;
}

export interface PiProcessOptions {
  cwd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

export class PiRpcProcess {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';
  private readonly pending = new Map<
    string,
    { resolve: (r: PiResponse) => void; reject: (e: Error) => void }
  >();
  private readonly listeners = new Set<(e: PiEvent) => void>();
  private seq = 0;
  private eventCount = 0;

  constructor(opts: PiProcessOptions) {
    // detached: Pi leads its own process group, so a last-resort kill of the group reaches
    // everything it spawned even if Pi itself is wedged.
    this.proc = spawn(process.execPath, [piCliPath(), '--mode', 'rpc', ...opts.args], {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.exited = new Promise((resolve) =>
      this.proc.once('exit', (code, signal) => resolve({ code, signal })),
    );
    void this.exited.then(({ code, signal }) => {
      for (const p of this.pending.values())
        p.reject(new Error(`Pi exited (code ${code}, signal ${signal}): ${this.stderr.slice(-2000)}`));
      this.pending.clear();
    });
    this.proc.stdin.on('error', () => undefined); // EPIPE after exit is reported through `exited`.
    this.proc.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-20_000);
    });
    const decoder = new StringDecoder('utf8');
    let buffer = '';
    // Split on \n only: readline would also split on U+2028/2029 inside JSON strings.
    this.proc.stdout.on('data', (chunk: Buffer) => {
      buffer += decoder.write(chunk);
      for (let i = buffer.indexOf('\n'); i !== -1; i = buffer.indexOf('\n')) {
        const line = buffer.slice(0, i).replace(/\r$/, '');
        buffer = buffer.slice(i + 1);
        if (line) this.onLine(line);
      }
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  private onLine(line: string): void {
    let msg: PiEvent;
    try {
      msg = JSON.parse(line) as PiEvent;
    } catch {
      return; // Pi prints only JSON on stdout in RPC mode; anything else is noise.
    }
    if (msg.type === 'response' && typeof msg.id === 'string' && this.pending.has(msg.id)) {
      this.pending.get(msg.id)!.resolve(msg as unknown as PiResponse);
      this.pending.delete(msg.id);
      return;
    }
    this.eventCount++;
    for (const listener of this.listeners) listener(msg);
  }

  onEvent(listener: (e: PiEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async send(command: Record<string, unknown> & { type: string }): Promise<PiResponse> {
    const id = `dash-${++this.seq}`;
    const response = new Promise<PiResponse>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.proc.stdin.write(`${JSON.stringify({ ...command, id })}\n`);
    return response;
  }

  async request<T>(command: Record<string, unknown> & { type: string }): Promise<T> {
    const response = await this.send(command);
    if (!response.success) throw new Error(`Pi ${command.type} failed: ${response.error ?? 'unknown error'}`);
    return response.data as T;
  }

  /** Sends a prompt and resolves when Pi is truly idle (after retries and compaction). */
  async promptUntilIdle(message: string): Promise<void> {
    const flags = {
      started: false,
      running: false,
      retrying: false,
      compacting: false,
      compactionRetry: false,
    };
    let wake: (() => void) | undefined;
    const off = this.onEvent((e) => {
      switch (e.type) {
        case 'agent_start':
          flags.started = true;
          flags.running = true;
          flags.compactionRetry = false;
          break;
        case 'agent_end':
          flags.running = false;
          break;
        case 'auto_retry_start':
          flags.retrying = true;
          break;
        case 'auto_retry_end':
          flags.retrying = false;
          break;
        case 'compaction_start':
          flags.compacting = true;
          break;
        case 'compaction_end':
          flags.compacting = false;
          flags.compactionRetry = e.willRetry === true;
          break;
      }
      wake?.();
    });
    try {
      await this.request({ type: 'prompt', message });
      for (;;) {
        const busy =
          !flags.started || flags.running || flags.retrying || flags.compacting || flags.compactionRetry;
        if (!busy) {
          const before = this.eventCount;
          await this.request({ type: 'get_state' });
          if (this.eventCount === before) return;
          continue;
        }
        await Promise.race([
          new Promise<void>((resolve) => (wake = resolve)),
          this.exited.then(({ code, signal }) => {
            throw new Error(
              `Pi exited while working (code ${code}, signal ${signal}): ${this.stderr.slice(-2000)}`,
            );
          }),
        ]);
      }
    } finally {
      off();
    }
  }

  /**
   * Stops Pi and everything it started. Closing stdin lets Pi dispose cleanly; SIGTERM makes it
   * kill its tool process trees (which live in their own groups); SIGKILL of the group is the
   * last resort, after which only tool trees could remain, and SIGTERM already handled those.
   */
  async stop(graceMs = 3_000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.stdin.end();
    if (await this.exitsWithin(graceMs)) return;
    this.signalGroup('SIGTERM');
    if (await this.exitsWithin(graceMs)) return;
    this.signalGroup('SIGKILL');
    await this.exited;
  }

  /** Abort the current run (kills running tool processes), then stop. */
  async abortAndStop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      await Promise.race([this.send({ type: 'abort' }), new Promise((r) => setTimeout(r, 2_000))]).catch(
        () => undefined,
      );
    }
    // SIGTERM first: with it Pi kills its bash tool trees; closing stdin alone may not.
    this.signalGroup('SIGTERM');
    if (!(await this.exitsWithin(3_000))) this.signalGroup('SIGKILL');
    await this.exited;
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.proc.pid;
    if (pid === undefined) return;
    try {
      process.kill(signal === 'SIGTERM' ? pid : -pid, signal);
    } catch {
      // already gone
    }
  }

  private async exitsWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]);
    clearTimeout(timer);
    return result;
  }
}
