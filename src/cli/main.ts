#!/usr/bin/env node
/**
 * The ES module entry (`node dist/src/cli/main.js`), kept for whatever starts netaudit by this path: it runs
 * main.cts's main(), which npm's `netaudit` runs directly (a CommonJS entry starts ~7 ms sooner, main.cts).
 */
import { main } from './main.cjs';
import { isMainModule } from './program.js';

if (isMainModule(import.meta.url)) await main();
