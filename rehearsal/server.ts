// The rehearsal LLM: a scripted, offline model server speaking the OpenAI chat-completions and
// responses, the Anthropic messages and the Gemini generateContent wire formats, so Dash and its
// agents run for real with no provider keys.
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { anthropicError, answerAnthropic, normalizeAnthropic, type AnthropicRequest } from './anthropic.js';
import { withoutClientContext } from './client-context.js';
import { FaultBook, FaultSpecSchema, type FaultSpec } from './faults.js';
import {
  answerGemini,
  geminiError,
  geminiRequestError,
  geminiRoute,
  normalizeGemini,
  type GeminiRequest,
} from './google.js';
import { answerOpenAi, normalizeOpenAi, openAiError, type OpenAiRequest } from './openai.js';
import { outputOf, sleep } from './output.js';
import { answerResponses, normalizeResponses, type ResponsesRequest } from './responses.js';
import { loadScenarioDir, parseScenarios, type Scenario } from './scenario.js';
import { fill, select, tokensOf } from './select.js';

export type { FaultSpec } from './faults.js';

export interface RehearsalRequestLog {
  at: number;
  api: 'openai' | 'anthropic' | 'google';
  path: string;
  model: string;
  rule: string | null;
  step: number;
  status: number;
  stream: boolean;
  lastUser: string;
  authorization?: string;
  /** The usage the answer reported, once it has been sent. */
  inputTokens?: number;
  outputTokens?: number;
  /** When the whole answer had been handed to the OS (a reader that stops reading delays it). */
  flushedAt?: number;
}

export interface RehearsalServer {
  url: string;
  port: number;
  requests: RehearsalRequestLog[];
  injectFault(f: FaultSpec): void;
  clearFaults(): void;
  close(): Promise<void>;
}

export interface RehearsalOptions {
  port?: number;
  host?: string;
  scenariosDir?: string;
  scenarios?: Scenario[];
  log?: (line: string) => void;
}

const MAX_LOG = 2000;
const MAX_BODY = 20 * 1024 * 1024;

/** The shipped scenarios, found from TypeScript sources and from dist/ alike. */
export function defaultScenariosDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'scenarios'), path.join(here, '..', '..', 'rehearsal', 'scenarios')];
  const found = candidates.find((d) => fs.existsSync(d));
  if (!found) throw new Error(`Rehearsal scenarios not found (looked in ${candidates.join(', ')})`);
  return found;
}

