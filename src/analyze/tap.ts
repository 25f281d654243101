/**
 * Which TAP test file made an attempt (pure, no I/O). Perl suites run under a TAP harness (TAP::Harness, `make
 * test`, `./Build test`, prove): each test file is a process of its own, `perl [switches] t/x.t`, so the file is
 * read from the attempt's process or its nearest ancestor that is one (a test file that starts `curl` or another
 * perl). The tree comes from the tracer's events: every event carries its process's parent and argv, a fork
 * gives the child its parent's argv until it execs. Never a guess: only a perl whose script ends in `.t` names a
 * test, and an attempt that already has a test (from the pytest plugin's spans) keeps it.
 */
import type { TracerEvent } from '../model/tracer-events.js';
import type { Attempt } from '../model/types.js';

/** Ancestors looked at, at most (a process tree deeper than this is not a test's). */
const MAX_DEPTH = 32;

/** perl, perl5, perl5.40.0: the interpreter a harness runs a test file with. */
const PERL = /^perl(?:\d[\d.]*)?$/;

/** Switches of perl that take their value as the next argument (perlrun: `-I dir`; the rest are attached). */
const SEPARATE_VALUE = new Set(['-I']);

/**
 * The TAP test file an argv runs, as the distribution names it (`t/net.t`, `xt/author/pod.t`): perl's first
 * argument that is not a switch, when it ends in `.t`. An absolute path is cut to its `t/` (or `xt/`) part.
 * Undefined for anything else (`perl -e ...`, `perl Makefile.PL`, the harness itself).
 */
export function tapTestFile(argv: readonly string[] | undefined): string | undefined {
  if (!argv?.length) return undefined;
  const prog = (argv[0] as string).split('/').pop() as string;
  if (!PERL.test(prog)) return undefined;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      i++;
      return testFile(argv[i]);
    }
    if (arg === '-e' || arg === '-E' || arg.startsWith('-e') || arg.startsWith('-E')) return undefined;
    if (SEPARATE_VALUE.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') continue;
    return testFile(arg);
  }
  return undefined;
}

function testFile(script: string | undefined): string | undefined {
  if (script === undefined || !/\.t$/.test(script) || script.includes('\n')) return undefined;
  let file = script.replace(/^(?:\.\/)+/, '');
  if (file.startsWith('/')) {
    // The distribution's own name for it: from the last `t/` or `xt/` directory on.
    const m = /.*\/((?:x?t)\/[^]*)$/.exec(file);
    if (!m) return undefined;
    file = m[1] as string;
  }
  return file;
}

/** One thing known of a process at a moment: its parent and argv. */
interface Sighting {
  readonly tsMs: number;
  readonly ppid: number;
  readonly argv?: readonly string[];
}

/** What the tracer's events say of each process, in time order. */
export class ProcessTree {
  private readonly byPid = new Map<number, Sighting[]>();

  constructor(events: readonly TracerEvent[]) {
    const add = (pid: number, s: Sighting) => {
      const list = this.byPid.get(pid);
      if (list) list.push(s);
      else this.byPid.set(pid, [s]);
    };
    for (const e of events) {
      add(e.pid, { tsMs: e.tsMs, ppid: e.ppid, ...(e.argv ? { argv: e.argv } : {}) });
      // The child runs its parent's program until it execs.
      if (e.kind === 'fork') add(e.child, { tsMs: e.tsMs, ppid: e.pid, ...(e.argv ? { argv: e.argv } : {}) });
    }
    for (const list of this.byPid.values()) list.sort((a, b) => a.tsMs - b.tsMs);
  }

  /** The process as it was at `tsMs` (epoch ms): the last sighting then, else the first one after. */
  at(pid: number, tsMs: number): Sighting | undefined {
    const list = this.byPid.get(pid);
    if (!list) return undefined;
    let found: Sighting | undefined;
    for (const s of list) {
      if (s.tsMs > tsMs) break;
      found = s;
    }
    return found ?? list[0];
  }
}

/**
 * The TAP test file of a process at a moment: its own argv's, else its nearest ancestor's (`tree`: the
 * tracer's view; `argv`/`ppid`: what the attempt itself carries, which wins for the process itself).
 */
export function tapTestOf(
  process: { readonly pid: number; readonly ppid?: number; readonly argv?: readonly string[] },
  tsMs: number,
  tree: ProcessTree,
): string | undefined {
  const own = tapTestFile(process.argv ?? tree.at(process.pid, tsMs)?.argv);
  if (own !== undefined) return own;
  const seen = new Set<number>([process.pid]);
  let pid = process.ppid ?? tree.at(process.pid, tsMs)?.ppid;
  for (let depth = 0; pid !== undefined && pid > 1 && !seen.has(pid) && depth < MAX_DEPTH; depth++) {
    seen.add(pid);
    const s = tree.at(pid, tsMs);
    if (!s) return undefined;
    const file = tapTestFile(s.argv);
    if (file !== undefined) return file;
    pid = s.ppid;
  }
  return undefined;
}

/**
 * Each attempt without a test whose process (or an ancestor) is a TAP test file gets that file as its `test`.
 * `buildStartMs`: epoch ms of the build's start (attempts count from it, events are epoch ms).
 */
export function attributeTapTests<A extends Attempt>(attempts: readonly A[], events: readonly TracerEvent[], buildStartMs: number): A[] {
  if (!attempts.some((a) => a.test === undefined && a.process)) return [...attempts];
  const tree = new ProcessTree(events);
  return attempts.map((a) => {
    if (a.test !== undefined || !a.process) return a;
    const test = tapTestOf(a.process, buildStartMs + a.firstAtMs, tree);
    return test === undefined ? a : { ...a, test };
  });
}
