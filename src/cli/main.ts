#!/usr/bin/env node
/**
 * netaudit's entry (`node dist/src/cli/main.js`, npm's `netaudit` symlink to it). The command line itself is
 * app.ts; importing this module runs nothing unless it is the program.
 *
 * Start-up is part of every audit's cost: the program loads the command line from one bundled file, compiled
 * from a code cache when there is one (bundle.ts says how and why), and module by module when there is no
 * usable bundle or NETAUDIT_BUNDLE=0.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBundle } from './bundle.js';
import { isMainModule } from './program.js';

if (isMainModule(import.meta.url)) {
  const args = process.argv.slice(2);
  const bundled = loadBundle(path.dirname(fileURLToPath(import.meta.url)), args);
  const app = bundled?.app ?? ((await import('./app.js')) as typeof import('./app.js'));
  await app.runProgram(args, bundled ? `bundle, ${bundled.cache}` : 'modules');
}
