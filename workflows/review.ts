// A review round: a Reviewer session (read-only tools) reads a committed change and answers
// APPROVE or REQUEST CHANGES. It runs as a child session of its own, so it shows in the Web UI,
// survives worker crashes like any session, and its tokens count toward the intent.
import { executeChild } from '@temporalio/workflow';
import { projection, quick } from './activity-proxies.js';
import type { AgentSessionWorkflow } from './agent-session-workflow.js';
import type { SessionInput, Usage } from './types.js';

export interface Verdict {
  approved: boolean;
  /** The reviewer's words: what the worker is told when changes are requested. */
  feedback: string;
  usage: Usage;
}

export async function reviewWork(session: SessionInput, commit: string, round: number): Promise<Verdict> {
  const key = `${session.taskKey}-review-${round}`;
  const { diff, truncated } = await quick.diffOf({
    repoPath: session.repoPath,
    from: session.baseSha,
    to: commit,
  });
  const prompt = reviewPrompt(session, diff, truncated);
  await projection.addTask({
    intentId: session.intentId,
    task: {
      id: key,
      title: `Review ${round} of ${session.taskKey}`,
      prompt,
      role: 'reviewer',
      dependsOn: [session.taskKey],
    },
  });
  const result = await executeChild<typeof AgentSessionWorkflow>('AgentSessionWorkflow', {
    workflowId: `${session.intentId}-task-${key}`,
    args: [
      {
        ...session,
        taskKey: key,
        taskId: `${session.intentId}-${key}`,
        sessionId: `${session.intentId}-${key}`,
        baseSha: commit,
        branch: `dash/${session.intentId}/task-${key}`,
        title: `Review ${round} of ${session.title}`,
        prompt,
        role: 'reviewer',
        cleanup: 'immediate',
        acceptance: undefined,
        review: undefined,
        mergeBranch: undefined,
        forkFrom: undefined,
        carry: undefined,
        ownsIntent: false,
      },
    ],
  });
  return { ...parseVerdict(result.finalText ?? ''), usage: result.usage };
}

function reviewPrompt(session: SessionInput, diff: string, truncated: boolean): string {
  return `Review the change made for the task "${session.title}". The task was:\n${session.prompt}\n\nThe change (git diff${truncated ? ', truncated' : ''}):\n\`\`\`diff\n${diff}\n\`\`\`\nRead any file you need. Answer with APPROVE on the first line if the change does the task correctly and completely. Otherwise answer REQUEST CHANGES on the first line, followed by precise changes the author must make.`;
}

/** Changes requested wins over approval: an unclear verdict is not an approval. */
export function parseVerdict(text: string): { approved: boolean; feedback: string } {
  const requested = /REQUEST(?:ED)?[\s_-]+CHANGES/i.test(text);
  const approved = !requested && /\bAPPROVED?\b/.test(text);
  return {
    approved,
    feedback: approved ? text.trim() : text.trim() || 'The reviewer gave no verdict; check the task again.',
  };
}
