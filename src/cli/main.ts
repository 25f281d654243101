#!/usr/bin/env node
/**
 * netaudit's entry (`node dist/src/cli/main.js`, npm's `netaudit` symlink to it). The command line itself is
 * app.ts; importing this module runs nothing unless it is the program.
 *
 * Start-up is part of every audit's cost, and node's ES module loader pays per file (resolve, read, link: about
 * 1.5 ms a module here, ~90 modules for `run`). So the program loads app.bundle.js, the whole of app.ts and
 * what it imports in one file (scripts/build-bundle.mjs, part of `npm run build`), when there is one and it is
 * not older than the app.js tsc wrote (a tsc run after the bundle makes the bundle stale: the modules are
 * loaded instead). NETAUDIT_BUNDLE=0 loads the modules whatever there is.
 */
import { statSync } from 'node:fs';
import { isMainModule } from './program.js';

/** The bundle, when it can be used: it exists and is at least as new as tsc's app.js. */
function bundle(): URL | undefined {
  if (process.env.NETAUDIT_BUNDLE === '0') return undefined;
  const file = new URL('./app.bundle.js', import.meta.url);
  try {
    return statSync(file).mtimeMs >= statSync(new URL('./app.js', import.meta.url)).mtimeMs ? file : undefined;
  } catch {
    return undefined;
  }
}

if (isMainModule(import.meta.url)) {
  const file = bundle();
  const app = (file ? await import(file.href) : await import('./app.js')) as typeof import('./app.js');
  await app.runProgram(process.argv.slice(2), file ? 'bundle' : 'modules');
}
