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

/** One item of a batch merge: a finished task's branch. */
export interface BatchItem {
  branch: string;
  message: string;
}

/** A batch item's outcome; `deferred` items conflicted inside the batch and merge alone after it. */
export type BatchStep = { branch: string } & (
  Exclude<MergeStep, { status: 'conflict' }> | { status: 'deferred'; files: string[] }
);

export function createRefineryActivities({ config }: ActivityDeps) {
  /** The repository's test command on exactly this commit, in a scratch worktree. */
  const runGate = async (repoPath: string, commit: string, command: string) => {
    const scratch = path.join(
      config.worktreeRoot,
      '.gates',
      `${path.basename(repoPath)}-${commit.slice(0, 12)}`,
    );
    await dropWorktree(repoPath, scratch);
    await git(repoPath).raw(['worktree', 'add', '--detach', scratch, commit]);
    try {
      await prepareDependencies(repoPath, scratch, config.worktreeDependencies);
      const gate = await runShell(command, { cwd: scratch, timeoutMs: GATE_TIMEOUT_MS });
      const status = gate.timedOut ? 'timed out' : `exited with ${gate.exitCode}`;
      return { ok: passed(gate), ms: gate.ms, output: `\`${command}\` ${status}:\n${gate.output}` };
    } finally {
      await dropWorktree(repoPath, scratch);
    }
  };
  const readHead = async (repoPath: string, ref: string, baseSha: string) => {
    const current = await gitStatus(repoPath, ['rev-parse', '-q', '--verify', `${ref}^{commit}`]);
    return current.code === 0
      ? { head: current.stdout.trim(), exists: true }
      : { head: baseSha, exists: false };
  };

  return {
    /**
     * Several finished branches at once: merged in order onto the integration head, gated once on
     * the result. A failing gate is bisected: each half is merged and gated on its own, down to
     * the single branch that breaks it, so one bad branch costs about log2(n) extra gate runs and
     * the good ones still land. Branches that conflict inside the batch are deferred to a merge of
     * their own (and the Refinery session that resolves it).
     */
    async mergeBatchIntoIntegration(input: {
      repoPath: string;
      integrationBranch: string;
      baseSha: string;
      items: BatchItem[];
      gateCommand?: string;
    }): Promise<{ steps: BatchStep[]; gateRuns: number }> {
      const ref = `refs/heads/${input.integrationBranch}`;
      const steps = new Map<string, BatchStep>();
      let gateRuns = 0;
      const land = async (items: BatchItem[]): Promise<void> => {
        const { head, exists } = await readHead(input.repoPath, ref, input.baseSha);
        const chain: { item: BatchItem; from: string; commit: string }[] = [];
        let cur = head;
        for (const item of items) {
          const tip = await tipOf(input.repoPath, item.branch);
          const m = await mergeCommit(input.repoPath, cur, tip, [`Merge ${item.branch}`, item.message]);
          if ('conflicts' in m)
            steps.set(item.branch, { branch: item.branch, status: 'deferred', files: m.conflicts });
          else if (m.alreadyContained)
            steps.set(item.branch, {
              branch: item.branch,
              status: 'merged',
              commit: cur,
              filesChanged: [],
              alreadyMerged: true,
              gateMs: 0,
            });
          else {
            chain.push({ item, from: cur, commit: m.commit });
            cur = m.commit;
          }
        }
        if (chain.length === 0) {
          if (!exists) await git(input.repoPath).raw(['update-ref', ref, head]);
          return;
        }
        let gateMs = 0;
        if (input.gateCommand) {
          gateRuns++;
          const gate = await runGate(input.repoPath, cur, input.gateCommand);
          gateMs = gate.ms;
          if (!gate.ok) {
            if (chain.length === 1) {
              steps.set(chain[0]!.item.branch, {
                branch: chain[0]!.item.branch,
                status: 'gate_failed',
                head,
                output: gate.output,
              });
              return;
            }
            const half = Math.ceil(chain.length / 2);
            await land(chain.slice(0, half).map((c) => c.item));
            await land(chain.slice(half).map((c) => c.item));
            return;
          }
        }
        // Compare-and-swap, as for a single merge: a retry after a crash finds these contained.
        await git(input.repoPath).raw(['update-ref', ref, cur, exists ? head : '0'.repeat(40)]);
        for (const c of chain) {
          steps.set(c.item.branch, {
            branch: c.item.branch,
            status: 'merged',
            commit: c.commit,
            filesChanged: await filesBetween(input.repoPath, c.from, c.commit),
            alreadyMerged: false,
            gateMs,
          });
        }
      };
      await land(input.items);
      return { steps: input.items.map((i) => steps.get(i.branch)!), gateRuns };
    },

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
      const { head, exists } = await readHead(input.repoPath, ref, input.baseSha);
      const tip = await tipOf(input.repoPath, input.branch);
      const merged = await mergeCommit(input.repoPath, head, tip, [`Merge ${input.branch}`, input.message]);
      if ('conflicts' in merged) return { status: 'conflict', head, files: merged.conflicts };
      if (merged.alreadyContained) {
        if (!exists) await git(input.repoPath).raw(['update-ref', ref, head]);
        return { status: 'merged', commit: head, filesChanged: [], alreadyMerged: true, gateMs: 0 };
      }
      let gateMs = 0;
      if (input.gateCommand) {
        const gate = await runGate(input.repoPath, merged.commit, input.gateCommand);
        gateMs = gate.ms;
        if (!gate.ok) return { status: 'gate_failed', head, output: gate.output };
      }
      // Compare-and-swap: if the ref moved meanwhile, git refuses and the retry starts over.
      await git(input.repoPath).raw(['update-ref', ref, merged.commit, exists ? head : '0'.repeat(40)]);
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
