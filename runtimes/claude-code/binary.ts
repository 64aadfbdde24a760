// Where the Claude Code executable is. The npm package ships it as a native binary in a platform
// package (an optionalDependency resolved by npm at install time), so nothing is downloaded when
// an agent starts. DASH_CLAUDE_CODE_BIN points at another install (a global one, a pinned build).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

function platformPackages(): string[] {
  const base = `@anthropic-ai/claude-code-${process.platform}-${process.arch}`;
  return process.platform === 'linux' ? [base, `${base}-musl`] : [base];
}

export function claudeCodeBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DASH_CLAUDE_CODE_BIN) return env.DASH_CLAUDE_CODE_BIN;
  const name = process.platform === 'win32' ? 'claude.exe' : 'claude';
  for (const pkg of platformPackages()) {
    try {
      const binary = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), name);
      if (fs.existsSync(binary)) return binary;
    } catch {
      // this platform variant is not installed
    }
  }
  throw new Error(
    `Claude Code is not installed for ${process.platform}-${process.arch}: install @anthropic-ai/claude-code (a dev dependency of Dash; \`npm ci\` includes it) or set DASH_CLAUDE_CODE_BIN.`,
  );
}
