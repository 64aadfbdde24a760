// Where the Codex executable is. The npm package ships a native binary per platform as an
// optionalDependency (resolved by npm at install time), so nothing is downloaded when an agent
// starts. The package's own bin/codex.js only picks that binary; Dash runs it directly, which
// saves a Node process per session. DASH_CODEX_BIN points at another install.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

const TARGETS: Record<string, string> = {
  'linux-x64': 'x86_64-unknown-linux-musl',
  'linux-arm64': 'aarch64-unknown-linux-musl',
  'darwin-x64': 'x86_64-apple-darwin',
  'darwin-arm64': 'aarch64-apple-darwin',
  'win32-x64': 'x86_64-pc-windows-msvc',
  'win32-arm64': 'aarch64-pc-windows-msvc',
};

export function codexBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DASH_CODEX_BIN) return env.DASH_CODEX_BIN;
  const platform = `${process.platform}-${process.arch}`;
  const target = TARGETS[platform];
  if (target) {
    try {
      const vendor = path.join(
        path.dirname(require.resolve(`@openai/codex-${platform}/package.json`)),
        'vendor',
      );
      const binary = path.join(vendor, target, 'bin', process.platform === 'win32' ? 'codex.exe' : 'codex');
      if (fs.existsSync(binary)) return binary;
    } catch {
      // this platform's package is not installed
    }
  }
  throw new Error(
    `Codex is not installed for ${platform}: install @openai/codex (a dev dependency of Dash; \`npm ci\` includes it) or set DASH_CODEX_BIN.`,
  );
}
