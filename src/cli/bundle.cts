/**
 * The command line from one file, compiled once: how main.cts loads netaudit fast. CommonJS itself, so that the
 * entry loads it without node's ES module loader (see main.cts).
 *
 * Start-up is part of every audit's cost. Node's ES module loader pays per file (~1.5 ms a module, ~90 for
 * `run`), so scripts/build-bundle.mjs writes app.ts and everything it imports into one CommonJS file,
 * app.bundle.cjs. Compiling that file's 790 KB is the next cost (V8 parses it, then compiles each function
 * the first time it runs: 60-100 ms of a `netaudit run`), and V8 can skip it: a code cache made by
 * `vm.Script#createCachedData()` after a command ran holds the bytecode of every function that command
 * compiled, and a later start with it compiles almost nothing (node 22's module compile cache does the same;
 * node 20, which netaudit supports, has no such cache for modules, hence a vm.Script here).
 *
 * The code cache is the user's, like any program's cache: `$XDG_CACHE_HOME/netaudit/code` (default
 * `~/.cache/netaudit/code`), or `NETAUDIT_CODE_CACHE=DIR`; `NETAUDIT_CODE_CACHE=0` turns it off. Nothing is ever
 * written beside the installed program. A cache holds code that runs (as root, mostly), so one is used only
 * when it and its directory belong to the user running netaudit and nobody else can write them (under
 * `sudo` with the invoking user's HOME there is no cache, not someone else's). Its name holds a hash of the
 * bundle file's identity (device, inode, size, modification and change times, to the nanosecond: any rewrite,
 * reinstall or copy of the file changes it, as a build tool's change check does; the change time cannot be set
 * back), node's version and the architecture: a rebuilt or upgraded netaudit, or another node, makes a new
 * cache (V8 itself checks only the text's length), and older ones are removed when it is written. Hashing the
 * text itself (860 KB) would cost every start node's crypto module and a few milliseconds. It is
 * written at exit, atomically, when there was none or V8 refused it, and when a command that never went into
 * it ran (its functions are then added: V8 serialises what it loaded from the cache as well).
 *
 * The bundle is used when it is not older than tsc's app.js (a tsc run after it would make it stale);
 * `NETAUDIT_BUNDLE=0` loads the modules (main.cts).
 */
import { isAscii } from 'node:buffer';
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

type App = typeof import('./app.js', { with: { 'resolution-mode': 'import' } });

export interface LoadedApp {
  readonly app: App;
  /** What the timeline says of the code cache: `code cache used`, `none`, `refused by V8`, `off`. */
  readonly cache: string;
}

/** The bundle's file name beside main.js / app.js. */
export const BUNDLE_FILE = 'app.bundle.cjs';

/** Names of code cache files: `app-KEY.cache`, and `app-KEY.commands` (the commands whose code is in it). */
const CACHE_NAME = /^app-[0-9a-f]{24}\.(cache|commands)$/;

/** The command line from the bundle in `cliDir`, or undefined when it is turned off, missing or stale. */
export function loadBundle(cliDir: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): LoadedApp | undefined {
  if (env.NETAUDIT_BUNDLE === '0') return undefined;
  const file = path.join(cliDir, BUNDLE_FILE);
  let bytes: Buffer;
  let identity: string;
  try {
    const st = statSync(file, { bigint: true });
    if (st.mtimeNs < statSync(path.join(cliDir, 'app.js'), { bigint: true }).mtimeNs) return undefined;
    bytes = readFileSync(file);
    identity = [st.dev, st.ino, st.size, st.mtimeNs, st.ctimeNs, bytes.length].join(':');
  } catch {
    return undefined;
  }
  // The bundle is ASCII (build-bundle.mjs): read as Latin-1, the text is a copy of the bytes.
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  const cache = codeCache(identity, env);
  const cachedData = cache?.read();
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, __netauditBundleUrl, __netauditImport) {${source}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  // The bundle holds no import() of its own (a vm.Script's needs a flag in node 20): what it loads from outside
  // it requires (node's built-ins, ajv), or imports through this module (a file known at run time).
  const wrapper = script.runInThisContext() as (...a: unknown[]) => void;
  const module = { exports: {} as Record<string, unknown> };
  const importer = (specifier: string): Promise<unknown> => import(specifier);
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, cliDir, pathToFileURL(file).href, importer);
  const refused = cachedData !== undefined && script.cachedDataRejected === true;
  if (cache) {
    // `--version` or `--help` alone: no command word, recorded under a name of its own (an empty line would be dropped).
    const command = args.find((a) => !a.startsWith('-')) ?? '(none)';
    if (!cachedData || refused || !cache.commands().includes(command)) {
      process.once('exit', () => cache.write(script, command));
    }
  }
  return { app: module.exports as unknown as App, cache: !cache ? 'off' : !cachedData ? 'none' : refused ? 'refused by V8' : 'code cache used' };
}

interface CodeCache {
  read(): Buffer | undefined;
  commands(): string[];
  write(script: vm.Script, command: string): void;
}

/** The directory of the code cache, or undefined when there is none (turned off, no home). */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = env.NETAUDIT_CODE_CACHE;
  if (given === '0' || given === 'off') return undefined;
  if (given) return path.isAbsolute(given) ? given : undefined;
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'netaudit', 'code');
  const home = env.HOME || os.homedir();
  return home && path.isAbsolute(home) ? path.join(home, '.cache', 'netaudit', 'code') : undefined;
}

/** Whether `p` belongs to this user and nobody else can write it (a file or, with `dir`, a directory). */
export function trusted(p: string, dir = false): boolean {
  try {
    const st = lstatSync(p);
    if (dir ? !st.isDirectory() : !st.isFile()) return false;
    return st.uid === process.geteuid?.() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** 96 bits of FNV-1a (three 32-bit lanes, different offsets) of `text`, as 24 hex digits: a name, not a secret. */
export function nameHash(text: string): string {
  let out = '';
  for (const basis of [0x811c9dc5, 0x050c5d1f, 0x6b4e7ab3]) {
    let h = basis;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out;
}

function codeCache(identity: string, env: NodeJS.ProcessEnv): CodeCache | undefined {
  const dir = codeCacheDir(env);
  if (!dir) return undefined;
  const key = nameHash(`${identity}\0${process.version}\0${process.arch}`);
  const file = path.join(dir, `app-${key}.cache`);
  const list = path.join(dir, `app-${key}.commands`);
  return {
    read: () => {
      if (!trusted(dir, true) || !trusted(file)) return undefined;
      try {
        return readFileSync(file);
      } catch {
        return undefined;
      }
    },
    commands: () => (trusted(dir, true) && trusted(list) ? readCommands(list) : []),
    write: (script, command) => {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        if (!trusted(dir, true)) return;
        const previous = trusted(file) ? readCommands(list) : [];
        atomicWrite(file, script.createCachedData());
        atomicWrite(list, [...new Set([...previous, command])].join('\n') + '\n');
        // The caches of other builds of netaudit (or another node) are dead: remove them.
        for (const name of readdirSync(dir)) {
          if (CACHE_NAME.test(name) && !name.startsWith(`app-${key}.`)) rmSync(path.join(dir, name), { force: true });
        }
      } catch {
        /* a cache that cannot be written (read-only home, full disk) only costs the next start its compile */
      }
    },
  };
}

function readCommands(list: string): string[] {
  try {
    return readFileSync(list, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

function atomicWrite(file: string, data: Buffer | string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}
