/**
 * Which test ecosystem an attempt comes from, from the evidence alone (pure): the test id's shape and the
 * process that made it. Hints and patches speak that ecosystem's idiom and never name another language's
 * tools (a Perl suite is not told about EPYTEST_DESELECT).
 *   - perl: a TAP test file (`t/net.t`, src/analyze/tap.ts), or the process is perl;
 *   - pytest: a pytest node id (`tests/test_x.py::test_y`, doctests `pkg/mod.py::pkg.mod.func`);
 *   - unittest: a unittest id, `module.Class.test_method` (dotted, no path, no `::`).
 * For hints (hintEcosystem), an attempt without a test id whose process is known is also placed: a Python
 * interpreter (or pytest itself) is taken for pytest, the tree's usual runner and the default hints' idiom;
 * any other program is `other` (a C, Go, Rust, shell... suite, or a build step), whose hints name no language's
 * test tools. Nothing known (no test id, no process: packets only) leaves the default hints.
 * Which hints have an idiom per ecosystem: the internet ones (DnsLookup, ExternalConnect, ExternalDatagram), the
 * host services on abstract UNIX sockets (X11, D-Bus: HostServiceUnreachable) and NoNetworkInterface.
 */
import { safeText } from '../model/format.js';
import type { Attempt, FindingKeyword, InterfaceQuery } from '../model/types.js';
import { privateBus, serviceAt, socketService } from './ports.js';

export type TestEcosystem = 'perl' | 'pytest' | 'unittest';

const PERL = /^perl(?:\d[\d.]*)?$/;
const UNITTEST_ID = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*){2,}$/;

/** The ecosystem of an attempt's test (undefined: no test and no telling process). */
export function testEcosystem(a: Pick<Attempt, 'test' | 'process'>): TestEcosystem | undefined {
  const t = a.test;
  if (t !== undefined) {
    if (t.includes('::')) return 'pytest';
    if (/\.t$/.test(t)) return 'perl';
    if (UNITTEST_ID.test(t)) return 'unittest';
  }
  const prog = a.process?.argv?.[0]?.split('/').pop() ?? a.process?.comm;
  if (prog !== undefined && PERL.test(prog)) return 'perl';
  return undefined;
}

/** An ecosystem for hints: a test ecosystem, or `other` (a program known, none of theirs). */
export type HintEcosystem = TestEcosystem | 'other';

const PYTHON = /^(?:python(?:\d[\d.]*)?|pypy\d*(?:\.\d+)?|py\.?test(?:-?\d[\d.]*)?)$/;

/** The program of an attempt's process (argv[0]'s last part, else comm). */
function program(a: Pick<Attempt, 'process'>): string | undefined {
  return a.process?.argv?.[0]?.split('/').pop() || a.process?.comm || undefined;
}

/** The ecosystem whose idiom an attempt's hints speak (see the module comment); undefined: nothing known. */
export function hintEcosystem(a: Pick<Attempt, 'test' | 'process'>): HintEcosystem | undefined {
  const eco = testEcosystem(a);
  if (eco !== undefined) return eco;
  const prog = program(a);
  if (prog === undefined) return undefined;
  return PYTHON.test(prog) ? 'pytest' : 'other';
}

/** How to skip a unittest test the way Gentoo ebuilds do: a rename in src_prepare, named when the id is known. */
function unittestSkip(test: string | undefined): string {
  const parts = test?.split('.') ?? [];
  const method = parts.length >= 3 ? (parts[parts.length - 1] as string) : 'test_NAME';
  const file = parts.length >= 3 ? `${parts.slice(0, -2).join('/')}.py` : 'FILE';
  return `rename it in src_prepare (# Internet, then sed -i -e 's:def ${method}(:def _${method}(:' ${file} || die) or remove its file before eunittest`;
}

/** The Perl test file of an attempt (its test id), or a placeholder. */
function perlFile(test: string | undefined): string {
  return test !== undefined && /\.t$/.test(test) ? test : 't/FILE.t';
}

const DECLARE = 'or declare PROPERTIES=test_network with RESTRICT=test (they then run only with ALLOW_TEST=network)';

/** Keywords whose hint says how to skip tests that need the internet (the ones that name pytest by default). */
const INTERNET: readonly FindingKeyword[] = ['DnsLookup', 'ExternalConnect', 'ExternalDatagram'];

/**
 * The hint for an attempt in its ecosystem's idiom: one that needs the internet (a Perl, unittest or `other`
 * suite or program; a pytest test at a web port, whose default names other languages' build tools), or a host
 * service on an abstract UNIX socket (X11, D-Bus) of a suite that is not pytest. Undefined where the default
 * hint stands (pytest, no ecosystem known, another keyword).
 */
