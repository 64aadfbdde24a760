// Codex's `exec --json` output, one JSON object a line: thread.started, turn.started,
// item.started/updated/completed (commands, file changes, MCP calls, agent messages, errors),
// turn.completed with the turn's token usage, turn.failed, and error notices. Parsed with zod
// because it is another program's output; lines that match no schema pass on untouched.
import { z } from 'zod';
import type { RuntimeUsage } from '../types.js';

const Item = z.looseObject({
  id: z.string(),
  type: z.string(),
  text: z.string().optional(),
  message: z.string().optional(),
});

const ThreadStarted = z.looseObject({ type: z.literal('thread.started'), thread_id: z.string() });
const ItemEvent = z.looseObject({
  type: z.enum(['item.started', 'item.updated', 'item.completed']),
  item: Item,
});
const TurnCompleted = z.looseObject({
  type: z.literal('turn.completed'),
  usage: z.looseObject({
    input_tokens: z.number().default(0),
    cached_input_tokens: z.number().default(0),
    output_tokens: z.number().default(0),
  }),
});
const TurnFailed = z.looseObject({
  type: z.literal('turn.failed'),
  error: z.looseObject({ message: z.string() }).optional(),
});
const ErrorEvent = z.looseObject({ type: z.literal('error'), message: z.string() });

/** Rollout entries that are a tool call the model made. */
const MODEL_TOOL_CALLS = new Set(['function_call', 'custom_tool_call', 'local_shell_call']);

/** Items that are the agent acting on the world, not talking or thinking. */
const TOOL_ITEMS = new Set(['command_execution', 'file_change', 'mcp_tool_call', 'web_search']);

/** What a run has reported so far, folded from its events. */
export class CodexRunState {
  threadId: string | undefined;
  toolCalls = 0;
  lastText = '';
  turnsCompleted = 0;
  failure: string | undefined;
  /** The last error notice; Codex prints one per retry before a turn fails. */
  lastError: string | undefined;
  /**
   * Since when Codex has been waiting for the model endpoint to become reachable. It waits for
   * the network indefinitely (no setting bounds it), so the runtime gives up after a grace.
   */
  networkWaitSince: number | undefined;
  readonly usage: RuntimeUsage = { input: 0, output: 0, cost: 0 };
  private readonly seenTools = new Set<string>();

  constructor(
    private readonly hooks: {
      onUsage?: (usage: RuntimeUsage) => void;
      onToolChange?: (tool: string | null) => void;
    } = {},
  ) {}

  apply(line: unknown): void {
    const error = ErrorEvent.safeParse(line);
    if (error.success) {
      this.lastError = error.data.message;
      if (/waiting for network/i.test(error.data.message)) this.networkWaitSince ??= Date.now();
      return;
    }
    this.networkWaitSince = undefined;
    const thread = ThreadStarted.safeParse(line);
    if (thread.success) {
      this.threadId = thread.data.thread_id;
      return;
    }
    const itemEvent = ItemEvent.safeParse(line);
    if (itemEvent.success) return this.onItem(itemEvent.data);
    const completed = TurnCompleted.safeParse(line);
    if (completed.success) {
      const u = completed.data.usage;
      this.turnsCompleted++;
      // Codex counts cached tokens inside input_tokens; Dash's input is the uncached part, as Pi's.
      this.usage.input += u.input_tokens - u.cached_input_tokens;
      this.usage.output += u.output_tokens;
      // Codex reports tokens only, never a price: the cost stays 0 rather than a guess.
      this.hooks.onUsage?.({ ...this.usage });
      return;
    }
    const failed = TurnFailed.safeParse(line);
    if (failed.success) {
      this.failure = failed.data.error?.message ?? this.lastError ?? 'the turn failed';
    }
  }

  /** The number of tool calls the model made, from the rollout Codex keeps (see runtime.ts). */
  countToolCallsIn(rollout: string): void {
    let calls = 0;
    for (const line of rollout.split('\n')) {
      if (!line.includes('"response_item"')) continue;
      try {
        const entry = JSON.parse(line) as { type?: string; payload?: { type?: string } };
        if (entry.type === 'response_item' && MODEL_TOOL_CALLS.has(entry.payload?.type ?? '')) calls++;
      } catch {
        // a torn last line
      }
    }
    this.toolCalls = Math.max(this.toolCalls, calls);
  }

  private onItem(event: z.infer<typeof ItemEvent>): void {
    const { item } = event;
    if (TOOL_ITEMS.has(item.type)) {
      if (!this.seenTools.has(item.id)) {
        this.seenTools.add(item.id);
        this.toolCalls++;
        this.hooks.onToolChange?.(item.type);
      }
      if (event.type === 'item.completed') this.hooks.onToolChange?.(null);
      return;
    }
    if (item.type === 'agent_message' && event.type === 'item.completed' && item.text)
      this.lastText = item.text;
  }
}
