// Acceptance checks: the commands a task must pass in its worktree before it counts as done.
// A failing check is data for the workflow (it goes back to the agent), never an activity error.
import { passed, runShell, type ShellResult } from '../core/shell.js';
import type { ActivityDeps } from './deps.js';

export interface ChecksResult {
  passed: boolean;
  results: ShellResult[];
  /** What the agent is told when a check fails. */
  feedback: string;
}

const CHECK_TIMEOUT_MS = 10 * 60_000;

export function createCheckActivities(_deps: ActivityDeps) {
  return {
    async runChecks(input: {
      worktreePath: string;
      commands: string[];
      env?: Record<string, string>;
    }): Promise<ChecksResult> {
      const results: ShellResult[] = [];
      for (const command of input.commands) {
        const result = await runShell(command, {
          cwd: input.worktreePath,
          timeoutMs: CHECK_TIMEOUT_MS,
          ...(input.env && { env: input.env }),
        });
        results.push(result);
        // Later checks usually depend on earlier ones; stop at the first failure.
        if (!passed(result)) return { passed: false, results, feedback: failureFeedback(result) };
      }
      return { passed: true, results, feedback: 'All acceptance checks passed.' };
    },
  };
}

function failureFeedback(failed: ShellResult): string {
  const status = failed.timedOut ? 'timed out' : `exited with ${failed.exitCode}`;
  return `The acceptance check \`${failed.command}\` ${status}. Its output:\n${failed.output.trim() || '(no output)'}\nFix the work so that it passes.`;
}
