// Operations on a stopped agent session's conversation: compaction, and moving its active leaf. They run on the agents
// queue because the runtime's session file lives on the host that ran the agent.
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { runtimeFor } from '../runtimes/index.js';
import type { RuntimeName } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';
import { mirrorSessionTree } from './session-mirror.js';

export function createSessionOpsActivities({ db, config, llm }: ActivityDeps) {
  return {
    async compactSession(input: {
      sessionId: string;
      worktreePath: string;
      runtime?: RuntimeName;
      instructions?: string;
    }): Promise<{ tokensBefore: number; summary: string }> {
      const runtime = runtimeFor(input.runtime ?? 'pi', config);
      if (!runtime.compact)
        throw ApplicationFailure.nonRetryable(
          `The ${runtime.name} runtime keeps no conversation to compact.`,
          'CompactUnsupported',
        );
      const sessionDir = path.join(config.home, 'sessions', input.sessionId);
      try {
        const result = await runtime.compact({
          sessionDir,
          cwd: input.worktreePath,
          llm,
          ...(input.instructions && { instructions: input.instructions }),
        });
        await mirrorSessionTree(db, input.sessionId, runtime.sessionFileIn?.(sessionDir));
        return { tokensBefore: result.tokensBefore, summary: result.summary.slice(0, 4_000) };
      } catch (err) {
        // Pi refuses with a reason ("Nothing to compact", "Already compacted"): not worth retrying.
        throw ApplicationFailure.nonRetryable(
          `Compaction failed: ${(err as Error).message}`,
          'CompactFailed',
        );
      }
    },

    async navigateSession(input: {
      sessionId: string;
      runtime?: RuntimeName;
      entryId: string;
      summary: string;
    }): Promise<{ branchEntryId: string }> {
      const runtime = runtimeFor(input.runtime ?? 'pi', config);
      if (!runtime.navigate)
        throw ApplicationFailure.nonRetryable(
          `The ${runtime.name} runtime keeps no conversation tree to navigate.`,
          'NavigateUnsupported',
        );
      const sessionDir = path.join(config.home, 'sessions', input.sessionId);
      try {
        const result = await runtime.navigate({ sessionDir, entryId: input.entryId, summary: input.summary });
        await mirrorSessionTree(db, input.sessionId, runtime.sessionFileIn?.(sessionDir));
        return result;
      } catch (err) {
        throw ApplicationFailure.nonRetryable(
          `Navigation failed: ${(err as Error).message}`,
          'NavigateFailed',
        );
      }
    },
  };
}
