/**
 * verdict/interfaces.ts: a build that lists its network interfaces, from crafted tracer evidence through the
 * analysis to the verdict and its findings, for commands and ebuilds; and the report schema with the new field.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeBuild } from '../../src/analyze/build.js';
import { interfaceQueryLine } from '../../src/model/format.js';
import { makeReport } from '../../src/model/report.js';
import { evidenceFromJson, type BuildEvidence } from '../../src/model/evidence.js';
import type { InterfaceEnumEvent } from '../../src/model/tracer-events.js';
import { attemptOf, type BuildResult, type Finding } from '../../src/model/types.js';
import { renderEbuildLines } from '../../src/report/ebuild-lines.js';
import { renderJunit } from '../../src/report/junit.js';
import { renderPkgcheckLines, renderTerminal } from '../../src/report/terminal.js';
import { validateReport } from '../../src/report/validate.js';
import { NO_INTERFACE_PATTERNS, isNoInterfaceLine, judgeCommand, judgeEbuild, type EbuildPolicy } from '../../src/verdict/index.js';
import { ROOT } from '../helpers/cli.js';
import { addrconfig, evidence, exit, fork, getifaddrs, ioctl, netlink } from '../helpers/ifenum.js';

const noDrops = { dropped: 0, undecodable: 0 };
const py = { pid: 42, ppid: 41, comm: 'python3', argv: ['python3', 'check.py'] };
const policy: EbuildPolicy = { properties: [], restrict: [], allowTest: [] };

/** Analyze the evidence and judge it as a plain command, as the command runner does. */
function judgeRun(ev: BuildEvidence, log?: string) {
  const analysis = analyzeBuild(ev);
  return judgeCommand({
    attempts: analysis.attempts,
    end: { exitCode: ev.end.exitCode, signal: ev.end.signal, timedOut: ev.end.timedOut, capture: analysis.gaps },
    interfaceQueries: analysis.interfaceQueries,
    ...(log !== undefined ? { log } : {}),
  });
}

/** Analyze and judge as an ebuild: one sandboxed src_test (or the given phases) that failed when the build did. */
function judgeBuiltEbuild(ev: BuildEvidence, over: { policy?: EbuildPolicy; log?: string; phase?: string } = {}) {
  const phase = over.phase ?? 'src_test';
  const failed = ev.end.exitCode !== 0;
  const phases = [{ name: phase, startMs: 0, endMs: 1500, ...(failed ? { exitCode: 1 } : { exitCode: 0 }) }];
  const analysis = analyzeBuild({ ...ev, phases });
  return judgeEbuild({
    attempts: analysis.attempts,
    phases,
    interfaceQueries: analysis.interfaceQueries,
    log: over.log ?? '',
    policy: over.policy ?? policy,
    outcome: { stage: 'build', exitCode: ev.end.exitCode, signal: ev.end.signal, timedOut: ev.end.timedOut, capture: analysis.gaps },
  });
}

const keywords = (fs: readonly Finding[]) => fs.map((f) => f.keyword);