export function ecosystemHint(a: Pick<Attempt, 'test' | 'process' | 'phase'> & Partial<Pick<Attempt, 'kind' | 'address' | 'port'>>, keyword: FindingKeyword): string | undefined {
  if (keyword === 'HostServiceUnreachable' && a.kind === 'unix' && a.address !== undefined) return hostServiceHint(a, socketService(a.address)?.service);
  if (!INTERNET.includes(keyword)) return undefined;
  const eco = hintEcosystem(a);
  const test = a.test !== undefined ? safeText(a.test) : undefined;
  if (eco === 'other') {
    if (a.phase === undefined) return 'the program needs the internet, which network-sandbox never gives: let it work offline, or skip what needs the network; build-time downloads belong in SRC_URI';
    return a.phase === 'src_test'
      ? 'a test needs the internet: skip it in src_test the way the build runs its suite (its own option or list of tests to skip), ' +
          'or declare PROPERTIES=test_network with RESTRICT=test when most of the suite needs it; build-time downloads belong in SRC_URI'
      : 'a download at build time: it belongs in SRC_URI (Portage fetches it outside the sandbox), or a vendored tarball of what the build fetches (Go deps tarball, cargo CRATES, npm offline cache)';
  }
  if (eco === 'pytest' && a.test !== undefined && a.kind !== undefined && a.kind !== 'dns' && serviceAt(a.port, a.kind)?.category === 'web') {
    // The web ports' default names Go, cargo and npm for build-time fetches: not a pytest test's idiom.
    return 'a pytest test fetches from the internet: deselect it (EPYTEST_DESELECT, # Internet) or skip the suite\'s network marker (epytest -m "not network"); build-time downloads belong in SRC_URI';
  }
  if (eco === 'perl') {
    const file = perlFile(test);
    return (
      `a Perl test needs the internet: remove its file in src_test (perl_rm_files ${file}, then perl-module_src_test); ` +
      'a suite that honours NO_NETWORK_TESTING skips itself, which perl-module_src_test exports unless DIST_TEST has `network` ' +
      '(users: USER_PERL_RESTRICT=network-test); build-time downloads belong in SRC_URI'
    );
  }
  if (eco === 'unittest') {
    return `a unittest test needs the internet: skip it the way the ebuild runs its suite, e.g. ${unittestSkip(test)}; build-time downloads belong in SRC_URI`;
  }
  return undefined;
}

/**
 * The hint for a host service on an abstract UNIX socket (X11, D-Bus) in the suite's idiom; undefined where the
 * default (pytest's: virtx epytest, a bus started by hand around epytest) stands, or for another service.
 */
function hostServiceHint(a: Pick<Attempt, 'test' | 'process'>, service: string | undefined): string | undefined {
  const eco = hintEcosystem(a);
  if (eco === undefined || eco === 'pytest') return undefined;
  if (service === 'X11 display') {
    const run = eco === 'perl' ? 'src_test() { virtx perl-module_src_test; }' : eco === 'unittest' ? 'virtx eunittest in python_test' : "virtx in front of the suite's own test command in src_test";
    return `tests need an X server: inherit virtualx and run them under a private one (${run}; VIRTUALX_REQUIRED="test", the default, gives it its dependency)`;
  }
  if (service === 'D-Bus') {
    // dbus-run-session runs a program, never an ebuild function (perl-module_src_test, eunittest, emake): around
    // those the bus is started by hand (privateBus), as ::gentoo does; around a program dbus-run-session does
    // (dev-python/secretstorage: dbus-run-session "${EPYTHON}" -m unittest discover in python_test).
    const how =
      eco === 'perl'
        ? `in src_test (perl-module_src_test is a bash function, which dbus-run-session cannot run): src_test() { ${privateBus('perl-module_src_test')}; }, or remove their test files (perl_rm_files ${perlFile(a.test !== undefined ? safeText(a.test) : undefined)})`
        : eco === 'unittest'
          ? `in python_test: dbus-run-session "\${EPYTHON}" -m unittest discover -v -s tests || die (a program; eunittest is a bash function, which dbus-run-session cannot run: around it, ${privateBus('eunittest')})`
          : `in src_test: dbus-run-session -- make check when the suite is a program; around an ebuild function (emake, an eclass's src_test), which dbus-run-session cannot run, start it by hand: ${privateBus('emake check')}`;
    return `tests talk to a D-Bus bus of the host: start a private session bus for them ${how}`;
  }
  return undefined;
}

/**
 * NoNetworkInterface's hint for an ebuild, in the idiom of the suite whose process listed the interfaces;
 * undefined where the default (pytest's EPYTEST_DESELECT) stands.
 */
export function noInterfaceHint(q: Pick<InterfaceQuery, 'test' | 'process'>): string | undefined {
  const eco = hintEcosystem(q);
  const test = q.test !== undefined ? safeText(q.test) : undefined;
  const head = 'the tests want a network interface besides lo, which network-sandbox never has:';
  if (eco === 'perl') return `${head} remove their test files in src_test (perl_rm_files ${perlFile(test)}, then perl-module_src_test), ${DECLARE}`;
  if (eco === 'unittest') return `${head} skip them the way the ebuild runs its suite, e.g. ${unittestSkip(test)}, ${DECLARE}`;
  if (eco === 'other') return `${head} skip those tests in src_test the way the build runs its suite (its own option or list of tests to skip), ${DECLARE}`;
  return undefined;
}
