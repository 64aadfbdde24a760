// Who may call the control API. Every request outside the health endpoints carries a Dash API key
// (`dash_sk_…`, hashed at rest, the same keys the LLM proxy takes) or an HS256 JWT signed with
// DASH_JWT_SECRET. Its scope decides what it may do: reading needs `read`, any change `write`,
// key management and /metrics `admin`; an agent's per-session key (`proxy`) reaches only the
// LLM proxy. The principal's tenant then scopes every query the routes make.
import type { Context, MiddlewareHandler } from 'hono';
import type { Db } from '../drizzle/client.js';
import type { KeyScope } from '../drizzle/proxy-schema.js';
import { authenticate, tokenOf, type Principal } from '../proxy/auth.js';
import { ProxyError } from '../proxy/errors.js';
import { errorResponse } from './errors.js';

export interface AuthEnv {
  Variables: { principal: Principal };
}

const RANK: Record<KeyScope, number> = { proxy: 0, read: 1, write: 2, admin: 3 };

/** Whether a key of scope `held` may do what `needed` allows. */
export const allows = (held: KeyScope, needed: KeyScope) => RANK[held] >= RANK[needed];

/** The scope a request needs: admin for keys and metrics, write for any change, read otherwise. */
export function requiredScope(method: string, path: string): KeyScope {
  if (path.startsWith('/api/v1/auth/keys') || path === '/metrics') return 'admin';
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}

/** The principal of an authenticated request (set by `requireAuth`). */
export const principalOf = (c: Context<AuthEnv>): Principal => c.get('principal');

/** The tenant every query of this request is confined to. */
export const tenantOf = (c: Context<AuthEnv>): string => c.get('principal').tenantId;

/**
 * Authenticates a bearer token and checks its scope; the error, if any, has a stable code and
 * status for every surface that calls it (HTTP middleware, the WebSocket upgrade).
 */
export async function authorize(
  db: Db,
  jwtSecret: string | undefined,
  token: string | undefined,
  needed: KeyScope,
): Promise<Principal | { status: 401 | 403; code: string; message: string; details?: unknown }> {
  let principal: Principal;
  try {
    principal = await authenticate(db, token, jwtSecret);
  } catch (err) {
    if (!(err instanceof ProxyError)) throw err;
    return {
      status: 401,
      code: 'unauthorized',
      message: `${err.message} Create one with \`dash auth key create\` and send it as \`Authorization: Bearer <key>\`.`,
    };
  }
  if (!allows(principal.scope, needed))
    return {
      status: 403,
      code: 'forbidden',
      message:
        principal.scope === 'proxy'
          ? 'This key only calls the LLM proxy; the control API needs a key of scope read, write or admin.'
          : `This key's scope is '${principal.scope}'; this request needs '${needed}'.`,
      details: { scope: principal.scope, required: needed },
    };
  return principal;
}

export function requireAuth(db: Db, jwtSecret: string | undefined): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const token = tokenOf({
      authorization: c.req.header('authorization'),
      xApiKey: c.req.header('x-api-key'),
    });
    const result = await authorize(db, jwtSecret, token, requiredScope(c.req.method, c.req.path));
    if ('status' in result) {
      if (result.status === 401) c.header('WWW-Authenticate', 'Bearer realm="dash"');
      return errorResponse(c, result.status, result.code, result.message, result.details);
    }
    c.set('principal', result);
    await next();
    return undefined;
  };
}
