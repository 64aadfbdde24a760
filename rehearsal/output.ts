// What a step produces, independent of wire format.
import type { Step } from './scenario.js';

export interface Output {
  text: string;
  tools: { name: string; arguments: Record<string, unknown> }[];
  chunkSize: number;
  delayPerChunkMs: number;
  failAfterChunks?: number | undefined;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function outputOf(step: Exclude<Step, { fault: unknown }>, fillText: (s: string) => string): Output {
  if ('text' in step) {
    return {
      text: fillText(step.text),
      tools: [],
      chunkSize: step.chunkSize ?? 16,
      delayPerChunkMs: step.delayPerChunkMs ?? 0,
      failAfterChunks: step.failAfterChunks,
    };
  }
  return { text: '', tools: 'tool' in step ? [step.tool] : step.tools, chunkSize: 16, delayPerChunkMs: 0 };
}
