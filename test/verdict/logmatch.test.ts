/**
 * src/portage/logmatch.ts on realistic Portage build logs: which lines show a network failure, how they are
 * cleaned (ANSI colours, CR), how a log splits by phase banners, and which attempt each quoted line goes to.
 */
import assert from 'node:assert/strict';
import { cleanLine, isNetworkErrorLine, lineHasAddress, matchLogLines, packageQueryDeath, sectionsOf } from '../../src/verdict/logmatch.js';
import { attemptOf, type Attempt, type AttemptFields } from '../../src/model/types.js';
import { HAS_VERSION_DIE } from '../helpers/logs.js';

function attempt(over: Partial<AttemptFields>): Attempt {
  return attemptOf({ kind: 'tcp', scope: 'external', family: 4, address: '198.51.100.10', port: 443, count: 1, firstAtMs: 10, allowed: false, ...over });
}

const dns = (hostname: string, phase?: string): Attempt =>
  attempt({ kind: 'dns', address: '10.255.255.53', port: 53, hostname, qtype: 'A', ...(phase ? { phase } : {}) });

/** What the tools print when the sandbox answers, as they appear in Portage build logs. */
const NETWORK_ERRORS: readonly [string, string][] = [
  ['curl', 'curl: (6) Could not resolve host: pypi.example'],
  ['curl, unreachable', 'curl: (7) Failed to connect to 198.51.100.10 port 80 after 0 ms: Network is unreachable'],
  ['python urllib', 'urllib.error.URLError: <urlopen error [Errno -3] Temporary failure in name resolution>'],
  ['python socket', 'socket.gaierror: [Errno -3] Temporary failure in name resolution'],
  ['python, unreachable', 'OSError: [Errno 101] Network is unreachable'],
  ['python requests', "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pypi.example', port=443): Max retries exceeded"],
  ['node', 'Error: getaddrinfo ENOTFOUND registry.npmjs.example'],
  ['npm', 'npm ERR! code ENOTFOUND'],
  ['npm 10', 'npm error code EAI_AGAIN'],
  ['node fetch', 'TypeError: fetch failed'],
  ['git', "fatal: unable to access 'https://git.example/repo.git/': Could not resolve host: git.example"],
  ['ssh', 'ssh: Could not resolve hostname git.example: Name or service not known'],
  ['wget', "wget: unable to resolve host address 'files.example'"],
  ['go, lookup', 'dial tcp: lookup proxy.golang.example on 10.255.255.53:53: read udp 10.0.0.1:41234->10.255.255.53:53: read: connection refused'],
  ['go, connect', 'dial tcp 203.0.113.5:443: connect: network is unreachable'],
  ['a host database', 'psycopg2.OperationalError: connection to server at "127.0.0.1", port 5432 failed: Connection refused'],
  ['ping', 'ping: connect: Network is unreachable'],
  ['an nftables drop', 'sendto: Operation not permitted'],
];

/** Lines of the same logs that are not about the network. */
const OTHER_LINES: readonly string[] = [
  '>>> Test phase: net-test/test-resolve-1',
  ' * ERROR: net-test/test-resolve-1::netaudit-fixtures failed (test phase):',
  'make: *** [Makefile:12: all] Error 2',
  'checking for getaddrinfo... yes',
  'PASS: test_parse',
  'go: downloading example.test/mod v1.0.0',
  ' * Package:    net-test/test-resolve-1:0',
  '',
];

