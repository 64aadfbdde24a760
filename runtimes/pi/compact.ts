// Compacts a Pi session that is not running: Pi is started on the session file in RPC mode, asked
// to `compact`, and stopped. Pi's own compact aborts any run in progress first, so Dash compacts
// only paused or finished sessions, where nothing is lost by that.
import fs from 'node:fs';
import path from 'node:path';
import type { LlmSettings } from '../../core/config.js';
import { piArgs, piEnv, writePiAgentDir } from './agent-dir.js';
import { PiRpcProcess } from './rpc-process.js';

export interface CompactionResult {
  tokensBefore: number;
  summary: string;
  firstKeptEntryId: string;
}

export async function compactPiSession(opts: {
  sessionDir: string;
  cwd: string;
  llm: LlmSettings;
  instructions?: string;
}): Promise<CompactionResult> {
  const sessionFile = path.join(opts.sessionDir, 'session.jsonl');
  if (!fs.existsSync(sessionFile)) throw new Error(`No Pi session at ${sessionFile}.`);
  const agentDir = path.join(opts.sessionDir, 'agent');
  const { modelArg } = writePiAgentDir(agentDir, opts.llm);
  const pi = new PiRpcProcess({
    cwd: opts.cwd,
    args: piArgs({ modelArg, sessionFile }),
    env: piEnv(agentDir, opts.llm),
  });
  try {
    const result = await pi.request<CompactionResult>({
      type: 'compact',
      ...(opts.instructions && { customInstructions: opts.instructions }),
    });
    return {
      tokensBefore: result.tokensBefore,
      summary: result.summary,
      firstKeptEntryId: result.firstKeptEntryId,
    };
  } finally {
    await pi.stop();
  }
}
