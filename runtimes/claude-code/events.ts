// Claude Code's stream-json output (`--print --output-format stream-json --verbose`), one JSON
// object a line: `system` (init and notices), `assistant` and `user` messages as the conversation
// grows, and one final `result` with the run's usage, cost and answer. Parsed with zod because it
// is another program's output; lines that match no schema are passed on as events untouched.
import { z } from 'zod';
import type { RuntimeUsage } from '../types.js';

const ContentBlock = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  id: z.string().optional(),
  name: z.string().optional(),
  tool_use_id: z.string().optional(),
});

const MessageUsage = z.looseObject({
  input_tokens: z.number().optional(),
  output_tokens: z.number().optional(),
});

const AssistantEvent = z.looseObject({
  type: z.literal('assistant'),
  message: z.looseObject({
    id: z.string().optional(),
    content: z.array(ContentBlock).default([]),
    usage: MessageUsage.optional(),
  }),
});

const UserEvent = z.looseObject({
  type: z.literal('user'),
  message: z.looseObject({ content: z.union([z.string(), z.array(ContentBlock)]).optional() }),
});

const SystemInit = z.looseObject({
  type: z.literal('system'),
  subtype: z.literal('init'),
  session_id: z.string(),
});

const ResultEvent = z.looseObject({
  type: z.literal('result'),
  subtype: z.string(),
  is_error: z.boolean().default(false),
  result: z.string().optional(),
  errors: z.array(z.string()).optional(),
  total_cost_usd: z.number().default(0),
  usage: MessageUsage.default({}),
  session_id: z.string().optional(),
});

/** What a run has reported so far, folded from its events. */
export class ClaudeCodeRunState {
  sessionId: string | undefined;
  toolCalls = 0;
  lastText = '';
  /** Set once the final `result` event arrives. */
  result: z.infer<typeof ResultEvent> | undefined;
  readonly usage: RuntimeUsage = { input: 0, output: 0, cost: 0 };
  private readonly seenMessages = new Set<string>();
  private readonly seenTools = new Set<string>();

  constructor(
    private readonly hooks: {
      onUsage?: (usage: RuntimeUsage) => void;
      onToolChange?: (tool: string | null) => void;
    } = {},
  ) {}

  /** Folds one stream-json line in; returns the event type to report it under. */
  apply(line: unknown): string {
    const init = SystemInit.safeParse(line);
    if (init.success) {
      this.sessionId = init.data.session_id;
      return 'system_init';
    }
    const assistant = AssistantEvent.safeParse(line);
    if (assistant.success) {
      this.onAssistant(assistant.data);
      return 'assistant';
    }
    const user = UserEvent.safeParse(line);
    if (user.success) {
      const content = user.data.message.content;
      if (Array.isArray(content) && content.some((b) => b.type === 'tool_result')) {
        this.hooks.onToolChange?.(null);
        return 'tool_result';
      }
      return 'user';
    }
    const result = ResultEvent.safeParse(line);
    if (result.success) {
      this.result = result.data;
      // The result's totals are Claude Code's own account of the whole run; they replace the
      // running estimate. Input counts uncached tokens, as Pi's usage does.
      this.usage.input = result.data.usage.input_tokens ?? this.usage.input;
      this.usage.output = result.data.usage.output_tokens ?? this.usage.output;
      this.usage.cost = result.data.total_cost_usd;
      this.hooks.onUsage?.({ ...this.usage });
      return 'result';
    }
    const type = (line as { type?: unknown })?.type;
    const subtype = (line as { subtype?: unknown })?.subtype;
    return typeof type === 'string' ? (typeof subtype === 'string' ? `${type}_${subtype}` : type) : 'unknown';
  }

  private onAssistant(event: z.infer<typeof AssistantEvent>): void {
    const { message } = event;
    // One API message arrives as several events (one per content block) sharing its id and usage.
    if (message.id && !this.seenMessages.has(message.id)) {
      this.seenMessages.add(message.id);
      this.usage.input += message.usage?.input_tokens ?? 0;
      this.usage.output += message.usage?.output_tokens ?? 0;
      this.hooks.onUsage?.({ ...this.usage });
    }
    const text = message.content
      .filter((b) => b.type === 'text')
      .map((b) => b.text ?? '')
      .join('');
    if (text) this.lastText = text;
    for (const block of message.content) {
      if (block.type !== 'tool_use') continue;
      const key = block.id ?? `${this.toolCalls}`;
      if (this.seenTools.has(key)) continue;
      this.seenTools.add(key);
      this.toolCalls++;
      this.hooks.onToolChange?.(block.name ?? 'tool');
    }
  }
}
