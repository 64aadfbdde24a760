// An agent CLI run as one process that prints JSON lines (Claude Code's stream-json, Codex's
// `exec --json`). It leads its own process group, and stopping it also reaches the processes its
// tools started in groups of their own, found through /proc before anything is signalled.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { RuntimeRunOptions } from './types.js';

const MAX_STDOUT = 4 * 1024 * 1024;

export interface CliProcessOptions {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export class CliProcess {
  readonly proc: ChildProcessByStdio<null, Readable, Readable>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderrTail = '';
  /** Everything printed on stdout (bounded), for CLIs that print one JSON document at the end. */
  private stdoutText = '';

  constructor(opts: CliProcessOptions, onLine: (line: unknown) => void) {
    this.proc = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      env: opts.env,
      // No stdin: the prompt is an argument, and a CLI waiting for input would hang.
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    // `exit` may come before stdout is drained; `close` means every line has been read.
    this.exited = new Promise((resolve, reject) => {
      this.proc.once('error', reject);
      this.proc.once('close', (code, signal) => resolve({ code, signal }));
    });
    this.proc.stderr.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-20_000);
    });
    const decoder = new StringDecoder('utf8');
    let buffer = '';
    // Split on \n only: readline would also split on U+2028/2029 inside JSON strings.
    this.proc.stdout.on('data', (chunk: Buffer) => {
      const text = decoder.write(chunk);
      if (this.stdoutText.length < MAX_STDOUT) this.stdoutText += text;
      buffer += text;
      for (let i = buffer.indexOf('\n'); i !== -1; i = buffer.indexOf('\n')) {
        const line = buffer.slice(0, i).trim();
        buffer = buffer.slice(i + 1);
        if (!line.startsWith('{')) continue; // banners and warnings are not events
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          continue;
        }
        onLine(parsed);
      }
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get stderr(): string {
    return this.stderrTail;
  }

  get stdout(): string {
    return this.stdoutText;
  }

  /**
   * Stops the CLI and everything it started: SIGTERM to its group and to every descendant (tool
   * processes may sit in groups of their own), then SIGKILL to whatever is left after the grace.
   */
  async kill(graceMs = 3_000): Promise<void> {
    const pid = this.proc.pid;
    if (pid === undefined) return;
    const tree = [pid, ...descendantsOf(pid)];
    const signalAll = (signal: NodeJS.Signals) => {
      for (const p of tree) {
        for (const target of [-p, p]) {
          try {
            process.kill(target, signal);
          } catch {
            // not a group leader, or already gone
          }
        }
      }
    };
    signalAll('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const exitedInTime = await Promise.race([
      this.exited.then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    // Descendants can outlive the CLI itself (and new ones may have started): finish them off.
    if (!exitedInTime || tree.slice(1).some(isRunning)) {
      for (const p of descendantsOf(pid)) if (!tree.includes(p)) tree.push(p);
      signalAll('SIGKILL');
    }
    await this.exited.catch(() => undefined);
    // SIGKILL lands asynchronously: return once nothing of the tree runs any more, so a caller
    // that checks right after abort sees it gone.
    for (let waited = 0; tree.some(isRunning) && waited < 5_000; waited += 50)
      await new Promise((resolve) => setTimeout(resolve, 50));
  }

  /** After the CLI exited: anything its tools left running in its group goes too. */
  killLeftovers(): void {
    if (this.proc.pid === undefined) return;
    try {
      process.kill(-this.proc.pid, 'SIGKILL');
    } catch {
      // the group is empty
    }
  }
}

/**
 * Whether a process still runs. A killed process whose parent is gone too stays a zombie until
 * something reaps it; it runs nothing, so it counts as gone.
 */
export function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    // No /proc entry: gone (or not Linux, where the plain signal probe has to do).
    if (fs.existsSync('/proc/self/stat')) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** Every live descendant of a process, from /proc (Linux); elsewhere only the group kill applies. */
export function descendantsOf(root: number): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const entry of entries) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // The command name is in parentheses and may hold spaces: the ppid follows its last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(root);
  return found;
}

/**
 * Runs a started agent CLI to its end under Dash's controls: its pid is reported, an abort
 * request or a cancellation kills its process tree, and whatever a tool left in its group is
 * killed when it ends. `startError` is set when the binary could not be started at all.
 */
export async function superviseCli(
  cli: CliProcess,
  opts: Pick<RuntimeRunOptions, 'onSpawn' | 'onControl' | 'signal'>,
): Promise<{
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  startError?: Error;
  aborted: boolean;
}> {
  if (cli.pid !== undefined) opts.onSpawn?.(cli.pid);
  let aborted = false;
  opts.onControl?.({
    abort: async () => {
      aborted = true;
      await cli.kill();
      return { success: true };
    },
  });
  const onSignal = () => void cli.kill();
  opts.signal?.addEventListener('abort', onSignal, { once: true });
  if (opts.signal?.aborted) onSignal();
  try {
    const exit = await cli.exited;
    return { exit, aborted };
  } catch (err) {
    return { startError: err as Error, aborted };
  } finally {
    opts.signal?.removeEventListener('abort', onSignal);
    // Anything a tool left running in the group goes with the run.
    cli.killLeftovers();
  }
}
