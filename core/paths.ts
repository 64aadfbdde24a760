// Resolves files shipped with Dash (migrations, scenarios, workflows) the same way whether code
// runs from TypeScript sources (tests) or from the compiled dist/ tree (the `dash` binary).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'dash') {
      cachedRoot = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('Could not find the Dash package root (package.json named "dash").');
    dir = parent;
  }
}

export function fromRoot(...segments: string[]): string {
  return path.join(packageRoot(), ...segments);
}

/** True when this module runs from compiled JavaScript under dist/. */
export function runningFromDist(): boolean {
  return fileURLToPath(import.meta.url).includes(`${path.sep}dist${path.sep}`);
}