export async function startRehearsalServer(opts: RehearsalOptions = {}): Promise<RehearsalServer> {
  const scenarios = [
    ...parseScenarios(opts.scenarios ?? []),
    ...loadScenarioDir(opts.scenariosDir ?? defaultScenariosDir()),
  ];
  const faults = new FaultBook();
  const requests: RehearsalRequestLog[] = [];
  let seq = 0;

  const record = (entry: RehearsalRequestLog) => {
    requests.push(entry);
    if (requests.length > MAX_LOG) requests.splice(0, requests.length - MAX_LOG);
    opts.log?.(`${entry.api} ${entry.model} rule=${entry.rule ?? '-'} step=${entry.step} -> ${entry.status}`);
  };

  const handleModelCall = async (
    req: IncomingMessage,
    res: ServerResponse,
    format: 'openai' | 'anthropic' | 'responses' | 'google',
    raw: string,
    /** Gemini names the model and the streaming mode in the path, not in the body. */
    gemini?: { model: string; stream: boolean },
  ) => {
    // The Responses API is OpenAI's: same errors, same fault matching.
    const api = format === 'anthropic' ? 'anthropic' : format === 'google' ? 'google' : 'openai';
    const fail = api === 'openai' ? openAiError : api === 'google' ? geminiError : anthropicError;
    let body: OpenAiRequest & AnthropicRequest & ResponsesRequest & GeminiRequest;
    try {
      body = JSON.parse(raw) as OpenAiRequest & AnthropicRequest & ResponsesRequest & GeminiRequest;
      if (!body || typeof body !== 'object' || Array.isArray(body))
        throw new Error('body must be a JSON object');
    } catch (err) {
      return fail(res, 400, `Malformed JSON body: ${(err as Error).message}`);
    }
    const invalid = format === 'google' ? geminiRequestError(body) : undefined;
    if (invalid) return fail(res, 400, invalid);
    const norm =
      format === 'responses'
        ? normalizeResponses(body)
        : format === 'openai'
          ? normalizeOpenAi(withoutClientContext(body))
          : format === 'google'
            ? normalizeGemini(body)
            : normalizeAnthropic(body);
    const model = gemini?.model ?? (typeof body.model === 'string' ? body.model : 'rehearsal-1');
    const stream = gemini ? gemini.stream : body.stream === true;
    const key = req.headers.authorization ?? req.headers['x-api-key'] ?? req.headers['x-goog-api-key'];
    const sel = select(scenarios, norm);
    const entry: RehearsalRequestLog = {
      at: Date.now(),
      api,
      path: req.url ?? '',
      model,
      rule: sel.rule?.name ?? null,
      step: sel.stepIndex,
      status: 200,
      stream,
      lastUser: norm.lastUser,
      ...(key !== undefined && { authorization: String(key) }),
    };
    const injected = faults.take({ api, model, lastUser: norm.lastUser });
    if (injected) {
      if (injected.latencyMs) await sleep(injected.latencyMs);
      if (injected.status < 400 || injected.status === 200) return;
      record({ ...entry, status: injected.status });
      return fail(
        res,
        injected.status,
        injected.message ?? `rehearsal injected ${injected.status}`,
        injected.retryAfterSeconds,
      );
    }
    if ('fault' in sel.step) {
      record({ ...entry, status: sel.step.fault.status });
      return fail(
        res,
        sel.step.fault.status,
        sel.step.fault.message ?? `rehearsal scripted ${sel.step.fault.status}`,
        sel.step.fault.retryAfterSeconds,
      );
    }
    if (sel.step.latencyMs) await sleep(sel.step.latencyMs);
    const out = outputOf(sel.step, (s) => fill(s, sel.user));
    record(entry);
    res.once('finish', () => (entry.flushedAt = Date.now()));
    seq++;
    const answer =
      format === 'responses' ? answerResponses : format === 'openai' ? answerOpenAi : answerAnthropic;
    const usage = (gemini
      ? await answerGemini(res, gemini.stream, model, sel, out, norm.promptChars, seq)
      : await answer(res, body, sel, out, norm.promptChars, seq)) ??
      // Chat completions counts the same way: the prompt's characters and the answer's text and
      // tool-call arguments, four characters a token.
      {
        input: tokensOf(norm.promptChars),
        output: tokensOf(
          out.text.length +
            out.tools.reduce((n, t) => n + JSON.stringify(fill(t.arguments, sel.user)).length, 0),
        ),
      };
    Object.assign(entry, { inputTokens: usage.input, outputTokens: usage.output });
  };

  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0]!;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const route = async () => {
        if (req.method === 'POST' && (url === '/v1/chat/completions' || url === '/chat/completions'))
          return handleModelCall(req, res, 'openai', raw);
        if (req.method === 'POST' && (url === '/v1/responses' || url === '/responses'))
          return handleModelCall(req, res, 'responses', raw);
        if (req.method === 'POST' && url === '/v1/messages')
          return handleModelCall(req, res, 'anthropic', raw);
        const gemini = req.method === 'POST' ? geminiRoute(url) : undefined;
        if (gemini) return handleModelCall(req, res, 'google', raw, gemini);
        if (req.method === 'GET' && url === '/health') return json(200, { ok: true });
        if (req.method === 'GET' && (url === '/v1/models' || url === '/models')) {
          const ids = new Set(['rehearsal-1', 'rehearsal-fast', ...requests.map((r) => r.model)]);
          return json(200, {
            object: 'list',
            data: [...ids].map((id) => ({ id, object: 'model', created: 0, owned_by: 'rehearsal' })),
          });
        }
        if (url === '/__rehearsal/faults' && req.method === 'POST') {
          let parsed;
          try {
            parsed = FaultSpecSchema.safeParse(JSON.parse(raw));
          } catch {
            return json(400, { error: { message: 'Malformed JSON body' } });
          }
          if (!parsed.success)
            return json(400, { error: { message: parsed.error.issues[0]?.message ?? 'invalid fault' } });
          faults.add(parsed.data);
          return json(201, { ok: true });
        }
        if (url === '/__rehearsal/faults' && req.method === 'DELETE') {
          faults.clear();
          return json(200, { ok: true });
        }
        if (url === '/__rehearsal/requests' && req.method === 'GET') return json(200, requests);
        return json(404, { error: { message: `no route ${req.method} ${url}`, type: 'not_found' } });
      };
      route().catch((err: unknown) => {
        if (!res.headersSent) json(500, { error: { message: String(err) } });
        else res.end();
      });
    });
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    requests,
    injectFault: (f) => faults.add(f),
    clearFaults: () => faults.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
