import { isAlive, readStackState } from '../../stack/state.js';
import { DashCommand } from '../base.js';

export default class Down extends DashCommand {
  static override summary = 'Stop the embedded stack that `dash do` or `dash up` started.';
  static override examples = ['<%= config.bin %> down', '<%= config.bin %> down --json'];

  async run(): Promise<{ stopped: boolean; pid: number | null }> {
    const state = readStackState(this.dashConfig.home);
    if (!state) {
      this.progress('No embedded Dash stack is running.');
      return { stopped: false, pid: null };
    }
    process.kill(state.pid, 'SIGTERM');
    const deadline = Date.now() + 60_000;
    while (isAlive(state.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (isAlive(state.pid)) {
      this.warn(`The stack (pid ${state.pid}) did not stop within 60 s; sending SIGKILL.`);
      process.kill(-state.pid, 'SIGKILL');
    }
    this.progress(`Stopped the embedded Dash stack (pid ${state.pid}).`);
    return { stopped: true, pid: state.pid };
  }
}
