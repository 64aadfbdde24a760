// The proxy's errors: one typed class, rendered once per surface in the shape that surface's SDK
// parses (OpenAI `{error:{message,type,param,code}}`, Anthropic `{type:"error",error:{type,message}}`).
import { anthropicErrorBody } from '../providers/anthropic.js';
import { openAiErrorBody } from '../providers/openai.js';
import { DashError } from '../core/errors.js';
import { respondJson, type Exchange } from './node-io.js';

export type Surface = 'openai' | 'anthropic';

export class ProxyError extends DashError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly param: string | null = null,
  ) {
    super(code, message, status);
  }
}

export const badRequest = (code: string, message: string, param: string | null = null) =>
  new ProxyError(400, code, message, {}, param);

const openAiType = (status: number, code: string) =>
  status === 401
    ? 'authentication_error'
    : status === 403
      ? 'permission_error'
      : status === 429
        ? code === 'budget_exceeded'
          ? 'insufficient_quota'
          : 'rate_limit_error'
        : status >= 500
          ? 'api_error'
          : 'invalid_request_error';

const anthropicType = (status: number) =>
  status === 401
    ? 'authentication_error'
    : status === 403
      ? 'permission_error'
      : status === 404
        ? 'not_found_error'
        : status === 413
          ? 'request_too_large'
          : status === 429
            ? 'rate_limit_error'
            : status === 529
              ? 'overloaded_error'
              : status >= 500
                ? 'api_error'
                : 'invalid_request_error';

export function errorBody(surface: Surface, err: ProxyError) {
  return surface === 'openai'
    ? openAiErrorBody(openAiType(err.status, err.code), err.code, err.message, err.param)
    : anthropicErrorBody(anthropicType(err.status), `${err.message} (${err.code})`);
}

export function renderProxyError(ex: Exchange, surface: Surface, err: unknown): void {
  const e =
    err instanceof ProxyError
      ? err
      : err instanceof DashError
        ? new ProxyError(err.status, err.code, err.message)
        : internal(err);
  // Too late for an error answer: the client sees the connection drop instead.
  if (ex.outgoing?.headersSent) return void ex.outgoing.destroy();
  Object.assign(ex.headers, e.headers);
  respondJson(ex, e.status, errorBody(surface, e));
}

function internal(err: unknown): ProxyError {
  console.error('[dash proxy] unexpected error', err);
  return new ProxyError(500, 'internal_error', 'Unexpected proxy error; see the server log.');
}
