// Committed histories of real runs replay against today's workflow code: a change that breaks
// determinism for in-flight intents fails here, before it reaches a worker.
// Re-record with: DASH_RECORD_HISTORIES=1 npx vitest run tests/workflows/intent.test.ts tests/workflows/swarm.test.ts
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../helpers/stack.js';

const dir = path.join(import.meta.dirname, 'histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('replay of committed histories', () => {
  it('has histories of both workflow types', () => {
    const types = files.map((f) => {
      const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
      return history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
    });
    expect(new Set(types)).toEqual(new Set(['IntentWorkflow', 'AgentSessionWorkflow']));
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
    await expect(
      Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file),
    ).resolves.toBeUndefined();
  });
});
