import assert from 'node:assert/strict';
import { attributeTapTests, ProcessTree, tapTestFile, tapTestOf } from '../../src/analyze/tap.js';
import type { TracerEvent } from '../../src/model/tracer-events.js';
import { attemptOf, type Attempt, type AttemptFields } from '../../src/model/types.js';

const START = 1_700_000_000_000;
const NS = 4026532000;

const exec = (tsMs: number, pid: number, ppid: number, argv: string[]): TracerEvent => ({
  kind: 'exec', tsMs: START + tsMs, pid, ppid, comm: (argv[0] ?? '').split('/').pop()?.slice(0, 15) ?? '', argv, netns: NS,
});
const fork = (tsMs: number, pid: number, ppid: number, child: number, argv: string[]): TracerEvent => ({
  kind: 'fork', tsMs: START + tsMs, pid, tid: pid, ppid, comm: 'perl', argv, netns: NS, child,
});

const attempt = (firstAtMs: number, extra: Partial<AttemptFields> = {}): Attempt =>
  attemptOf({ kind: 'dns', scope: 'external', family: 4, address: '192.0.2.53', port: 53, hostname: 'cpan.example', qtype: 'A', count: 1, firstAtMs, allowed: false, ...extra });

// What `make test` of an ExtUtils::MakeMaker distribution runs (TEST_VERBOSE=0), and what the harness forks.
const HARNESS = ['/usr/bin/perl', '-MExtUtils::Command::MM', '-MTest::Harness', '-e', "undef *Test::Harness::Switches; test_harness(0, 'blib/lib', 'blib/arch')", 't/00-load.t', 't/net.t'];

describe('TAP test files (analyze/tap)', () => {
  describe('tapTestFile', () => {
    it('names the .t file perl runs, after its switches, as the distribution names it', () => {
      assert.equal(tapTestFile(['/usr/bin/perl', 't/net.t']), 't/net.t');
      assert.equal(tapTestFile(['perl', '-w', '-Iblib/lib', '-I', 'blib/arch', '-MTest::More', 't/net.t']), 't/net.t');
      assert.equal(tapTestFile(['/usr/bin/perl5.40.0', '-T', './t/sub/dns.t']), 't/sub/dns.t');
      assert.equal(tapTestFile(['perl', '/var/tmp/portage/dev-perl/Net-X-1/work/Net-X-1/t/net.t']), 't/net.t');
      assert.equal(tapTestFile(['perl', '/var/tmp/portage/x/work/X-1/xt/author/pod.t']), 'xt/author/pod.t');
      assert.equal(tapTestFile(['perl', '--', 't/net.t']), 't/net.t');
    });
    it('names nothing for the harness, a script that is not a test, or another program', () => {
      assert.equal(tapTestFile(HARNESS), undefined);
      assert.equal(tapTestFile(['perl', 'Makefile.PL']), undefined);
      assert.equal(tapTestFile(['perl', '-e', 'print 1', 't/net.t']), undefined);
      assert.equal(tapTestFile(['/usr/bin/prove', '-v', 't/net.t']), undefined);
      assert.equal(tapTestFile(['python3', 't/net.t']), undefined);
      assert.equal(tapTestFile(['perl']), undefined);
      assert.equal(tapTestFile(undefined), undefined);
      assert.equal(tapTestFile(['perl', '/abs/net.t']), undefined);
    });
  });

  describe('tapTestOf / attributeTapTests', () => {
    // make (10) -> harness perl (11) -> perl t/net.t (12) -> curl (13); perl t/00-load.t (14) ran before.
    const events: TracerEvent[] = [
      exec(0, 10, 1, ['make', 'test']),
      fork(1, 10, 1, 11, ['make', 'test']),
      exec(2, 11, 10, HARNESS),
      fork(3, 11, 10, 14, HARNESS),
      exec(4, 14, 11, ['/usr/bin/perl', 't/00-load.t']),
      fork(10, 11, 10, 12, HARNESS),
      exec(11, 12, 11, ['/usr/bin/perl', 't/net.t']),
      fork(20, 12, 11, 13, ['/usr/bin/perl', 't/net.t']),
      exec(21, 13, 12, ['curl', '-fsS', 'http://cpan.example/x']),
    ];
    const tree = new ProcessTree(events);

    it('gives the test file of the process itself, then of its nearest ancestor that is one', () => {
      assert.equal(tapTestOf({ pid: 12, ppid: 11, argv: ['/usr/bin/perl', 't/net.t'] }, START + 15, tree), 't/net.t');
      assert.equal(tapTestOf({ pid: 13, ppid: 12, argv: ['curl', '-fsS', 'http://cpan.example/x'] }, START + 25, tree), 't/net.t');
      // Without argv or ppid on the attempt, the tree alone.
      assert.equal(tapTestOf({ pid: 13 }, START + 25, tree), 't/net.t');
      // A fork of the test file before it execs is still the test file.
      assert.equal(tapTestOf({ pid: 13 }, START + 20.5, tree), 't/net.t');
      // The harness and make are not tests.
      assert.equal(tapTestOf({ pid: 11, ppid: 10, argv: HARNESS }, START + 15, tree), undefined);
      assert.equal(tapTestOf({ pid: 10 }, START + 15, tree), undefined);
      assert.equal(tapTestOf({ pid: 99, ppid: 98 }, START + 15, tree), undefined);
    });

    it('stops on a cycle of parents (pid reuse in a recording) instead of looping', () => {
      const loop = new ProcessTree([exec(0, 20, 21, ['sh']), exec(0, 21, 20, ['sh'])]);
      assert.equal(tapTestOf({ pid: 20 }, START + 1, loop), undefined);
    });

    it('sets `test` on attempts without one, keeps those the pytest spans named, and leaves the rest alone', () => {
      const attempts = [
        attempt(12, { process: { pid: 12, ppid: 11, comm: 'perl', argv: ['/usr/bin/perl', 't/net.t'] } }),
        attempt(22, { kind: 'tcp', address: '203.0.113.10', port: 80, process: { pid: 13, ppid: 12, comm: 'curl', argv: ['curl', '-fsS', 'http://cpan.example/x'] } }),
        attempt(5, { process: { pid: 14, ppid: 11, comm: 'perl', argv: ['/usr/bin/perl', 't/00-load.t'] }, test: 'tests/test_x.py::test_y' }),
        attempt(3, { process: { pid: 11, ppid: 10, comm: 'perl', argv: HARNESS } }),
        attempt(3),
      ];
      const out = attributeTapTests(attempts, events, START);
      assert.deepEqual(out.map((a) => a.test), ['t/net.t', 't/net.t', 'tests/test_x.py::test_y', undefined, undefined]);
      assert.deepEqual(out[4], attempts[4]);
    });
  });
});
