// The Temporal CLI lookup and the dev server lifecycle, with the real pinned binary.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { cliVersion, findTemporalCli, TEMPORAL_CLI_VERSION } from '../../temporal-dev/cli-binary.js';
import { freePort, isPortFree, startDevServer, temporalHealthy } from '../../temporal-dev/dev-server.js';
import { isAlive } from '../helpers/processes.js';
import { tempDir } from '../helpers/repo.js';

describe('Temporal CLI', () => {
  it('is the pinned version built from Go modules', async () => {
    expect(await cliVersion(inject('temporalCli'))).toBe(TEMPORAL_CLI_VERSION);
  });

  it('honours DASH_TEMPORAL_CLI and rejects one that does not work', async () => {
    expect(await findTemporalCli({ configured: inject('temporalCli') })).toBe(inject('temporalCli'));
    await expect(findTemporalCli({ configured: '/nonexistent/temporal' })).rejects.toThrow(
      /not a working Temporal CLI/,
    );
  });
});

describe('dev server', () => {
  it('starts on loopback with a state file and Web UI, answers, and stops leaving nothing behind', async () => {
    const port = await freePort();
    const uiPort = await freePort();
    const state = tempDir();
    const server = await startDevServer({
      cliPath: inject('temporalCli'),
      port,
      uiPort,
      dbFile: path.join(state, 'temporal.db'),
      logFile: path.join(state, 'temporal.log'),
    });
    expect(server.address).toBe(`127.0.0.1:${port}`);
    expect(await temporalHealthy(server.address)).toBe(true);
    const ui = await fetch(`${server.uiUrl}/`);
    expect(ui.status).toBe(200);
    expect(fs.existsSync(path.join(state, 'temporal.db'))).toBe(true);
    await server.stop();
    expect(isAlive(server.pid)).toBe(false);
    expect(await isPortFree(port)).toBe(true);
  });

  it('refuses a port that is already taken, with a message saying what to do', async () => {
    const taken = inject('temporalAddress').split(':')[1]!;
    await expect(
      startDevServer({ cliPath: inject('temporalCli'), port: Number(taken), headless: true }),
    ).rejects.toThrow(/already in use; set DASH_TEMPORAL_PORT/);
  });
});
