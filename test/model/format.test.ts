/**
 * The shared texts of src/model/format.ts: subjects, endpoints, exit texts in each wording, blocked phases,
 * durations, processes. The reporters' and the findings' own tests check that they use them; these pin the texts.
 */
import assert from 'node:assert/strict';
import type { Attempt, BuildResult, Suggestion } from '../../src/model/types.js';
import { blockedPhases, COMMAND_CATEGORY, endpoint, exitText, formatDuration, packageVersion, processText, subjectOf, subjectText, verificationLines, type Ending } from '../../src/model/format.js';

const EBUILD: Pick<BuildResult, 'kind' | 'name' | 'ebuild'> = {
  kind: 'ebuild',
  name: 'net-test/test-resolve-1',
  ebuild: { category: 'net-test', package: 'test-resolve', version: '1', path: '/var/db/repos/test/net-test/test-resolve/test-resolve-1.ebuild' },
};
const COMMAND: Pick<BuildResult, 'kind' | 'name' | 'ebuild'> = { kind: 'command', name: 'curl -sS http://anything.example.org/' };

function attempt(allowed: boolean, phase?: string): Pick<Attempt, 'allowed' | 'phase'> {
  return phase === undefined ? { allowed } : { allowed, phase };
}

describe('model/format', () => {
  describe('subjects', () => {
    it('an ebuild is version scope: category, package, version; written category/package-version', () => {
      assert.deepEqual(subjectOf(EBUILD), { category: 'net-test', package: 'test-resolve', version: '1' });
      assert.equal(packageVersion(subjectOf(EBUILD)), 'test-resolve-1');
      assert.equal(subjectText(EBUILD), 'net-test/test-resolve-1');
    });

    it('a command is package scope under the category "command", written as its name', () => {
      assert.equal(COMMAND_CATEGORY, 'command');
      assert.deepEqual(subjectOf(COMMAND), { category: 'command', package: COMMAND.name });
      assert.equal(packageVersion(subjectOf(COMMAND)), COMMAND.name);
      assert.equal(subjectText(COMMAND), COMMAND.name);
    });

    it('the subject comes from the ebuild fields, not the name; a command never takes an ebuild subject', () => {
      assert.equal(subjectText({ ...EBUILD, name: 'renamed' }), 'net-test/test-resolve-1');
      assert.equal(subjectText({ kind: 'ebuild', name: 'no-metadata' }), 'no-metadata', 'an ebuild without its fields: the name');
      assert.equal(subjectText({ ...COMMAND, ebuild: EBUILD.ebuild }), COMMAND.name);
    });
  });

  describe('endpoint', () => {
    it('address:port, IPv6 in brackets', () => {
      assert.equal(endpoint('192.0.2.1', 80), '192.0.2.1:80');
      assert.equal(endpoint('2001:db8::1', 443), '[2001:db8::1]:443');
      assert.equal(endpoint('fd::1', 53), '[fd::1]:53');
      assert.equal(endpoint('fe80::1%eth0', 0), '[fe80::1%eth0]:0');
    });

    it('no port: the bare address or socket path, never in brackets', () => {
      assert.equal(endpoint('192.0.2.1'), '192.0.2.1');
      assert.equal(endpoint('2001:db8::1'), '2001:db8::1');
      assert.equal(endpoint('/run/a:b.sock'), '/run/a:b.sock');
      assert.equal(endpoint('@/tmp/.X11-unix/X0'), '@/tmp/.X11-unix/X0');
    });
  });

  describe('exitText', () => {
    // How a build ended -> [short (the default), status, sentence].
    const table: readonly [Ending, string, string, string][] = [
      [{ exitCode: 6 }, 'exit 6', 'exit status 6', 'exited with status 6'],
      [{ exitCode: 0 }, 'exit 0', 'exit status 0', 'exited with status 0'],
      [{ exitCode: null }, 'no exit status', 'no exit status', 'exited with status unknown'],
      [{ exitCode: null, signal: 'SIGSEGV' }, 'killed by SIGSEGV', 'killed by SIGSEGV', 'was killed by SIGSEGV'],
      [{ exitCode: null, timedOut: true }, 'timed out', 'timed out', 'timed out'],
      [{ exitCode: null, signal: 'SIGKILL', timedOut: true }, 'timed out, killed by SIGKILL', 'timed out', 'timed out'],
      // A signal wins over an exit code; an empty or null signal is no signal.
      [{ exitCode: 1, signal: 'SIGTERM' }, 'killed by SIGTERM', 'killed by SIGTERM', 'was killed by SIGTERM'],
      [{ exitCode: 1, signal: '' }, 'exit 1', 'exit status 1', 'exited with status 1'],
      [{ exitCode: 1, signal: null }, 'exit 1', 'exit status 1', 'exited with status 1'],
      [{ exitCode: null, signal: '', timedOut: true }, 'timed out', 'timed out', 'timed out'],
    ];

    it('short (the terminal header, the default), status (JUnit, the HTML details), sentence (a finding)', () => {
      for (const [end, short, status, sentence] of table) {
        const what = JSON.stringify(end);
        assert.equal(exitText(end), short, what);
        assert.equal(exitText(end, 'short'), short, what);
        assert.equal(exitText(end, 'status'), status, what);
        assert.equal(exitText(end, 'sentence'), sentence, what);
      }
    });
  });

  describe('blockedPhases', () => {
    it('phases of blocked attempts only, each once, in the order first seen', () => {
      const attempts = [attempt(true, 'setup'), attempt(false, 'test'), attempt(false), attempt(false, 'compile'), attempt(false, 'test'), attempt(true, 'compile')];
      assert.deepEqual(blockedPhases(attempts), ['test', 'compile']);
    });

    it('none: no attempts, only allowed ones, or none with a phase', () => {
      assert.deepEqual(blockedPhases([]), []);
      assert.deepEqual(blockedPhases([attempt(true, 'setup')]), []);
      assert.deepEqual(blockedPhases([attempt(false), attempt(false, '')]), []);
    });
  });

  describe('formatDuration', () => {
    it('under 5 ms, seconds with two decimals, then one, then minutes and hours', () => {
      const table: readonly [number, string][] = [
        [0, '<0.01 s'],
        [4.9, '<0.01 s'],
        [5, '0.01 s'],
        [17, '0.02 s'],
        [9_999, '10.00 s'],
        [10_000, '10.0 s'],
        [12_345, '12.3 s'],
        [59_999, '60.0 s'],
        [60_000, '1 min 00 s'],
        [125_000, '2 min 05 s'],
        [3_599_000, '59 min 59 s'],
        [3_600_000, '1 h 00 min'],
        [3_725_000, '1 h 02 min'],
      ];
      for (const [ms, text] of table) assert.equal(formatDuration(ms), text, `${ms} ms`);
    });
  });

  describe('processText', () => {
    it('comm[pid], with the command line only when asked and known', () => {
      const p = { pid: 4711, comm: 'curl', argv: ['curl', '-sS', 'https://example.org/'] };
      assert.equal(processText(p), 'curl[4711]');
      assert.equal(processText(p, { argv: true }), 'curl[4711] curl -sS https://example.org/');
      assert.equal(processText({ pid: 1, comm: 'go' }, { argv: true }), 'go[1]');
    });
  });

  describe('verification lines', () => {
    // The rounds of a real `netaudit ebuild --suggest --verify` of fixtures/repo's pytest-order-cache-1.
    const ROUND1 = 'patched copy audited (6.90 s): verdict breaks; src_test still fails (exit 1); the patch missed 1 failing test(s) that tried the network: tcp 203.0.113.60:80 in src_test (tests/test_index.py::test_project_page_link)';
    const ROUND2 = 'patched copy audited (5.54 s): verdict clean; src_test passes; no blocked attempt';
    const B = 'tests/test_index.py::test_project_page_link';

    it('one round: `verify: TEXT` in the suggestion\'s state; none without --verify', () => {
      assert.deepEqual(verificationLines({ verified: true, verification: ROUND2 }), [{ text: `verify: ${ROUND2}`, verified: true }]);
      assert.deepEqual(verificationLines({ verified: false, verification: ROUND1, rounds: [{ round: 1, added: [], verified: false, verification: ROUND1 }] }), [{ text: `verify: ${ROUND1}`, verified: false }]);
      assert.deepEqual(verificationLines({}), []);
    });

    it('several rounds: one line each, with the tests each round added and its own state; the last is the suggestion\'s', () => {
      const s: Pick<Suggestion, 'verified' | 'verification' | 'rounds'> = {
        verified: true,
        verification: ROUND2,
        rounds: [
          { round: 1, added: [], verified: false, verification: ROUND1 },
          { round: 2, added: [B], verified: true, verification: ROUND2 },
        ],
      };
      assert.deepEqual(verificationLines(s), [
        { text: `verify round 1: NOT verified: ${ROUND1}`, verified: false },
        { text: `verify round 2 (adds ${B}): verified: ${ROUND2}`, verified: true },
      ]);
    });
  });
});
