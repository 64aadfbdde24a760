import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// Tests never read the developer's own Dash home: a `dash` run there (say `npm run demo`) leaves
// ~/.dash/api-key, which the CLI would send to the test stacks. Each test run gets an empty home,
// and a DASH_API_KEY set in the shell is blanked; tests that need either set their own.
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dash-test-home-'));

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/setup/temporal-server.ts'],
    env: { DASH_HOME: home, DASH_API_KEY: '' },
    testTimeout: 180_000,
    hookTimeout: 240_000,
    pool: 'forks',
    // Two cores: agent processes are CPU-bound, so test files share the machine two at a time.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ['default'],
  },
});
