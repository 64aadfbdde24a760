// The two client-facing wire formats, as one interface the chat pipeline is written against.
import type { ZodType } from 'zod';
import {
  AnthropicMessagesRequestSchema,
  anthropicStreamEncoder,
  decodeAnthropicRequest,
  encodeAnthropicResponse,
  type AnthropicMessagesRequest,
} from '../providers/anthropic.js';
import {
  decodeOpenAiRequest,
  encodeOpenAiResponse,
  OpenAiChatRequestSchema,
  openAiStreamEncoder,
  type CostedUsage,
  type OpenAiChatRequest,
} from '../providers/openai.js';
import type { ChatRequest, ChatResponse, StreamEvent } from '../providers/types.js';
import type { Surface } from './errors.js';
import { isPlainAnthropicMessages, isPlainOpenAiChat } from './plain-body.js';

export interface StreamEncoder {
  encode(e: StreamEvent): string;
  end(usage: CostedUsage): string;
}

export interface SurfaceCodec {
  surface: Surface;
  schema: ZodType;
  /** The common shape, which the schema accepts unchanged: validated without zod. */
  isPlain(body: Record<string, unknown>): boolean;
  decode(body: unknown): ChatRequest;
  encodeResponse(r: ChatResponse, model: string, usage: CostedUsage): unknown;
  streamEncoder(model: string, includeUsage: boolean): StreamEncoder;
}

export const openAiSurface: SurfaceCodec = {
  surface: 'openai',
  schema: OpenAiChatRequestSchema,
  isPlain: isPlainOpenAiChat,
  decode: (b) => decodeOpenAiRequest(b as OpenAiChatRequest),
  encodeResponse: encodeOpenAiResponse,
  streamEncoder: openAiStreamEncoder,
};

export const anthropicSurface: SurfaceCodec = {
  surface: 'anthropic',
  schema: AnthropicMessagesRequestSchema,
  isPlain: isPlainAnthropicMessages,
  decode: (b) => decodeAnthropicRequest(b as AnthropicMessagesRequest),
  encodeResponse: encodeAnthropicResponse,
  streamEncoder: (model) => anthropicStreamEncoder(model),
};
