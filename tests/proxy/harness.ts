// A real proxy for tests: the Hono app on a real HTTP server, a fresh Postgres database, and
// rehearsal servers standing in for the "anthropic" and "openai" providers (base-URL overrides).
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { Client } from '@temporalio/client';
import { asc, eq } from 'drizzle-orm';
import OpenAI from 'openai';
import { createApi, type DashApp } from '../../api/app.js';
import { createDashServer } from '../../api/node-listener.js';
import { loadConfig, type DashConfig } from '../../core/config.js';
import { proxyRequests } from '../../drizzle/proxy-schema.js';
import { mintVirtualKey, type MintKeyInput } from '../../proxy/auth.js';
import { createProxyRuntime, type ProxyRuntime } from '../../proxy/runtime.js';
import type { Scenario } from '../../rehearsal/scenario.js';
import { startRehearsalServer, type RehearsalServer } from '../../rehearsal/server.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { tempDir } from '../helpers/repo.js';

export const UPSTREAM_KEYS = {
  anthropic: 'sk-ant-upstream-SECRET-aaaaaaaaaaaaaaaa',
  openai: 'sk-upstream-SECRET-bbbbbbbbbbbbbbbbbb',
};

export interface ProxyServer {
  url: string;
  config: DashConfig;
  runtime: ProxyRuntime;
  /** The Hono app behind the server (for `app.request`: the fetch path, without the Node listener). */
  app: DashApp;
  close(): Promise<void>;
}

/** One API process: its own app, runtime and HTTP server, sharing the database it is given. */
export async function startProxyServer(db: TestDatabase, env: Record<string, string>): Promise<ProxyServer> {
  const config = loadConfig({ DASH_HOME: tempDir('dash-proxy-home-'), ...env });
  const runtime = createProxyRuntime(config, db.database);
  const { app, listener } = createApi(
    { database: db.database, temporal: new Client(), config, llmKind: 'rehearsal' },
    runtime,
  );
  // The API's own server, so the chat routes take the path production takes (no Hono).
  const server = createDashServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    runtime,
    app,
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await runtime.close();
    },
  };
}

export interface Harness {
  /** Plays the "anthropic" provider (Anthropic wire format). */
  upstreamA: RehearsalServer;
  /** Plays the "openai" provider (OpenAI wire format). */
  upstreamB: RehearsalServer;
  db: TestDatabase;
  proxy: ProxyServer;
  mint(input?: Partial<MintKeyInput>): Promise<string>;
  openai(key: string): OpenAI;
  anthropic(key: string): Anthropic;
  audit(requestId?: string): Promise<(typeof proxyRequests.$inferSelect)[]>;
  close(): Promise<void>;
}

export async function startHarness(
  opts: { env?: Record<string, string>; scenarios?: Scenario[] } = {},
): Promise<Harness> {
  const upstreamA = await startRehearsalServer({ port: 0, scenarios: opts.scenarios });
  const upstreamB = await startRehearsalServer({ port: 0, scenarios: opts.scenarios });
  const db = await createTestDatabase('postgres');
  const proxy = await startProxyServer(db, harnessEnv(upstreamA, upstreamB, opts.env));
  return {
    upstreamA,
    upstreamB,
    db,
    proxy,
    mint: async (input = {}) =>
      (await mintVirtualKey(db.database.db, { userId: 'alice', tenantId: 'acme', ...input })).key,
    openai: (key) => new OpenAI({ baseURL: `${proxy.url}/proxy/v1`, apiKey: key, maxRetries: 0 }),
    anthropic: (key) => new Anthropic({ baseURL: `${proxy.url}/proxy`, apiKey: key, maxRetries: 0 }),
    audit: async (requestId) => {
      await proxy.runtime.audit.flush();
      const q = db.database.db.select().from(proxyRequests);
      return (requestId ? q.where(eq(proxyRequests.requestId, requestId)) : q).orderBy(asc(proxyRequests.id));
    },
    close: async () => {
      await proxy.close();
      await upstreamA.close();
      await upstreamB.close();
      await db.drop();
    },
  };
}

export function harnessEnv(a: RehearsalServer, b: RehearsalServer, env: Record<string, string> = {}) {
  return {
    DASH_ANTHROPIC_BASE_URL: a.url,
    DASH_ANTHROPIC_API_KEY: UPSTREAM_KEYS.anthropic,
    DASH_OPENAI_BASE_URL: `${b.url}/v1`,
    DASH_OPENAI_API_KEY: UPSTREAM_KEYS.openai,
    DASH_PROXY_AUDIT_FLUSH_MS: '20',
    ...env,
  };
}