describe('verdict: a build that lists its network interfaces', () => {
  it('failed, and the process that listed them exited 1: breaks, NoNetworkInterface naming the process and lo', () => {
    const j = judgeRun(evidence([...getifaddrs(py, 5), exit(py, 9, { exitCode: 1 })], { exitCode: 1 }));
    assert.equal(j.verdict, 'breaks');
    assert.deepEqual(keywords(j.findings), ['NoNetworkInterface']);
    const f = j.findings[0] as Finding;
    assert.equal(f.level, 'error');
    assert.equal(f.interfaceQuery, 0);
    assert.match(f.message, /^python3\[42\] listed the network interfaces \(RTM_GETLINK\) and then exited with status 1: under network-sandbox the build's only interface is lo$/);
    assert.match(f.hint ?? '', /loopback only/);
    assert.equal(j.interfaceQueries.length, 1);
    assert.equal(j.interfaceQueries[0]?.allowed, false);
  });

  it('a process it started failed (Open MPI: mpirun lists, a rank exits 1): breaks, with the Open MPI hint', () => {
    const mpirun = { pid: 100, comm: 'mpirun', argv: ['mpirun', '-n', '2', './hello'] };
    const rank = { pid: 102, ppid: 100, comm: 'hello' };
    const j = judgeRun(evidence([ioctl(mpirun, 5, 'SIOCGIFCONF'), fork(mpirun, 6, 102), exit(rank, 30, { exitCode: 1 }), exit(mpirun, 31, { exitCode: 0 })], { exitCode: 1 }));
    assert.equal(j.verdict, 'breaks');
    const f = j.findings[0] as Finding;
    assert.equal(f.keyword, 'NoNetworkInterface');
    assert.match(f.message, /mpirun\[100\] listed the network interfaces \(SIOCGIFCONF\) and hello\[102\], a process it started, exited with status 1/);
    assert.match(f.hint ?? '', /OMPI_MCA_btl_tcp_if_include=lo/);
  });

  it('killed by a signal counts as failing', () => {
    const j = judgeRun(evidence([netlink(py, 5, 'RTM_GETLINK'), exit(py, 9, { signal: 6 })], { exitCode: null, signal: 'SIGABRT' }));
    assert.equal(j.verdict, 'breaks');
    assert.match((j.findings[0] as Finding).message, /was killed by SIGABRT/);
  });

  it('failed, every listing process exited 0, no log line: fails-without-network, BuildFailedWithoutNetwork names the listing', () => {
    const other = { pid: 50, comm: 'make' };
    const j = judgeRun(evidence([...getifaddrs(py, 5), exit(py, 9, { exitCode: 0 }), exit(other, 20, { exitCode: 2 })], { exitCode: 2 }));
    assert.equal(j.verdict, 'fails-without-network');
    assert.deepEqual(keywords(j.findings), ['BuildFailedWithoutNetwork']);
    assert.match((j.findings[0] as Finding).message, /it listed its network interfaces \(python3\[42\], only lo under network-sandbox\), but no process that did failed/);
  });

  it('the log says none was found: breaks even when the process that listed them exited 0 (ebuild)', () => {
    const log = '>>> Test phase: net-misc/x-1\nrunning tests\nERROR: No network interfaces were found\n';
    const j = judgeBuiltEbuild(evidence([...getifaddrs(py, 5), exit(py, 9, { exitCode: 0 })], { exitCode: 1 }), { log });
    assert.equal(j.verdict, 'breaks');
    const f = j.findings.find((x) => x.keyword === 'NoNetworkInterface') as Finding;
    assert.deepEqual(f.logLines, ['ERROR: No network interfaces were found']);
    assert.equal(f.phase, 'src_test');
    assert.match(f.message, /the log says no usable interface was found/);
    assert.match(f.hint ?? '', /EPYTEST_DESELECT|RESTRICT=test/);
    const phaseFailed = j.findings.find((x) => x.keyword === 'PhaseFailed') as Finding;
    assert.equal(phaseFailed.level, 'error');
    assert.match(phaseFailed.message, /listed its network interfaces in that phase/);
    assert.ok(!keywords(j.findings).includes('BuildFailedWithoutNetwork'));
  });

  it('succeeded after listing: the verdict is unchanged (clean), one InterfaceEnumeration info finding', () => {
    const j = judgeRun(evidence([...getifaddrs(py, 5), ...getifaddrs({ ...py, pid: 43, comm: 'node' }, 6), exit(py, 9, { exitCode: 0 })]));
    assert.equal(j.verdict, 'clean');
    assert.deepEqual(keywords(j.findings), ['InterfaceEnumeration']);
    assert.equal((j.findings[0] as Finding).level, 'info');
    assert.match((j.findings[0] as Finding).message, /listed its network interfaces 2 times \(python3\[42\], node\[43\]\).*the build succeeded all the same/);
    // And a tolerating build stays tolerates.
    const withAttempt = judgeCommand({
      attempts: [attemptOf({ kind: 'tcp', scope: 'external', family: 4, address: '203.0.113.7', port: 443, count: 1, firstAtMs: 3, allowed: false })],
      end: { exitCode: 0, capture: noDrops },
      interfaceQueries: analyzeBuild(evidence(getifaddrs(py, 5))).interfaceQueries,
    });
    assert.equal(withAttempt.verdict, 'tolerates');
  });

  it("getaddrinfo's RTM_GETADDR is no listing: a failed build that only looked names up keeps fails-without-network, nothing about interfaces", () => {
    const j = judgeRun(evidence([addrconfig(py, 5), addrconfig(py, 6), exit(py, 9, { exitCode: 1 })], { exitCode: 1 }));
    assert.equal(j.verdict, 'fails-without-network');
    assert.deepEqual(j.interfaceQueries, []);
    assert.deepEqual(keywords(j.findings), ['BuildFailedWithoutNetwork']);
    assert.doesNotMatch((j.findings[0] as Finding).message, /interfaces/);
  });

  it('ebuild policy: a listing in a phase Portage does not sandbox is allowed and never makes it break', () => {
    const ev = evidence([...getifaddrs(py, 5), exit(py, 9, { exitCode: 1 })], { exitCode: 1 });
    const setup = judgeBuiltEbuild(ev, { phase: 'pkg_setup' });
    assert.equal(setup.verdict, 'fails-without-network');
    assert.equal(setup.interfaceQueries[0]?.allowed, true);
    assert.equal(setup.interfaceQueries[0]?.allowedBy, 'phase pkg_setup is not sandboxed');
    assert.ok(!keywords(setup.findings).includes('NoNetworkInterface'));
    const declared = judgeBuiltEbuild(ev, { policy: { properties: ['test_network'], restrict: ['test'], allowTest: ['network'] } });
    assert.notEqual(declared.verdict, 'breaks');
    assert.equal(declared.interfaceQueries[0]?.allowedBy, 'PROPERTIES=test_network');
    const sandboxed = judgeBuiltEbuild(ev);
    assert.equal(sandboxed.verdict, 'breaks');
    assert.deepEqual(sandboxed.findings.find((f) => f.keyword === 'NoNetworkInterface')?.phase, 'src_test');
  });

  it('blocked attempts and an implicated listing: breaks, both findings', () => {
    const ev = evidence([...getifaddrs(py, 5), exit(py, 9, { exitCode: 1 })], { exitCode: 1 });
    const analysis = analyzeBuild(ev);
    const j = judgeCommand({
      attempts: [attemptOf({ kind: 'tcp', scope: 'external', family: 4, address: '203.0.113.7', port: 443, count: 1, firstAtMs: 3, allowed: false })],
      end: { exitCode: 1, capture: noDrops },
      interfaceQueries: analysis.interfaceQueries,
    });
    assert.equal(j.verdict, 'breaks');
    assert.deepEqual(keywords(j.findings), ['ExternalConnect', 'NoNetworkInterface']);
  });

  it('the log patterns: Open MPI and test suites, not ordinary network errors', () => {
    for (const line of [
      'No network interfaces were found',
      'no network interface found',
      '[vm:03116] opal_ifinit: unable to find network interfaces.',
      'MPI_INIT has failed because at least one MPI process is unreachable',
      'At least one pair of MPI processes are unable to reach each other for',
    ]) {
      assert.ok(isNoInterfaceLine(line), line);
    }
    for (const line of ['Network is unreachable', 'Temporary failure in name resolution', 'found 3 interfaces']) assert.ok(!isNoInterfaceLine(line), line);
    assert.ok(NO_INTERFACE_PATTERNS.length >= 4);
  });
});

describe('report: interfaceQueries in the JSON schema and the reporters', () => {
  function result(): BuildResult {
    const ev = evidence([...getifaddrs(py, 5), exit(py, 9, { exitCode: 1 })], { exitCode: 1 });
    const j = judgeRun(ev);
    return {
      name: 'python3 check.py',
      kind: 'command',
      command: ['python3', 'check.py'],
      exitCode: 1,
      signal: null,
      timedOut: false,
      durationMs: 2000,
      verdict: j.verdict,
      attempts: j.attempts,
      findings: j.findings,
      capture: { packets: 0, dropped: 0, undecodable: 0 },
      interfaceQueries: j.interfaceQueries,
    };
  }

  it('a report with interfaceQueries and a finding indexing one is valid', async () => {
    const report = makeReport('run', [result()], '0.1.0');
    const v = await validateReport(JSON.parse(JSON.stringify(report)));
    assert.deepEqual(v, { ok: true });
  });

  it('rejects an interfaceQuery index past the queries, and an unknown method', async () => {
    const b = result();
    const bad = makeReport('run', [{ ...b, findings: [{ ...(b.findings[0] as Finding), interfaceQuery: 3 }] }], '0.1.0');
    const v = await validateReport(JSON.parse(JSON.stringify(bad)));
    assert.equal(v.ok, false);
    assert.match(v.ok ? '' : v.errors.join('\n'), /\/builds\/0\/findings\/0\/interfaceQuery: must index an interface query of the build \(0\.\.0\) \(got 3\)/);
    const method = JSON.parse(JSON.stringify(makeReport('run', [b], '0.1.0'))) as { builds: { interfaceQueries: { method: string }[] }[] };
    (method.builds[0]?.interfaceQueries[0] as { method: string }).method = 'procfs';
    const m = await validateReport(method);
    assert.equal(m.ok, false);
    assert.match(m.ok ? '' : m.errors.join('\n'), /interfaceQueries\/0\/method/);
  });

  it('a listing whose failure is a process it started names that process; an allowed one says why', () => {
    const q = { method: 'ioctl' as const, request: 'SIOCGIFCONF', count: 4, firstAtMs: 3, process: { pid: 100, comm: 'mpirun' }, failure: { pid: 102, comm: 'hello', exitCode: 1 }, allowed: false };
    assert.equal(interfaceQueryLine(q), 'SIOCGIFCONF ×4 by mpirun[100]: hello[102], started by it, exited with status 1');
    const { failure: _none, ...ok } = q;
    assert.equal(interfaceQueryLine({ ...ok, phase: 'pkg_setup', allowed: true, allowedBy: 'phase pkg_setup is not sandboxed' }), 'SIOCGIFCONF ×4 by mpirun[100] in pkg_setup: no failure after it, allowed (phase pkg_setup is not sandboxed)');
  });

  it('terminal, JUnit and pkgcheck lines show the listing and the finding', () => {
    const report = makeReport('run', [result()], '0.1.0');
    const term = renderTerminal(report, { color: false });
    assert.match(term, /^ {2}interfaces {2}RTM_GETLINK by python3\[42\]: exited with status 1$/m);
    assert.match(term, /NoNetworkInterface: python3\[42\] listed the network interfaces/);
    const junit = renderJunit(report);
    assert.match(junit, /<failure type="breaks" message="breaks under network-sandbox: 0 blocked attempts, no network interface but lo, exit status 1">/);
    assert.match(junit, /interface listings \(1, only lo under network-sandbox\):\n {2}RTM_GETLINK by python3\[42\]: exited with status 1\n/);
    assert.match(renderPkgcheckLines(report), /^python3 check\.py: NoNetworkInterface: python3\[42\] listed/m);
  });
});

describe('report: an ebuild broken by finding only lo, in its per-ebuild lines', () => {
  it('the header names the phase it broke in; the finding and its hint follow', () => {
    const j = judgeBuiltEbuild(evidence([...getifaddrs(py, 5), exit(py, 9, { exitCode: 1 })], { exitCode: 1 }));
    const b: BuildResult = {
      name: 'net-test/list-ifaces-1',
      kind: 'ebuild',
      command: ['ebuild', 'list-ifaces-1.ebuild', 'clean', 'test'],
      exitCode: 1,
      durationMs: 2000,
      verdict: j.verdict,
      attempts: j.attempts,
      findings: j.findings,
      capture: { packets: 0, dropped: 0 },
      interfaceQueries: j.interfaceQueries,
      ebuild: { category: 'net-test', package: 'list-ifaces', version: '1', path: '/r/net-test/list-ifaces/list-ifaces-1.ebuild' },
    };
    const text = renderEbuildLines(b);
    assert.match(text, /^net-test\/list-ifaces-1: BREAKS \(src_test\)\n/);
    assert.match(text, /^net-test\/list-ifaces-1: NoNetworkInterface: python3\[42\] listed the network interfaces \(RTM_GETLINK\) in src_test and then exited with status 1/m);
  });
});

describe('verdict: a recorded Open MPI run in the faithful sandbox (test/fixtures/evidence/mpi-mixed)', () => {
  const file = path.join(ROOT, 'test/fixtures/evidence/mpi-mixed.evidence.json');
  const ev = evidenceFromJson(JSON.parse(readFileSync(file, 'utf8')));

  it('the recording: getent sent RTM_GETADDR only, node an RTM_GETLINK dump, Open MPI SIOCGIFCONF and per-name ioctls; the build exited 1', () => {
    const enums = (ev.tracer?.events ?? []).filter((e): e is InterfaceEnumEvent => e.kind === 'interface-enum');
    const by = (comm: string) => [...new Set(enums.filter((e) => e.comm === comm).map((e) => e.request))].sort();
    assert.deepEqual(by('getent'), ['RTM_GETADDR']);
    assert.deepEqual(by('node'), ['RTM_GETADDR', 'RTM_GETLINK']);
    assert.ok(by('mpirun').includes('SIOCGIFCONF') && by('mpirun').includes('SIOCGIFFLAGS'), by('mpirun').join());
    assert.equal(ev.end.exitCode, 1);
  });

  it('the listings: node (exited 0), mpirun and both ranks (failed); getent none; breaks with the Open MPI hint on every NoNetworkInterface', () => {
    const j = judgeRun(ev);
    assert.equal(j.verdict, 'breaks');
    assert.deepEqual(
      j.interfaceQueries.map((q) => [q.process?.comm, q.request, q.failure !== undefined]),
      [
        ['node', 'RTM_GETLINK', false],
        ['mpirun', 'SIOCGIFCONF', true],
        ['hello', 'SIOCGIFCONF', true],
        ['hello', 'SIOCGIFCONF', true],
      ],
    );
    const mpirun = j.interfaceQueries[1];
    assert.deepEqual(mpirun?.failure, { pid: mpirun?.process?.pid, comm: 'mpirun', exitCode: 1 });
    const noIf = j.findings.filter((f) => f.keyword === 'NoNetworkInterface');
    assert.deepEqual(noIf.map((f) => f.interfaceQuery), [1, 2, 3]);
    for (const f of noIf) assert.match(f.hint ?? '', /OMPI_MCA_btl_tcp_if_include=lo/);
    const info = j.findings.filter((f) => f.keyword === 'InterfaceEnumeration');
    assert.equal(info.length, 1);
    assert.match(info[0]?.message ?? '', /node\[\d+\]/);
  });
});
