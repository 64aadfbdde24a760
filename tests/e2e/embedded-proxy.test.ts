// The embedded stack routes its agents through its own LLM proxy by default: after `dash do` on
// the embedded defaults (Temporal dev server, PGlite, rehearsal LLM), every model call of the
// intent's agents is in the proxy_requests audit table, attributed to its session and intent, and
// every session key is revoked. DASH_AGENT_PROXY=off is the escape hatch.
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../drizzle/client.js';
import { proxyKeys, proxyRequests } from '../../drizzle/proxy-schema.js';
import { freePort } from '../../temporal-dev/dev-server.js';
import { runDash } from '../helpers/api.js';
import { isAlive, waitFor } from '../helpers/processes.js';
import { gitIn, makeDemoRepo, tempDir } from '../helpers/repo.js';

/** The parent environment without anything that would point Dash elsewhere or at real models. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env))
    if (k.startsWith('DASH_') || k.endsWith('_API_KEY') || k === 'GEMINI_API_KEY') delete env[k];
  return { ...env, ...extra };
}

describe('embedded stack: agents through the proxy by default', () => {
  it('`dash do` audits every model call of the intent in proxy_requests', async () => {
    const env = cleanEnv({
      DASH_HOME: tempDir('dash-e2e-proxy-home-'),
      DASH_PORT: String(await freePort()),
      DASH_TEMPORAL_PORT: String(await freePort()),
      DASH_TEMPORAL_UI_PORT: String(await freePort()),
      DASH_REHEARSAL_PORT: String(await freePort()),
      DASH_TEMPORAL_CLI: inject('temporalCli'),
    });
    const repo = makeDemoRepo();
    const run = await runDash(
      ['do', 'Add a greet(name) function with a test and document it', '--repo', repo],
      env,
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const id = /Intent (int-[a-z0-9]{10}) completed/.exec(run.stdout)?.[1];
    expect(id).toBeDefined();
    expect(gitIn(repo, 'show', `dash/${id}/result:src/greet.js`)).toContain('export function greet');
    const home = env.DASH_HOME!;
    const stackLog = fs.readFileSync(path.join(home, 'logs', 'stack.log'), 'utf8');
    expect(stackLog).toMatch(
      /Agents call models through the LLM proxy at http:\/\/127\.0\.0\.1:\d+\/proxy\/v1/,
    );

    // Stop the stack so its embedded PGlite can be opened here.
    const state = JSON.parse(fs.readFileSync(path.join(home, 'run', 'stack.json'), 'utf8')) as {
      pid: number;
    };
    expect((await runDash(['down'], env)).code).toBe(0);
    await waitFor(() => !isAlive(state.pid), 30_000, 'the stack to exit');

    const database = await openDatabase({ dataDir: path.join(home, 'data') });
    try {
      const rows = await database.db.select().from(proxyRequests).where(eq(proxyRequests.intentId, id!));
      // Two tasks, each a Pi session making several calls (tool calls, then its answer).
      const sessions = new Set(rows.map((r) => r.sessionId));
      expect(sessions.size).toBe(2);
      expect(rows.length).toBeGreaterThanOrEqual(4);
      for (const r of rows) {
        expect(r).toMatchObject({ provider: 'rehearsal', status: 200, intentId: id });
        expect(r.sessionId!.startsWith(`${id}-`)).toBe(true);
        expect(r.inputTokens).toBeGreaterThan(0);
        expect(r.costUsd).toBeGreaterThan(0);
      }
      // Each session had a key of its own, revoked when its run ended.
      const keys = await database.db.select().from(proxyKeys).where(eq(proxyKeys.intentId, id!));
      expect(new Set(keys.map((k) => k.sessionId))).toEqual(sessions);
      for (const k of keys) expect(k.revokedAt).not.toBeNull();
    } finally {
      await database.close();
    }
  });
});
