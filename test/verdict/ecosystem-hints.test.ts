/**
 * Hints never name another language's tools (src/verdict/ecosystem.ts): for a pytest suite, a unittest suite, a
 * Perl suite and another program (a C or Go suite, a build step), the hints of every finding that says how to
 * skip or fix tests (DnsLookup, ExternalConnect at a web port, ExternalDatagram, the X11 and D-Bus sockets of
 * HostServiceUnreachable, NoNetworkInterface) speak that suite's idiom and name none of the others' tools.
 */
import assert from 'node:assert/strict';
import { attemptFindings } from '../../src/verdict/findings.js';
import { hintEcosystem } from '../../src/verdict/ecosystem.js';
import { judgeInterfaces, type EbuildPolicy } from '../../src/verdict/index.js';
import { attemptOf, type Attempt, type AttemptFields, type InterfaceQuery, type ProcessInfo } from '../../src/model/types.js';

const END = { exitCode: 1, capture: { dropped: 0 } };
const POLICY: EbuildPolicy = { properties: [], restrict: [], allowTest: [] };

/** Each language's test tools, as a hint could name them. */
const TOOLS = {
  pytest: /pytest|EPYTEST|epytest/,
  unittest: /unittest|eunittest/,
  perl: /perl_rm_files|perl-module|NO_NETWORK_TESTING|DIST_TEST|USER_PERL_RESTRICT|\bPerl\b/,
  python: /EPYTHON|python_test|distutils/,
  other: /\bGo deps\b|cargo|\bnpm\b/,
};
type Tool = keyof typeof TOOLS;

interface Suite {
  readonly name: string;
  /** What identifies the suite on an attempt: a test id and the process. */
  readonly who: { test?: string; process?: ProcessInfo };
  readonly eco: ReturnType<typeof hintEcosystem>;
  /** The tool families its hints must never name. */
  readonly foreign: readonly Tool[];
  /** What its hints name instead, per finding. */
  readonly own: { dns: RegExp; web: RegExp; x11: RegExp; dbus: RegExp; iface: RegExp };
}

