/** Whether a module is the program node runs: small on purpose, main.js (the ES module entry) loads it before anything else. */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Whether the module at `moduleUrl` is the program node was started with. `script` (process.argv[1]) may be a
 * symlink (npm installs `bin` as one), relative, or lack the .js; node itself runs the resolved file, unless
 * --preserve-symlinks-main keeps the link's own path.
 */
export function isMainModule(moduleUrl: string, script: string | undefined = process.argv[1]): boolean {
  if (!script) return false;
  const given = path.resolve(script);
  for (const file of [given, `${given}.js`]) {
    if (pathToFileURL(file).href === moduleUrl) return true;
    try {
      if (pathToFileURL(realpathSync(file)).href === moduleUrl) return true;
    } catch {
      /* no such file: try the next spelling */
    }
  }
  return false;
}