describe('portage logmatch', () => {
  describe('isNetworkErrorLine', () => {
    for (const [tool, line] of NETWORK_ERRORS) it(`${tool}: ${line}`, () => assert.equal(isNetworkErrorLine(line), true));

    it('not the rest of a build log', () => {
      for (const line of OTHER_LINES) assert.equal(isNetworkErrorLine(line), false, line);
    });
  });

  describe('cleanLine', () => {
    it("strips ANSI colours (Portage's own and a tool's), a CR and trailing blanks; keeps the text and its indent", () => {
      assert.equal(cleanLine('\x1b[32;01m * \x1b[39;49;00mPackage:    net-test/x-1\r'), ' * Package:    net-test/x-1');
      assert.equal(cleanLine('\x1b[31;01m*\x1b[0m ERROR: net-test/x-1::repo failed (test phase):   \r'), '* ERROR: net-test/x-1::repo failed (test phase):');
      assert.equal(cleanLine('  \x1b[1mcurl\x1b[0m: (6) Could not resolve host: a.example\x1b[K'), '  curl: (6) Could not resolve host: a.example');
      assert.equal(cleanLine('plain'), 'plain');
    });

    it('a coloured network error is still recognised once cleaned', () => {
      const coloured = '\x1b[31mE   urllib.error.URLError: <urlopen error [Errno -3] Temporary failure in name resolution>\x1b[0m\r';
      assert.equal(isNetworkErrorLine(cleanLine(coloured)), true);
      assert.equal(cleanLine(coloured), 'E   urllib.error.URLError: <urlopen error [Errno -3] Temporary failure in name resolution>');
    });
  });

  describe('sectionsOf', () => {
    it("splits at Portage's phase banners; what comes before any banner has no phase", () => {
      const log = [' * Package: net-test/x-1', '>>> Unpacking source...', 'u', '>>> Test phase: net-test/x-1', 't1', 't2', '>>> Install net-test/x-1 into /var/tmp/portage/image', 'i'].join('\n');
      assert.deepEqual(
        sectionsOf(log).map((s) => [s.phase, s.lines.length]),
        [[undefined, 1], ['src_unpack', 2], ['src_test', 3], ['src_install', 2]],
      );
    });
  });

  describe('matchLogLines', () => {
    const log = [
      ' * Package:    net-test/test-resolve-1:0',
      '>>> Unpacking source...',
      '>>> Source unpacked in /var/tmp/portage/net-test/test-resolve-1/work',
      '>>> Compiling source in /var/tmp/portage/net-test/test-resolve-1/work/test-resolve-1 ...',
      'make -j2',
      '>>> Source compiled.',
      '>>> Test phase: net-test/test-resolve-1',
      '\x1b[1mcurl: (6) Could not resolve host: testdata.example\x1b[0m\r',
      'curl: (7) Failed to connect to 198.51.100.10 port 443 after 0 ms: Network is unreachable',
      'OSError: [Errno 101] Network is unreachable',
      'make: *** [Makefile:4: check] Error 1',
      ' * ERROR: net-test/test-resolve-1::netaudit-fixtures failed (test phase):',
    ].join('\n');

    it('a line naming a host name or an address goes to that attempt only, cleaned and trimmed', () => {
      const attempts = [dns('testdata.example', 'src_test'), attempt({ phase: 'src_test' }), attempt({ address: '198.51.100.1', phase: 'src_compile' })];
      const [byName, byAddress, other] = matchLogLines(attempts, log);
      assert.deepEqual(byName?.logLines, ['curl: (6) Could not resolve host: testdata.example', 'OSError: [Errno 101] Network is unreachable']);
      assert.deepEqual(byAddress?.logLines, [
        'curl: (7) Failed to connect to 198.51.100.10 port 443 after 0 ms: Network is unreachable',
        'OSError: [Errno 101] Network is unreachable',
      ]);
      assert.equal(other?.logLines, undefined, '198.51.100.1 is not named by 198.51.100.10, and its phase had no error');
      assert.equal('logLines' in (other as object), false, 'no empty logLines field');
    });

    it('a line naming nothing goes to the non-allowed attempts of its phase, not to allowed ones or other phases', () => {
      const attempts = [
        attempt({ address: '203.0.113.5', phase: 'src_test' }),
        attempt({ address: '203.0.113.6', phase: 'src_test', allowed: true, allowedBy: 'PROPERTIES=test_network' }),
        attempt({ address: '203.0.113.7', phase: 'src_compile' }),
      ];
      const out = matchLogLines(attempts, '>>> Test phase: net-test/x-1\nOSError: [Errno 101] Network is unreachable\n');
      assert.deepEqual(out.map((a) => a.logLines), [['OSError: [Errno 101] Network is unreachable'], undefined, undefined]);
    });

    it('outside any phase section, a line naming nothing goes to the only non-allowed attempt, or to none when there are more', () => {
      const line = 'Error: getaddrinfo EAI_AGAIN';
      assert.deepEqual(matchLogLines([attempt({}), attempt({ allowed: true })], line).map((a) => a.logLines), [[line], undefined]);
      assert.deepEqual(matchLogLines([attempt({}), attempt({ address: '203.0.113.9' })], line).map((a) => a.logLines), [undefined, undefined]);
    });

    it('quotes at most five lines per attempt, each once, and never a line that is not a network error', () => {
      const many = ['>>> Test phase: x', ...Array.from({ length: 8 }, (_, i) => `curl: (6) Could not resolve host: testdata.example (try ${i})`), 'curl: (6) Could not resolve host: testdata.example (try 0)', 'PASS: testdata.example parses'];
      const [a] = matchLogLines([dns('testdata.example', 'src_test')], many.join('\n'));
      assert.equal(a?.logLines?.length, 5);
      assert.equal(new Set(a?.logLines).size, 5);
      assert.ok(a?.logLines?.every((l) => l.startsWith('curl: (6)')));
    });

    it('returns new attempts and leaves the given ones as they were', () => {
      const attempts = [dns('testdata.example', 'src_test')];
      const copy = structuredClone(attempts);
      const out = matchLogLines(attempts, log);
      assert.deepEqual(attempts, copy);
      assert.notEqual(out[0], attempts[0]);
      assert.deepEqual(matchLogLines([], log), []);
    });
  });

  describe('lineHasAddress', () => {
    it('finds an address only as a whole', () => {
      assert.equal(lineHasAddress('connect to 203.0.113.3 port 80', '203.0.113.3'), true);
      assert.equal(lineHasAddress('connect to 203.0.113.3:80', '203.0.113.3'), true);
      assert.equal(lineHasAddress('connect to 203.0.113.30 port 80', '203.0.113.3'), false);
      assert.equal(lineHasAddress('connect to 1203.0.113.3 port 80', '203.0.113.3'), false);
      assert.equal(lineHasAddress('connect to 203.0.113.3.4', '203.0.113.3'), false);
      assert.equal(lineHasAddress('ended at 203.0.113.3.', '203.0.113.3'), true);
      assert.equal(lineHasAddress('connect to [2001:db8::1]:443', '2001:db8::1'), true);
      assert.equal(lineHasAddress('connect to 2001:db8::10', '2001:db8::1'), false);
    });
  });
});

