// The rehearsal server as a provider: it speaks the OpenAI wire format, needs no key, and answers
// any model name, so the offline stack and the tests exercise the same code as real providers.
import { openAiAdapter } from './openai.js';
import type { ProviderAdapter } from './types.js';

export const rehearsalAdapter = (): ProviderAdapter => openAiAdapter('rehearsal');

/** Base URL of a rehearsal server for the OpenAI wire format. */
export const rehearsalBaseUrl = (serverUrl: string) => `${serverUrl.replace(/\/$/, '')}/v1`;
