// The README's path on the embedded defaults: `dash do` with nothing running starts the stack in
// the background (Temporal dev server with Web UI, PGlite, rehearsal LLM, worker, API), finishes
// the intent, and `dash down` stops it all. `dash up` in the foreground stops on Ctrl-C.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { freePort, isPortFree } from '../../temporal-dev/dev-server.js';
import { isAlive, spawnNode, waitFor } from '../helpers/processes.js';
import { runDash } from '../helpers/api.js';
import { gitIn, makeDemoRepo, tempDir } from '../helpers/repo.js';

async function embeddedEnv() {
  const env: Record<string, string> = {
    DASH_HOME: tempDir('dash-e2e-home-'),
    DASH_PORT: String(await freePort()),
    DASH_TEMPORAL_PORT: String(await freePort()),
    DASH_TEMPORAL_UI_PORT: String(await freePort()),
    DASH_REHEARSAL_PORT: String(await freePort()),
    DASH_TEMPORAL_CLI: inject('temporalCli'),
  };
  return env;
}

/** The parent environment without anything that would point Dash elsewhere or at real models. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('DASH_') || k.endsWith('_API_KEY')) delete env[k];
  return { ...env, ...extra };
}

describe('embedded stack', () => {
  it('`dash do` starts the stack in the background, completes the intent, and `dash down` stops everything', async () => {
    const env = cleanEnv(await embeddedEnv());
    const repo = makeDemoRepo();
    const run = await runDash(
      ['do', 'Add a greet(name) function with a test and document it', '--repo', repo],
      env,
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Starting the embedded Dash stack in the background/);
    expect(run.stdout).toMatch(/REHEARSAL provider/);
    const id = /Intent (int-[a-z0-9]{10}) completed/.exec(run.stdout)?.[1];
    expect(id).toBeDefined();
    expect(gitIn(repo, 'show', `dash/${id}/result:src/greet.js`)).toContain('export function greet');

    // The stack outlives the command, so the Web UI link works afterwards.
    const state = JSON.parse(fs.readFileSync(path.join(env.DASH_HOME!, 'run', 'stack.json'), 'utf8'));
    const ui = await fetch(
      `http://127.0.0.1:${env.DASH_TEMPORAL_UI_PORT}/namespaces/default/workflows/${id}`,
    );
    expect(ui.status).toBe(200);

    // Temporal itself lists the intent and its sessions as Completed.
    const listed = execFileSync(
      inject('temporalCli'),
      [
        'workflow',
        'list',
        '--address',
        `127.0.0.1:${env.DASH_TEMPORAL_PORT}`,
        '--query',
        `DashIntentId="${id}"`,
        '--output',
        'json',
      ],
      { encoding: 'utf8' },
    );
    const rows = (JSON.parse(listed) as { type: { name: string }; status: string }[]).map(
      (w) => `${w.type.name}:${w.status}`,
    );
    expect(rows.sort()).toEqual([
      'AgentSessionWorkflow:WORKFLOW_EXECUTION_STATUS_COMPLETED',
      'AgentSessionWorkflow:WORKFLOW_EXECUTION_STATUS_COMPLETED',
      'IntentWorkflow:WORKFLOW_EXECUTION_STATUS_COMPLETED',
    ]);

    const temporalPid = Number(fs.readFileSync(path.join(env.DASH_HOME!, 'run', 'temporal.pid'), 'utf8'));
    const down = await runDash(['down'], env);
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/Stopped the embedded Dash stack/);
    await waitFor(
      () => !isAlive(state.pid) && !isAlive(temporalPid),
      20_000,
      'the stack and Temporal to exit',
    );
    expect(await isPortFree(Number(env.DASH_PORT))).toBe(true);
    expect(await isPortFree(Number(env.DASH_TEMPORAL_PORT))).toBe(true);
  });

  it('`dash up` runs in the foreground and Ctrl-C stops the worker, API and Temporal', async () => {
    const extra = await embeddedEnv();
    const up = spawnNode('bin/run.js', ['up'], cleanEnv(extra));
    await waitFor(
      () => /Ready\. API/.test(up.output()),
      120_000,
      `dash up to be ready (output: ${up.output()})`,
    );
    const health = await fetch(`http://127.0.0.1:${extra.DASH_PORT}/health/ready`);
    expect(health.status).toBe(200);
    const temporalPid = Number(fs.readFileSync(path.join(extra.DASH_HOME!, 'run', 'temporal.pid'), 'utf8'));
    expect(isAlive(temporalPid)).toBe(true);
    // A second stack on the same home is refused instead of fighting over ports.
    const second = await runDash(['up'], cleanEnv(extra));
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(/already running/);

    up.child.kill('SIGINT');
    expect(await up.exited).toBe(0);
    expect(up.output()).toMatch(/Stopped\./);
    expect(isAlive(temporalPid)).toBe(false);
    expect(await isPortFree(Number(extra.DASH_PORT))).toBe(true);
    expect(await isPortFree(Number(extra.DASH_TEMPORAL_PORT))).toBe(true);
    expect(fs.existsSync(path.join(extra.DASH_HOME!, 'run', 'stack.json'))).toBe(false);
  });

  it('with DASH_TEMPORAL_ADDRESS, `dash up` uses that cluster and starts no Temporal server', async () => {
    const extra = await embeddedEnv();
    const up = spawnNode(
      'bin/run.js',
      ['up'],
      cleanEnv({ ...extra, DASH_TEMPORAL_ADDRESS: inject('temporalAddress') }),
    );
    await waitFor(
      () => /Ready\. API/.test(up.output()),
      120_000,
      `dash up to be ready (output: ${up.output()})`,
    );
    expect(up.output()).not.toMatch(/Starting the Temporal dev server/);
    expect(fs.existsSync(path.join(extra.DASH_HOME!, 'run', 'temporal.pid'))).toBe(false);
    expect(await isPortFree(Number(extra.DASH_TEMPORAL_PORT))).toBe(true);
    const ready = (await (await fetch(`http://127.0.0.1:${extra.DASH_PORT}/health/ready`)).json()) as any;
    expect(ready.checks.temporal).toMatchObject({ status: 'ok', address: inject('temporalAddress') });
    up.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);
  });
});
