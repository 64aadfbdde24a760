// One real Temporal dev server (the pinned CLI, built with Go if missing) for the whole run.
// Test files isolate themselves with their own task queues.
import type { TestProject } from 'vitest/node';
import { findTemporalCli } from '../../temporal-dev/cli-binary.js';
import { freePort, startDevServer, type DevServer } from '../../temporal-dev/dev-server.js';

let server: DevServer | undefined;

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalCli: string;
  }
}

export default async function setup(project: TestProject) {
  const cliPath = await findTemporalCli({
    configured: process.env.DASH_TEMPORAL_CLI,
    onProgress: (l) => console.log(l),
  });
  server = await startDevServer({ cliPath, port: await freePort(), headless: true, startTimeoutMs: 120_000 });
  project.provide('temporalAddress', server.address);
  project.provide('temporalCli', cliPath);
  return async () => {
    await server?.stop();
  };
}