/**
 * python-any-r1's python_setup when no implementation passes its has_version check: Portage 3.0.83's output of a
 * scratch ebuild that checks and dies the same way, with the call stack renamed to the eclass functions.
 */
const PYTHON_SETUP_DIE = [
  ' *     dev-lang/python:3.12 ...',
  ' [ !! ]',
  ' * No Python implementation found for the build. This is usually',
  ' * a bug in the ebuild. Please report it to bugs.gentoo.org',
  ' * along with the build log.',
  '',
  ' * ERROR: net-test/pyany-1::netaudit-fixtures failed (setup phase):',
  ' *   No supported Python implementation installed.',
  ' * ',
  ' * Call stack:',
  ' *        ebuild.sh, line 143:  Called pkg_setup',
  ' *   environment, line 1802:  Called python-any-r1_pkg_setup',
  ' *   environment, line 1500:  Called python_setup',
  ' *   environment, line 1490:  Called die',
  ' * The specific snippet of code:',
  ' *   	die "No supported Python implementation installed."',
  ' * ',
  " * If you need support, post the output of `emerge --info '=net-test/pyany-1::netaudit-fixtures'`,",
].join('\n');

describe('packageQueryDeath: a phase that died on has_version/best_version', () => {
  it('the quoted code calls has_version: the ERROR line and that code', () => {
    assert.deepEqual(packageQueryDeath(HAS_VERSION_DIE), [
      '* ERROR: net-test/hv-1::netaudit-fixtures failed (compile phase):',
      'has_version -b ">=dev-build/cmake-3.20" || die "cmake >= 3.20 is required"',
    ]);
  });

  it("python-any-r1's python_setup: its die message (the has_version calls happen in functions that returned)", () => {
    assert.deepEqual(packageQueryDeath(PYTHON_SETUP_DIE), [
      '* ERROR: net-test/pyany-1::netaudit-fixtures failed (setup phase):',
      'No supported Python implementation installed.',
    ]);
  });

  it('best_version in the snippet, with colours', () => {
    const log = HAS_VERSION_DIE.replace('has_version -b ">=dev-build/cmake-3.20" || die', '\x1b[33;01m[[ -n $(best_version dev-libs/foo) ]] || die\x1b[0m');
    assert.equal(packageQueryDeath(log)[1], '[[ -n $(best_version dev-libs/foo) ]] || die "cmake >= 3.20 is required"');
  });

  it('not when has_version only appears outside the die block, or the die has another cause', () => {
    const elsewhere = ` * has_version dev-libs/foo: no\n${HAS_VERSION_DIE.replace(/has_version -b ">=dev-build\/cmake-3.20" \|\| /, '')}`;
    assert.deepEqual(packageQueryDeath(elsewhere), []);
    const other = HAS_VERSION_DIE.replace('The specific snippet of code:', 'The specific snippet of code:\n *   emake || die').replace(/ \*\s+has_version.*\n/, '');
    assert.deepEqual(packageQueryDeath(other), []);
    assert.deepEqual(packageQueryDeath(''), []);
    assert.deepEqual(packageQueryDeath('>>> Test phase: net-test/x-1\n * has_version said no\n'), []);
  });
});
