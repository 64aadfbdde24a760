// The Refinery's merge step: one branch into the integration branch, gated. The merge is built
// in the object store, the repository's test command runs on exactly that tree in a scratch
// worktree, and only then does the integration ref move, by compare-and-swap. A retry after a
// crash finds the branch already contained and does nothing, so no merge is applied twice and
// nothing reaches the integration branch untested.
import path from 'node:path';
import { git, gitStatus } from '../core/git.js';
import { filesBetween, mergeCommit, tipOf } from '../core/merge.js';
import { passed, runShell } from '../core/shell.js';
import { dropWorktree, prepareDependencies } from '../worktrees/index.js';
import type { ActivityDeps } from './deps.js';

export type MergeStep =
  | { status: 'merged'; commit: string; filesChanged: string[]; alreadyMerged: boolean; gateMs: number }
  | { status: 'conflict'; head: string; files: string[] }
  | { status: 'gate_failed'; head: string; output: string };

const GATE_TIMEOUT_MS = 20 * 60_000;

export function createRefineryActivities({ config }: ActivityDeps) {
  return {
    async mergeIntoIntegration(input: {
      repoPath: string;
      /** The integration branch; created at baseSha by the first merge. */
      integrationBranch: string;
      baseSha: string;
      branch: string;
      gateCommand?: string;
      message: string;
    }): Promise<MergeStep> {
      const ref = `refs/heads/${input.integrationBranch}`;
      const current = await gitStatus(input.repoPath, ['rev-parse', '-q', '--verify', `${ref}^{commit}`]);
      const head = current.code === 0 ? current.stdout.trim() : input.baseSha;
      const tip = await tipOf(input.repoPath, input.branch);
      const merged = await mergeCommit(input.repoPath, head, tip, [`Merge ${input.branch}`, input.message]);
      if ('conflicts' in merged) return { status: 'conflict', head, files: merged.conflicts };
      if (merged.alreadyContained) {
        if (current.code !== 0) await git(input.repoPath).raw(['update-ref', ref, head]);
        return { status: 'merged', commit: head, filesChanged: [], alreadyMerged: true, gateMs: 0 };
      }
      let gateMs = 0;
      if (input.gateCommand) {
        const scratch = path.join(
          config.worktreeRoot,
          '.gates',
          `${path.basename(input.repoPath)}-${merged.commit.slice(0, 12)}`,
        );
        await dropWorktree(input.repoPath, scratch);
        await git(input.repoPath).raw(['worktree', 'add', '--detach', scratch, merged.commit]);
        try {
          await prepareDependencies(input.repoPath, scratch, config.worktreeDependencies);
          const gate = await runShell(input.gateCommand, { cwd: scratch, timeoutMs: GATE_TIMEOUT_MS });
          gateMs = gate.ms;
          if (!passed(gate)) {
            const status = gate.timedOut ? 'timed out' : `exited with ${gate.exitCode}`;
            return {
              status: 'gate_failed',
              head,
              output: `\`${input.gateCommand}\` ${status}:\n${gate.output}`,
            };
          }
        } finally {
          await dropWorktree(input.repoPath, scratch);
        }
      }
      // Compare-and-swap: if the ref moved meanwhile, git refuses and the retry starts over.
      const expected = current.code === 0 ? head : '0'.repeat(40);
      await git(input.repoPath).raw(['update-ref', ref, merged.commit, expected]);
      return {
        status: 'merged',
        commit: merged.commit,
        filesChanged: await filesBetween(input.repoPath, head, merged.commit),
        alreadyMerged: false,
        gateMs,
      };
    },
  };
}
