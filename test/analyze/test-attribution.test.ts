import assert from 'node:assert/strict';
import { analyze } from '../../src/analyze/index.js';
import { attributeTests, finalOutcome, parseTestLog, SKEW_MS, testGapAt, testSpanAt } from '../../src/analyze/test-attribution.js';
import type { TestSpan } from '../../src/model/evidence.js';
import { attemptOf, type Attempt, type AttemptFields } from '../../src/model/types.js';
import { BUILD_V4, MONITOR_V4, Packets, T0 } from './packets.js';

const span = (nodeid: string, startMs: number, endMs: number, pid = 100, phase: TestSpan['phase'] = 'call'): TestSpan => ({ nodeid, phase, pid, startMs, endMs });

const attempt = (firstAtMs: number, extra: Partial<AttemptFields> = {}): Attempt =>
  attemptOf({ kind: 'tcp', scope: 'external', family: 4, address: '203.0.113.10', port: 443, count: 1, firstAtMs, allowed: false, ...extra });

describe('test attribution (analyze/test-attribution)', () => {
  describe('parseTestLog', () => {
    it('reads the plugin lines, ms since the build start, in start order; skips what does not parse', () => {
      const start = 1_700_000_000; // epoch s
      const text = [
        JSON.stringify({ v: 1, start: start + 2.5, end: start + 2.75, pid: 7, phase: 'call', outcome: 'failed', nodeid: 'tests/test_net.py::test_download' }),
        JSON.stringify({ v: 1, start: start + 1.000001, end: start + 1.25, pid: 7, phase: 'setup', outcome: 'passed', nodeid: 'tests/test_net.py::test_download' }),
        '{"v":1,"start":1700000003,"end":17', // cut short by a kill
        JSON.stringify({ v: 1, start: start + 3, end: start + 2, pid: 7, phase: 'call', nodeid: 'end-before-start' }),
        JSON.stringify({ v: 1, start: start + 3, end: start + 4, pid: 7, phase: 'collect', nodeid: 'not-a-phase' }),
        JSON.stringify({ v: 1, start: start + 3, end: start + 4, pid: '7', phase: 'call', nodeid: 'pid-not-a-number' }),
        '',
      ].join('\n');
      const spans = parseTestLog(text, start * 1000);
      assert.equal(spans.length, 2);
      assert.deepEqual(
        spans.map((s) => [s.nodeid, s.phase, s.outcome, s.pid, Math.round(s.startMs * 1000) / 1000, Math.round(s.endMs)]),
        [
          ['tests/test_net.py::test_download', 'setup', 'passed', 7, 1000.001, 1250],
          ['tests/test_net.py::test_download', 'call', 'failed', 7, 2500, 2750],
        ],
      );
    });

    it('plugin v2: integer µs kept as they are, outcomes, the final outcome on every span, marker names', () => {
      const us = 1_700_000_000_000_000; // epoch µs
      const line = (o: Record<string, unknown>) => JSON.stringify({ v: 2, pid: 7, nodeid: 't.py::test_x', markers: ['network', 'network', 7, ''], ...o });
      const text = [
        line({ start_us: us + 1001, end_us: us + 2999, start: 0, end: 0, phase: 'setup', outcome: 'passed' }),
        line({ start_us: us + 3000, end_us: us + 4321, phase: 'call', outcome: 'failed' }),
        line({ start_us: us + 4400, end_us: us + 4500, phase: 'teardown', outcome: 'passed', final: 'failed' }),
        line({ start_us: us + 5000, end_us: us + 5100, phase: 'call', outcome: 'bogus', final: 'bogus', nodeid: 't.py::test_y' }),
      ].join('\n');
      const spans = parseTestLog(text, us / 1000);
      assert.deepEqual(
        spans.map((s) => [s.nodeid, s.phase, s.outcome, s.final, s.markers, s.startMs, s.endMs]),
        [
          ['t.py::test_x', 'setup', 'passed', 'failed', ['network'], 1.001, 2.999],
          ['t.py::test_x', 'call', 'failed', 'failed', ['network'], 3, 4.321],
          ['t.py::test_x', 'teardown', 'passed', 'failed', ['network'], 4.4, 4.5],
          ['t.py::test_y', 'call', undefined, undefined, ['network'], 5, 5.1],
        ],
      );
    });

    it('the final outcome of a v1 log, from its phases (pytest\'s rule)', () => {
      const f = (...phases: [TestSpan['phase'], string][]) => finalOutcome(phases.map(([phase, outcome]) => ({ phase, outcome })));
      assert.equal(f(['setup', 'passed'], ['call', 'passed'], ['teardown', 'passed']), 'passed');
      assert.equal(f(['setup', 'passed'], ['call', 'failed'], ['teardown', 'failed']), 'failed');
      assert.equal(f(['setup', 'failed'], ['teardown', 'passed']), 'error');
      assert.equal(f(['setup', 'passed'], ['call', 'passed'], ['teardown', 'failed']), 'error');
      assert.equal(f(['setup', 'skipped'], ['teardown', 'passed']), 'skipped');
      assert.equal(f(['setup', 'passed'], ['call', 'xfailed'], ['teardown', 'passed']), 'xfailed');
      assert.equal(f(['setup', 'passed']), undefined, 'a test still running has none');
    });

    it('caps a very long test id', () => {
      const spans = parseTestLog(JSON.stringify({ start: 1, end: 2, pid: 1, phase: 'call', nodeid: `t.py::test[${'x'.repeat(2000)}]` }), 0);
      assert.equal(spans[0]?.nodeid.length, 512);
      assert.ok(spans[0]?.nodeid.endsWith('…'));
    });
  });

  describe('testSpanAt', () => {
    const A = 't.py::test_a';
    const B = 't.py::test_b';
    const serial = [span(A, 10, 20, 100, 'setup'), span(A, 20.5, 30), span(A, 30.2, 31, 100, 'teardown'), span(B, 40, 50)];
    const xdist = [span(A, 10, 30, 100), span(B, 15, 35, 200)];
    const nested = [span('outer.py::test_runs_pytest', 10, 100, 100), span('inner.py::test_deep', 40, 50, 100)];
    const tight = [span(A, 10, 20), span(B, 20.1, 30, 100, 'setup')];
    const touching = [span(A, 10, 20), span(B, 20, 30, 100, 'setup')];
    const cases: { name: string; spans: TestSpan[]; at: number; pids?: number[]; want: string | undefined }[] = [
      { name: 'inside a call', spans: serial, at: 25, want: A },
      { name: 'inside a setup (fixtures count as the test)', spans: serial, at: 12, want: A },
      { name: 'between two phases of one test', spans: serial, at: 20.2, want: A },
      { name: 'a moment just after the last phase, within the skew', spans: serial, at: 31 + SKEW_MS - 0.5, want: A },
      { name: 'just before a test, within the skew', spans: serial, at: 40 - SKEW_MS + 0.5, want: B },
      { name: 'between tests, beyond the skew', spans: serial, at: 35, want: undefined },
      { name: 'before any test (collection)', spans: serial, at: 1, want: undefined },
      { name: 'no spans at all', spans: [], at: 5, want: undefined },
      { name: 'two xdist workers at once, no process known: unset', spans: xdist, at: 20, want: undefined },
      { name: 'two xdist workers, the process is worker 200', spans: xdist, at: 20, pids: [200], want: B },
      { name: 'two xdist workers, a child of worker 100 (its parent)', spans: xdist, at: 20, pids: [4242, 100], want: A },
      { name: 'two xdist workers, a process of neither: time alone, unset', spans: xdist, at: 20, pids: [4242, 1], want: undefined },
      { name: 'only one worker busy then', spans: xdist, at: 12, want: A },
      { name: 'worker 100 between its tests: not given worker 200\'s test', spans: xdist, at: 33, pids: [100], want: undefined },
      { name: 'a process that ran no tests, only one worker busy: time alone', spans: xdist, at: 33, pids: [4242, 1], want: B },
      { name: 'pytester inside a test: the innermost', spans: nested, at: 45, want: 'inner.py::test_deep' },
      { name: 'pytester inside a test, outside the inner run', spans: nested, at: 60, want: 'outer.py::test_runs_pytest' },
      { name: 'one process, overlapping without nesting: unset', spans: [span(A, 10, 30), span(B, 20, 40)], at: 25, want: undefined },
      { name: 'the skew never wins over a span that holds the moment', spans: [span(A, 10, 20), span(B, 21, 30, 200)], at: 20.5, want: undefined },
      { name: 'held by one span, near one of another process', spans: [span(A, 10, 20), span(B, 21, 30, 200)], at: 19.5, want: A },
      // The boundary, to the µs: at or before a span's end, the span; a neighbour within the tolerance never undoes it.
      { name: 'a µs before the call ends, the next test 0.1 ms later', spans: tight, at: 19.999, pids: [100], want: A },
      { name: 'exactly at the call\'s end', spans: tight, at: 20, pids: [100], want: A },
      { name: 'touching phases: at one\'s end and the next one\'s start, the one that ends', spans: touching, at: 20, pids: [100], want: A },
      { name: 'touching phases, a µs later: the next', spans: touching, at: 20.001, pids: [100], want: B },
      { name: 'between two tests, nearer the first (both within the tolerance)', spans: tight, at: 20.04, pids: [100], want: A },
      { name: 'between two tests, nearer the second', spans: tight, at: 20.06, pids: [100], want: B },
      { name: 'between two tests, nearer the first, by time alone', spans: tight, at: 20.04, want: A },
      { name: 'exactly halfway between two tests: cannot be told', spans: tight, at: 20.05, pids: [100], want: undefined },
    ];
    for (const c of cases) {
      it(c.name, () => assert.equal(testSpanAt(c.spans, c.at, c.pids)?.nodeid, c.want));
    }
  });

  describe('testGapAt', () => {
    const spans = [span('t.py::test_a', 10, 20), span('t.py::test_a', 21, 22, 100, 'teardown'), span('t.py::test_b', 40, 50), span('t.py::test_c', 10, 50, 200)];
    it('between two tests of its process, beyond the tolerance: names both', () => {
      assert.deepEqual(testGapAt(spans, 30, [100]), { before: 't.py::test_a', after: 't.py::test_b' });
    });
    it('none when a test holds it or is near, before the first test, after the last, or by time alone over several processes', () => {
      assert.equal(testGapAt(spans, 15, [100]), undefined);
      assert.equal(testGapAt(spans, 23, [100]), undefined);
      assert.equal(testGapAt(spans, 5, [100]), undefined);
      assert.equal(testGapAt(spans, 60, [100]), undefined);
      assert.equal(testGapAt(spans, 30), undefined);
    });
  });

  describe('attributeTests', () => {
    it('the final outcome as testOutcome; between tests, testGap instead of a test', () => {
      const spans = [
        { ...span('t.py::test_a', 10, 20), outcome: 'failed', final: 'failed' },
        { ...span('t.py::test_b', 40, 50), outcome: 'passed', final: 'passed' },
      ];
      const proc = { process: { pid: 100, comm: 'python3' } };
      const out = attributeTests([attempt(19.999, proc), attempt(45, proc), attempt(30, { ...proc, test: 'stale', testOutcome: 'passed' })], spans);
      assert.deepEqual(
        out.map((a) => [a.test, a.testOutcome, a.testGap]),
        [
          ['t.py::test_a', 'failed', undefined],
          ['t.py::test_b', 'passed', undefined],
          [undefined, undefined, { before: 't.py::test_a', after: 't.py::test_b' }],
        ],
      );
      assert.ok(!('testOutcome' in (out[2] as object)) && !('test' in (out[2] as object)));
      assert.equal(attributeTests([attempt(15, { test: 't.py::test_a' })], spans)[0]?.testOutcome, 'failed', 'a test from the fold gets its outcome');
    });

    it('sets test from the spans, keeps order and every other field', () => {
      const spans = [span('t.py::test_a', 10, 20), span('t.py::test_b', 30, 40)];
      const out = attributeTests([attempt(35, { phase: 'src_test' }), attempt(15), attempt(25)], spans);
      assert.deepEqual(
        out.map((a) => [a.firstAtMs, a.test, a.phase]),
        [
          [35, 't.py::test_b', 'src_test'],
          [15, 't.py::test_a', undefined],
          [25, undefined, undefined],
        ],
      );
      assert.ok(!('test' in (out[2] as object)), 'no test member when none');
    });

    it('with the process known: its own test, or none when its spans are ambiguous', () => {
      const spans = [span('t.py::test_a', 10, 30, 100), span('t.py::test_b', 15, 35, 200)];
      const byTime = attempt(20, { test: 't.py::test_a' });
      assert.equal(attributeTests([byTime], spans)[0]?.test, 't.py::test_a', 'a test from the fold stays without a process');
      assert.equal(attributeTests([{ ...byTime, process: { pid: 200, comm: 'python3' } }], spans)[0]?.test, 't.py::test_b');
      assert.equal(attributeTests([attempt(20, { process: { pid: 300, ppid: 1, comm: 'curl' } })], spans)[0]?.test, undefined);
    });

    it('no spans: the attempts unchanged', () => {
      const list = [attempt(1, { test: 'x' }), attempt(2)];
      assert.deepEqual(attributeTests(list, []), list);
    });
  });

  describe('analyze with spans', () => {
    it('the same destination from two tests stays two attempts, each with its test', () => {
      const p = new Packets();
      const quote = (port: number) => ({ proto: 'tcp' as const, src: BUILD_V4, srcPort: port, dst: '203.0.113.10', dstPort: 443 });
      p.syn('veth', 12, BUILD_V4, 50000, '203.0.113.10', 443).netUnreachable('veth', 12.1, MONITOR_V4, BUILD_V4, quote(50000));
      p.syn('veth', 13, BUILD_V4, 50001, '203.0.113.10', 443).netUnreachable('veth', 13.1, MONITOR_V4, BUILD_V4, quote(50001));
      p.syn('veth', 32, BUILD_V4, 50002, '203.0.113.10', 443).netUnreachable('veth', 32.1, MONITOR_V4, BUILD_V4, quote(50002));
      p.syn('veth', 60, BUILD_V4, 50003, '203.0.113.10', 443).netUnreachable('veth', 60.1, MONITOR_V4, BUILD_V4, quote(50003));
      const tests = [span('t.py::test_a', 10, 20), span('t.py::test_b', 30, 40)];
      const got = analyze(p.list, { buildStartMs: T0, tests });
      assert.deepEqual(
        got.map((a) => [a.firstAtMs, a.count, a.test]),
        [
          [12, 2, 't.py::test_a'],
          [32, 1, 't.py::test_b'],
          [60, 1, undefined],
        ],
      );
      assert.deepEqual(
        analyze(p.list, { buildStartMs: T0 }).map((a) => [a.count, a.test]),
        [[4, undefined]],
        'without spans, one attempt as before',
      );
    });
  });
});