const SUITES: readonly Suite[] = [
  {
    name: 'python-pytest',
    who: { test: 'tests/test_net.py::test_fetch', process: { pid: 10, comm: 'python3', argv: ['/usr/bin/python3.12', '-m', 'pytest'] } },
    eco: 'pytest',
    foreign: ['unittest', 'perl', 'other'],
    own: { dns: /EPYTEST_DESELECT/, web: /EPYTEST_DESELECT.*epytest -m "not network"/, x11: /virtx epytest/, dbus: /DBUS_SESSION_BUS_ADDRESS=\$\{dbus_params\[0\]\}; epytest; kill/, iface: /EPYTEST_DESELECT/ },
  },
  {
    name: 'python-unittest',
    who: { test: 'tests.test_net.NetTest.test_fetch', process: { pid: 11, comm: 'python3', argv: ['python3', '-m', 'unittest'] } },
    eco: 'unittest',
    foreign: ['pytest', 'perl', 'other'],
    own: {
      dns: /sed -i -e 's:def test_fetch\(:def _test_fetch\(:' tests\/test_net\.py \|\| die/,
      web: /eunittest/,
      x11: /virtx eunittest in python_test/,
      dbus: /dbus-run-session "\$\{EPYTHON\}" -m unittest discover/,
      iface: /sed -i -e 's:def test_fetch\(:def _test_fetch\(:'.*PROPERTIES=test_network/,
    },
  },
  {
    name: 'perl',
    who: { test: 't/net.t', process: { pid: 12, comm: 'perl', argv: ['/usr/bin/perl', 't/net.t'] } },
    eco: 'perl',
    foreign: ['pytest', 'unittest', 'python', 'other'],
    own: {
      dns: /perl_rm_files t\/net\.t/,
      web: /perl_rm_files t\/net\.t/,
      x11: /virtx perl-module_src_test/,
      dbus: /src_test\(\) \{ local dbus_params=.*; perl-module_src_test; kill .*perl_rm_files t\/net\.t/,
      iface: /perl_rm_files t\/net\.t, then perl-module_src_test/,
    },
  },
  {
    name: 'other (a C test program)',
    who: { process: { pid: 13, comm: 'test-client', argv: ['./tests/test-client', '--all'] } },
    eco: 'other',
    foreign: ['pytest', 'unittest', 'perl', 'python'],
    own: {
      dns: /skip it in src_test the way the build runs its suite/,
      web: /skip it in src_test/,
      x11: /virtx in front of the suite's own test command/,
      dbus: /dbus-run-session -- make check when the suite is a program/,
      iface: /skip those tests in src_test the way the build runs its suite/,
    },
  },
];

const base = (who: Suite['who'], over: Partial<AttemptFields>): Attempt =>
  attemptOf({ kind: 'tcp', scope: 'external', family: 4, address: '203.0.113.10', port: 443, count: 1, firstAtMs: 5, phase: 'src_test', allowed: false, ...who, ...over });

/** The hints of one suite's findings, by what they are about. */
function hints(s: Suite): Record<keyof Suite['own'] | 'udp', string> {
  const attempts = [
    base(s.who, { kind: 'dns', address: '192.0.2.53', port: 53, hostname: 'pypi.example', qtype: 'A' }),
    base(s.who, {}),
    base(s.who, { kind: 'unix', scope: 'host-local', address: '@/tmp/.X11-unix/X0', family: undefined, port: undefined, outcome: 'refused' }),
    base(s.who, { kind: 'unix', scope: 'host-local', address: '@/tmp/dbus-AbC123', family: undefined, port: undefined, outcome: 'refused' }),
    base(s.who, { kind: 'udp', address: '198.51.100.7', port: 9999 }),
  ];
  const f = attemptFindings(attempts, END);
  assert.deepEqual(f.map((x) => x.keyword), ['DnsLookup', 'ExternalConnect', 'HostServiceUnreachable', 'HostServiceUnreachable', 'ExternalDatagram']);
  const query: InterfaceQuery = { method: 'netlink', request: 'RTM_GETLINK', count: 1, firstAtMs: 5, phase: 'src_test', allowed: false, ...s.who, failure: { pid: s.who.process?.pid ?? 1, comm: s.who.process?.comm ?? 'x', exitCode: 1 } };
  const j = judgeInterfaces({ queries: [query], policy: POLICY, failed: true });
  assert.equal(j.noInterface.length, 1);
  return { dns: f[0]?.hint ?? '', web: f[1]?.hint ?? '', x11: f[2]?.hint ?? '', dbus: f[3]?.hint ?? '', udp: f[4]?.hint ?? '', iface: j.noInterface[0]?.hint ?? '' };
}

describe('hints in each ecosystem\'s idiom, never another language\'s tools (verdict/ecosystem)', () => {
  for (const s of SUITES) {
    it(`${s.name}: its own idiom in every hint, none of ${s.foreign.join(', ')}`, () => {
      assert.equal(hintEcosystem(s.who), s.eco);
      const h = hints(s);
      for (const [about, text] of Object.entries(h)) {
        assert.ok(text.length > 0, `${about}: a hint`);
        for (const tool of s.foreign) assert.doesNotMatch(text, TOOLS[tool], `${s.name} ${about}: ${text}`);
      }
      for (const [about, re] of Object.entries(s.own)) assert.match(h[about as keyof Suite['own']], re, `${s.name} ${about}`);
    });
  }

  it('a Python interpreter without a test id is taken for pytest; perl without one for Perl; nothing known keeps the defaults', () => {
    assert.equal(hintEcosystem({ process: { pid: 1, comm: 'python3.12', argv: ['/usr/bin/python3.12', 'setup.py'] } }), 'pytest');
    assert.equal(hintEcosystem({ process: { pid: 1, comm: 'pypy3', argv: ['pypy3.10', '-m', 'pytest'] } }), 'pytest');
    assert.equal(hintEcosystem({ process: { pid: 1, comm: 'pytest' } }), 'pytest');
    assert.equal(hintEcosystem({ process: { pid: 1, comm: 'perl', argv: ['/usr/bin/perl5.40.0', 'Build', 'test'] } }), 'perl');
    assert.equal(hintEcosystem({ process: { pid: 1, comm: 'curl', argv: ['curl', '-fsSL', 'https://files.example/x'] } }), 'other');
    assert.equal(hintEcosystem({}), undefined);
    // Nothing known (packets only): the defaults, as before.
    const [x] = attemptFindings([attemptOf({ kind: 'unix', scope: 'host-local', address: '@/tmp/.X11-unix/X0', count: 1, firstAtMs: 1, outcome: 'refused', allowed: false })], END);
    assert.match(x?.hint ?? '', /virtx epytest/);
  });

  it('other: a download outside src_test is SRC_URI\'s; a plain command (no phase) gets no ebuild idiom for tests', () => {
    const curl = { process: { pid: 20, comm: 'curl', argv: ['curl', 'https://files.example/x.tar.gz'] } };
    const [compile] = attemptFindings([base(curl, { phase: 'src_compile' })], END);
    assert.match(compile?.hint ?? '', /^a download at build time: it belongs in SRC_URI/);
    const [command] = attemptFindings([base(curl, { phase: undefined })], END);
    assert.match(command?.hint ?? '', /^the program needs the internet/);
    for (const h of [compile?.hint ?? '', command?.hint ?? '']) for (const tool of ['pytest', 'unittest', 'perl', 'python'] as const) assert.doesNotMatch(h, TOOLS[tool], h);
  });

  it('MPI keeps its own hint whatever the suite; a plain command\'s NoNetworkInterface hint names no test tool', () => {
    const mpi: InterfaceQuery = { method: 'netlink', request: 'RTM_GETLINK', count: 1, firstAtMs: 5, phase: 'src_test', allowed: false, test: 't/mpi.t', process: { pid: 5, comm: 'mpirun' }, failure: { pid: 5, comm: 'mpirun', exitCode: 1 } };
    assert.match(judgeInterfaces({ queries: [mpi], policy: POLICY, failed: true }).noInterface[0]?.hint ?? '', /OMPI_MCA_btl_tcp_if_include=lo/);
    const cmd: InterfaceQuery = { ...mpi, test: undefined, process: { pid: 6, comm: 'python3' }, failure: { pid: 6, comm: 'python3', exitCode: 1 } };
    const h = judgeInterfaces({ queries: [cmd], policy: undefined, failed: true }).noInterface[0]?.hint ?? '';
    for (const tool of ['pytest', 'unittest', 'perl', 'python'] as const) assert.doesNotMatch(h, TOOLS[tool], h);
  });

  describe('D-Bus: a private session bus the way ::gentoo starts one (dbus-run-session runs programs, never ebuild functions)', () => {
    const BUS = 'local dbus_params=( $(dbus-daemon --session --print-address --fork --print-pid) ); local -x DBUS_SESSION_BUS_ADDRESS=${dbus_params[0]}';
    const KILL = 'kill "${dbus_params[1]}" || die';
    /** The D-Bus hint of each suite, and the default (nothing known: packets only). */
    const dbusHints = (): Record<string, string> => {
      const out: Record<string, string> = Object.fromEntries(SUITES.map((s) => [s.name, hints(s).dbus]));
      const [x] = attemptFindings([attemptOf({ kind: 'unix', scope: 'host-local', address: '@/tmp/dbus-AbC123', count: 1, firstAtMs: 1, outcome: 'refused', allowed: false })], END);
      out.default = x?.hint ?? '';
      return out;
    };

    it('the text per ecosystem', () => {
      const h = dbusHints();
      assert.equal(
        h['python-pytest'],
        `tests talk to a D-Bus bus of the host: start a private session bus for them in python_test (epytest is a bash function, which dbus-run-session cannot run): ${BUS}; epytest; ${KILL}`,
      );
      assert.equal(h.default, h['python-pytest'], 'nothing known: the pytest default');
      assert.equal(
        h['python-unittest'],
        'tests talk to a D-Bus bus of the host: start a private session bus for them in python_test: dbus-run-session "${EPYTHON}" -m unittest discover -v -s tests || die ' +
          `(a program; eunittest is a bash function, which dbus-run-session cannot run: around it, ${BUS}; eunittest; ${KILL})`,
      );
      assert.equal(
        h.perl,
        'tests talk to a D-Bus bus of the host: start a private session bus for them in src_test (perl-module_src_test is a bash function, which dbus-run-session cannot run): ' +
          `src_test() { ${BUS}; perl-module_src_test; ${KILL}; }, or remove their test files (perl_rm_files t/net.t)`,
      );
      assert.equal(
        h['other (a C test program)'],
        'tests talk to a D-Bus bus of the host: start a private session bus for them in src_test: dbus-run-session -- make check when the suite is a program; ' +
          `around an ebuild function (emake, an eclass's src_test), which dbus-run-session cannot run, start it by hand: ${BUS}; emake check; ${KILL}`,
      );
    });

    it('no hint puts a shell function after dbus-run-session: what it runs is a program', () => {
      // Ebuild and eclass functions (bash functions dbus-run-session cannot exec): e* helpers, phase functions, virtx.
      const FUNCTION = /^(?:epytest|eunittest|emake|econf|edo|einstall|eninja|nonfatal|virtx|default|die|(?:[\w-]+_)?(?:src|python|pkg)_[a-z_]+)$/;
      const PROGRAM = /^(?:"\$\{EPYTHON\}"|make|cannot)$/;
      for (const [name, text] of Object.entries(dbusHints())) {
        const runs = [...text.matchAll(/dbus-run-session\s+(?:--\s+)?(\S+)/g)].map((m) => m[1] as string);
        for (const word of runs) {
          assert.doesNotMatch(word, FUNCTION, `${name}: dbus-run-session ${word}: ${text}`);
          assert.match(word, PROGRAM, `${name}: dbus-run-session ${word} (a program, or the words saying it cannot run a function)`);
        }
        // And every function named runs under a bus started by hand, killed after it.
        for (const fn of ['epytest', 'eunittest', 'perl-module_src_test', 'emake check']) {
          if (text.includes(`; ${fn};`)) assert.ok(text.includes(`${BUS}; ${fn}; ${KILL}`), `${name}: ${fn} under the bus: ${text}`);
        }
      }
    });
  });
});

