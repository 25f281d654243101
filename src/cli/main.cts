#!/usr/bin/env node
/**
 * netaudit's entry (`node dist/src/cli/main.cjs`, npm's `netaudit` symlink to it; main.js, the ES module entry of
 * earlier releases, runs the same). The command line itself is app.ts; requiring this module runs nothing
 * unless it is the program.
 *
 * Start-up is part of every audit's cost: the program loads the command line from one bundled file, compiled
 * from a code cache when there is one (bundle.cts says how and why), and module by module when there is no
 * usable bundle or NETAUDIT_BUNDLE=0. The entry is CommonJS because node's ES module loader costs an entry
 * ~7 ms before its first line runs (measured: an ES module entry importing two files and seven built-ins
 * 63.5 ms, the same requires from a CommonJS file 56.4 ms, `node -e 0` 55.8 ms; medians of 30).
 */
import { loadBundle } from './bundle.cjs';

/** Run the command line of process.argv. */
export async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const bundled = loadBundle(__dirname, args);
  const app = bundled?.app ?? (await import('./app.js'));
  await app.runProgram(args, bundled ? `bundle, ${bundled.cache}` : 'modules');
}

if (require.main === module) void main();
