// Where OpenClaw and the Node it runs on are. OpenClaw requires Node >= 24.16 while Dash runs on
// Node 20, so runtimes/openclaw/install.sh installs a Node 24 published on the npm registry and
// OpenClaw next to it (outside Dash's own node_modules: OpenClaw's install refuses Node 20).
// DASH_OPENCLAW_NODE and DASH_OPENCLAW_ENTRY point at other installs.
import fs from 'node:fs';
import { fromRoot } from '../../core/paths.js';

export interface OpenClawInstall {
  node: string;
  entry: string;
}

export function openClawInstall(env: NodeJS.ProcessEnv = process.env): OpenClawInstall {
  const dir = fromRoot('runtimes', 'openclaw', 'install');
  const node = env.DASH_OPENCLAW_NODE ?? `${dir}/node/node_modules/.bin/node`;
  const entry = env.DASH_OPENCLAW_ENTRY ?? `${dir}/openclaw/node_modules/openclaw/openclaw.mjs`;
  for (const [what, file] of [
    ['Node >= 24.16 for OpenClaw', node],
    ['OpenClaw', entry],
  ] as const) {
    if (!fs.existsSync(file))
      throw new Error(
        `${what} is not installed (${file} missing): run runtimes/openclaw/install.sh, or set DASH_OPENCLAW_NODE and DASH_OPENCLAW_ENTRY.`,
      );
  }
  return { node, entry };
}
