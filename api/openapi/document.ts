// The OpenAPI 3.1 document, built from the route registry with zod's own JSON Schema output
// (draft 2020-12, the dialect OpenAPI 3.1 uses). Request schemas are described as clients send
// them (`io: 'input'`: fields with defaults are optional), replies as the API sends them.
import { z } from 'zod';
import { ErrorBody } from './responses.js';
import { requiredScope } from '../auth.js';
import { routes, type RouteDoc } from './registry.js';

/** Health probes answer without a key. */
const isOpen = (route: Pick<RouteDoc, 'path'>) => route.path.startsWith('/health');

type JsonSchema = Record<string, unknown>;

export const DASH_API_VERSION = '1';

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  // `unrepresentable: 'any'`: a transform (usage's group_by) is described by its input type.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

function parameters(schema: z.ZodObject, where: 'path' | 'query') {
  const object = jsonSchema(schema, 'input') as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (object.required ?? []).includes(name),
      ...(typeof description === 'string' && { description }),
      schema: rest,
    };
  });
}

function errorStatuses(route: RouteDoc): Map<number, string[]> {
  const out = new Map<number, string[]>();
  const add = (status: number, codes: string[]) => out.set(status, [...(out.get(status) ?? []), ...codes]);
  if (route.params || route.query || route.body) add(400, ['validation_failed']);
  if (route.body) add(400, ['malformed_json']);
  if (route.body && route.path.startsWith('/api/')) add(413, ['body_too_large']);
  if (!isOpen(route)) {
    add(401, ['unauthorized']);
    add(403, ['forbidden']);
  }
  for (const [status, codes] of Object.entries(route.errors ?? {})) add(Number(status), codes);
  return out;
}

const errorResponse = (description: string, codes: string[]) => ({
  description,
  'x-error-codes': codes,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** `post /api/v1/intents/{id}/retry` → `postIntentsByIdRetry`. */
export function operationId(route: Pick<RouteDoc, 'method' | 'path'>): string {
  const words = route.path
    .replace(/^\/api\/v1/, '')
    .split(/[/.]/)
    .filter(Boolean)
    .map((w) => (w.startsWith('{') ? `by-${w.slice(1, -1)}` : w))
    .flatMap((w) => w.split(/[-_]/));
  return route.method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

function operation(route: RouteDoc) {
  const { ok } = route;
  const okContent = ok.schema
    ? { 'application/json': { schema: jsonSchema(ok.schema, 'output') } }
    : { [ok.contentType ?? 'application/json']: { schema: { type: 'string' } } };
  const responses: Record<string, unknown> = {
    [ok.status]: { description: ok.description, content: okContent },
  };
  if (ok.alsoStatus) responses[ok.alsoStatus] = { description: ok.description, content: okContent };
  for (const [status, codes] of errorStatuses(route))
    responses[status] = errorResponse(codes.map((c) => `\`${c}\``).join(', '), codes);
  responses.default = errorResponse('`internal_error`: an unexpected server error', ['internal_error']);
  const params = [
    ...(route.params ? parameters(route.params, 'path') : []),
    ...(route.query ? parameters(route.query, 'query') : []),
  ];
  return {
    operationId: operationId(route),
    tags: [route.tag],
    ...(isOpen(route)
      ? { security: [] }
      : { 'x-required-scope': requiredScope(route.method.toUpperCase(), route.path) }),
    summary: route.summary,
    ...(route.description && { description: route.description }),
    ...(params.length > 0 && { parameters: params }),
    ...(route.body && {
      requestBody: {
        // A body whose every field is optional may be left out (no content-type: `{}`).
        required: !route.body.safeParse({}).success,
        content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
      },
    }),
    responses,
  };
}

let built: Record<string, unknown> | undefined;

export function openApiDocument(): Record<string, unknown> {
  if (built) return built;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) (paths[route.path] ??= {})[route.method] = operation(route);
  built = {
    openapi: '3.1.1',
    info: {
      title: 'Dash API',
      version: DASH_API_VERSION,
      summary: 'Temporal-based control plane for swarms of coding agents',
      description:
        'Every error has the shape `{"error": {"code", "message", "details"?}}` with a stable code. ' +
        'The LLM proxy (`/proxy/v1/chat/completions`, `/proxy/v1/messages`, `/proxy/v1/models`) speaks ' +
        "the OpenAI and Anthropic wire formats and is described in the repository's proxy/README.md. " +
        'Every route but /health needs a bearer token: a Dash API key (`dash auth key create`) or a JWT ' +
        'signed with DASH_JWT_SECRET. Reading needs scope `read`, any change `write`, keys and ' +
        '/metrics `admin` (each operation names its `x-required-scope`); every reply is confined to ' +
        "the caller's tenant.",
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: [
      { name: 'intents', description: 'Intents and their swarms' },
      { name: 'swarms', description: 'The swarm of each planned intent (same id as the intent)' },
      { name: 'tasks', description: "Swarms' tasks and their agent sessions" },
      { name: 'agents', description: 'Agent sessions: state, control and Pi session trees' },
      { name: 'pi', description: 'The agent session routes under the seed name /api/v1/pi/sessions' },
      { name: 'worktrees', description: 'Worktrees made for agents and people' },
      { name: 'roles', description: 'Agent roles and their tools' },
      { name: 'usage', description: 'Token and cost reports' },
      { name: 'events', description: 'The live event log' },
      { name: 'auth', description: 'The caller and API keys' },
      { name: 'health', description: 'Probes' },
      { name: 'metrics', description: 'Prometheus' },
      { name: 'reference', description: 'This document' },
    ],
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      schemas: { Error: jsonSchema(ErrorBody, 'output') },
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'A Dash API key (dash_sk_…) or an HS256 JWT with sub, exp, tenant and scope claims.',
        },
      },
    },
  };
  return built;
}
