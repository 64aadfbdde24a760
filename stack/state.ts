// Records where a running stack is (so `dash do`, `dash status` and `dash down` can find it) and
// cleans up a Temporal dev server orphaned by a stack that was killed.
import fs from 'node:fs';
import path from 'node:path';

export interface StackState {
  pid: number;
  apiUrl: string;
  temporalAddress: string;
  temporalUiUrl: string | undefined;
  startedAt: string;
}

const stateFile = (home: string) => path.join(home, 'run', 'stack.json');

export function writeStackState(home: string, state: StackState): void {
  fs.mkdirSync(path.dirname(stateFile(home)), { recursive: true });
  fs.writeFileSync(stateFile(home), JSON.stringify(state, null, 2));
}

export function readStackState(home: string): StackState | undefined {
  try {
    const state = JSON.parse(fs.readFileSync(stateFile(home), 'utf8')) as StackState;
    return isAlive(state.pid) ? state : undefined;
  } catch {
    return undefined;
  }
}

export function clearStackState(home: string, pid: number): void {
  const state = (() => {
    try {
      return JSON.parse(fs.readFileSync(stateFile(home), 'utf8')) as StackState;
    } catch {
      return undefined;
    }
  })();
  if (state?.pid === pid) fs.rmSync(stateFile(home), { force: true });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function killStaleTemporal(home: string): Promise<void> {
  const pidFile = path.join(home, 'run', 'temporal.pid');
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8'));
  } catch {
    return;
  }
  if (!pid || !isAlive(pid)) return void fs.rmSync(pidFile, { force: true });
  let cmdline = '';
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    // not Linux or gone
  }
  if (!cmdline.includes('start-dev')) return void fs.rmSync(pidFile, { force: true });
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  fs.rmSync(pidFile, { force: true });
}
