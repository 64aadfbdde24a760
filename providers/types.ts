// The proxy's internal form of a chat call, between the wire formats: every surface decodes into
// it and every provider encodes from it, so N formats need N codecs instead of N² translators.
export type Wire = 'openai' | 'anthropic' | 'google';
export type ProviderName = 'anthropic' | 'openai' | 'google' | 'rehearsal';

export interface ToolDef {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
}

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text, as the model produced it. */
  arguments: string;
}

export interface ChatMessage {
  role: 'user' | 'assistant' | 'tool';
  text: string;
  toolCalls?: ToolCall[];
  /** For role 'tool': the call this message answers. */
  toolCallId?: string;
  isError?: boolean;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export interface ChatRequest {
  model: string;
  system: string | undefined;
  messages: ChatMessage[];
  tools: ToolDef[];
  toolChoice?: ToolChoice;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
  stream: boolean;
  /** OpenAI surface only: the client asked for the final usage chunk. */
  includeUsage: boolean;
  /**
   * OpenAI-only parameters (response_format, penalties, reasoning_effort…): forwarded to
   * OpenAI-format upstreams, dropped for others, and part of the cache key either way.
   */
  openAiExtras?: Record<string, unknown>;
}

/** Four mutually exclusive buckets: input excludes cached tokens read or written. */
export interface Usage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export const zeroUsage = (): Usage => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 });

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface ChatResponse {
  id: string;
  model: string;
  text: string;
  toolCalls: ToolCall[];
  finish: FinishReason;
  usage: Usage;
}

export type StreamEvent =
  | { type: 'start'; id: string; model: string }
  | { type: 'text'; text: string }
  | { type: 'tool_start'; index: number; id: string; name: string }
  | { type: 'tool_args'; index: number; delta: string }
  | { type: 'finish'; reason: FinishReason }
  | { type: 'usage'; usage: Partial<Usage> }
  | { type: 'error'; message: string };

/** What a provider needs to call its upstream. The key never leaves the server. */
export interface ProviderEndpoint {
  name: ProviderName;
  baseUrl: string;
  apiKey: string | undefined;
}

export interface UpstreamRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Decodes one upstream's SSE events into stream events; stateful per response. */
export interface StreamDecoder {
  decode(event: string | undefined, data: string): StreamEvent[];
}

export interface ProviderAdapter {
  name: ProviderName;
  wire: Wire;
  buildRequest(req: ChatRequest, model: string, endpoint: ProviderEndpoint): UpstreamRequest;
  decodeResponse(body: unknown): ChatResponse;
  streamDecoder(): StreamDecoder;
}
