/** verdict/: the four verdicts, --fail-on order, Portage's phase policy, findings and their registry. */
import assert from 'node:assert/strict';
import { attemptOf, type Attempt, type AttemptFields } from '../../src/model/types.js';
import { FINDING_KINDS, applyPolicy, failsOn, findings, isSandboxed, judgeCommand, judgeEbuild, serviceAt, socketService, verdictSeverity, type EbuildPolicy } from '../../src/verdict/index.js';

function attempt(over: Partial<AttemptFields> = {}): Attempt {
  return attemptOf({ kind: 'tcp', scope: 'external', family: 4, address: '203.0.113.7', port: 443, count: 1, firstAtMs: 3, allowed: false, ...over });
}
const noDrops = { dropped: 0, undecodable: 0 };
const ebuildPolicy = (properties: string[] = [], restrict: string[] = [], allowTest: string[] = ['network']): EbuildPolicy => ({ properties, restrict, allowTest });
type End = Parameters<typeof judgeCommand>[0]['end'];
const judge = (attempts: Attempt[], end: End) => judgeCommand({ attempts, end });
const judgeAsEbuild = (attempts: Attempt[], end: End, policy: EbuildPolicy) =>
  judgeEbuild({ attempts, phases: [], log: '', policy, outcome: { stage: 'build', ...end } });

describe('verdicts', () => {
  it('clean, tolerates, breaks, fails-without-network', () => {
    assert.equal(judge([], { exitCode: 0, capture: noDrops }).verdict, 'clean');
    assert.equal(judge([attempt()], { exitCode: 0, capture: noDrops }).verdict, 'tolerates');
    assert.equal(judge([attempt()], { exitCode: 1, capture: noDrops }).verdict, 'breaks');
    assert.equal(judge([], { exitCode: 3, capture: noDrops }).verdict, 'fails-without-network');
    assert.equal(judge([attempt()], { exitCode: null, signal: 'SIGKILL', capture: noDrops }).verdict, 'breaks');
    assert.equal(judge([], { exitCode: 0, timedOut: true, capture: noDrops }).verdict, 'fails-without-network');
  });

  it('allowed attempts never count toward breaks or tolerates', () => {
    const a = attempt({ phase: 'pkg_setup' });
    assert.equal(judgeAsEbuild([a], { exitCode: 0, capture: noDrops }, ebuildPolicy()).verdict, 'clean');
    assert.equal(judgeAsEbuild([a], { exitCode: 1, capture: noDrops }, ebuildPolicy()).verdict, 'fails-without-network');
    assert.equal(judge([a], { exitCode: 1, capture: noDrops }).verdict, 'breaks', 'a plain command has no policy');
  });

  it('--fail-on: clean < fails-without-network < tolerates < breaks', () => {
    assert.deepEqual(['clean', 'fails-without-network', 'tolerates', 'breaks'].map((v) => verdictSeverity(v as never)), [0, 1, 2, 3]);
    assert.equal(failsOn('breaks', 'breaks'), true);
    assert.equal(failsOn('tolerates', 'breaks'), false);
    assert.equal(failsOn('tolerates', 'tolerates'), true);
    assert.equal(failsOn('fails-without-network', 'tolerates'), false);
    assert.equal(failsOn('breaks', 'never'), false);
  });
});

describe("Portage's phase policy", () => {
  it('sandboxes the src_* phases and not pkg_setup/pkg_pretend/... or misc-functions', () => {
    for (const p of ['src_unpack', 'src_prepare', 'src_configure', 'src_compile', 'src_test', 'src_install', 'clean', 'depend']) assert.equal(isSandboxed(p, ebuildPolicy()), true, p);
    for (const p of ['pkg_setup', 'pkg_pretend', 'pkg_config', 'pkg_info', 'pkg_preinst', 'pkg_postinst', 'pkg_prerm', 'pkg_postrm', 'setup', 'misc-functions']) {
      assert.equal(isSandboxed(p, ebuildPolicy()), false, p);
    }
  });

  it('test_network opens src_test, live opens src_unpack, RESTRICT=network-sandbox opens every phase but depend', () => {
    assert.equal(isSandboxed('src_test', ebuildPolicy(['test_network'])), false);
    assert.equal(isSandboxed('src_compile', ebuildPolicy(['test_network'])), true);
    // Portage's doebuild gives src_test the network for PROPERTIES=test_network whatever ALLOW_TEST says (ALLOW_TEST
    // only decides whether a RESTRICT=test suite runs at all: testsRestricted).
    assert.equal(isSandboxed('src_test', ebuildPolicy(['test_network'], ['test'], [])), false);
    assert.equal(isSandboxed('src_unpack', ebuildPolicy(['live'])), false);
    assert.equal(isSandboxed('src_compile', ebuildPolicy([], ['network-sandbox'])), false);
    assert.equal(isSandboxed('depend', ebuildPolicy([], ['network-sandbox'])), true);
    const [a] = applyPolicy([attempt({ phase: 'src_test' })], ebuildPolicy(['test_network']));
    assert.deepEqual([a?.allowed, a?.allowedBy], [true, 'PROPERTIES=test_network']);
  });
});

describe('findings', () => {
  it('every registered keyword is CamelCase, documented and has a level; every emitted keyword is registered', () => {
    const keywords = new Set(FINDING_KINDS.map((k) => k.keyword));
    assert.equal(keywords.size, FINDING_KINDS.length, 'no duplicates');
    for (const k of FINDING_KINDS) {
      assert.match(k.keyword, /^[A-Z][A-Za-z0-9]+$/);
      assert.ok(k.describe.length > 20, k.keyword);
      assert.ok(['error', 'warning', 'style', 'info'].includes(k.level));
    }
    const samples: Attempt[] = [
      attempt({ kind: 'dns', port: 53, hostname: 'pkg.example', qtype: 'A', address: '10.255.255.53' }),
      attempt(),
      attempt({ kind: 'udp', address: '203.0.113.40', port: 6771 }),
      attempt({ kind: 'icmp', port: undefined }),
      attempt({ scope: 'host-local', address: '127.0.0.1', port: 5432 }),
      attempt({ address: '10.1.2.3', port: 80 }),
      attempt({ address: '203.0.113.30', port: 3632 }),
      attempt({ scope: 'host-local', address: '127.0.0.1', port: 3128 }),
      attempt({ allowed: true, allowedBy: 'phase pkg_setup is not sandboxed', phase: 'pkg_setup' }),
    ];
    const emitted = [
      ...findings(samples, { exitCode: 1, capture: { dropped: 2, undecodable: 1 } }),
      ...findings([], { exitCode: 1, capture: noDrops }),
    ];
    for (const f of emitted) assert.ok(keywords.has(f.keyword), `${f.keyword} is not registered`);
    assert.ok(emitted.some((f) => f.keyword === 'CaptureIncomplete'));
    assert.ok(emitted.some((f) => f.keyword === 'BuildFailedWithoutNetwork'));
  });

  it('levels: error when the build failed, warning when it succeeded, info when allowed', () => {
    assert.equal(findings([attempt()], { exitCode: 1, capture: noDrops })[0]?.level, 'error');
    assert.equal(findings([attempt()], { exitCode: 0, capture: noDrops })[0]?.level, 'warning');
    assert.equal(findings([attempt({ allowed: true, allowedBy: 'RESTRICT=network-sandbox' })], { exitCode: 0, capture: noDrops })[0]?.level, 'info');
  });

  it('port-specific hints: distcc, a host database, an inherited proxy', () => {
    const hint = (a: Attempt): string => findings([a], { exitCode: 1, capture: noDrops })[0]?.hint ?? '';
    assert.match(hint(attempt({ address: '203.0.113.30', port: 3632 })), /network-sandbox-proxy/);
    assert.equal(findings([attempt({ address: '203.0.113.30', port: 3632 })], { exitCode: 1, capture: noDrops })[0]?.keyword, 'DistributedCompiler');
    assert.match(hint(attempt({ scope: 'host-local', address: '127.0.0.1', port: 5432 })), /private instance|own instance|inside the test/i);
    assert.equal(findings([attempt({ scope: 'host-local', address: '127.0.0.1', port: 3128 })], { exitCode: 1, capture: noDrops })[0]?.keyword, 'ProxyFromEnvironment');
    assert.equal(serviceAt(5432, 'tcp')?.service, 'PostgreSQL');
  });

  it('names from packets are never interpreted: control characters are escaped', () => {
    const f = findings([attempt({ kind: 'dns', port: 53, hostname: 'evil\nname\u001b[31m.example', qtype: 'A' })], { exitCode: 1, capture: noDrops })[0];
    assert.ok(f && !f.message.includes("\n") && !f.message.includes("\u001b"), f?.message);
  });
});

describe('abstract UNIX sockets of host services', () => {
  it('names X11 and D-Bus and gives their Gentoo fixes; an unknown socket gets the host-service hint', () => {
    const unix = (address: string) => findings([{ kind: 'unix', scope: 'host-local', address, count: 1, firstAtMs: 1, outcome: 'refused', allowed: false }], { exitCode: 1, capture: noDrops })[0];
    const x = unix('@/tmp/.X11-unix/X0');
    assert.equal(x?.keyword, 'HostServiceUnreachable');
    assert.match(x?.message ?? '', /UNIX socket @\/tmp\/\.X11-unix\/X0 \(X11 display\)/);
    assert.match(x?.hint ?? '', /virtualx.*virtx epytest/);
    assert.match(unix('@/tmp/dbus-AbC123')?.hint ?? '', /dbus-run-session/);
    assert.equal(socketService('@/tmp/.X11-unix/X0x'), undefined);
    assert.match(unix('@/run/example-agent')?.hint ?? '', /host's services are invisible/);
  });
});

describe('capture completeness', () => {
  it('a capture without its end marker is reported as incomplete', () => {
    const f = findings([], { exitCode: 0, capture: { dropped: 0, incomplete: ['lo'] } });
    assert.equal(f[0]?.keyword, 'CaptureIncomplete');
    assert.match(f[0]?.message ?? '', /no end marker on lo/);
  });

  it("the observer's lost records and a drain that timed out are incomplete evidence too (never silent)", () => {
    const [lost] = findings([], { exitCode: 0, capture: { dropped: 0, tracerLost: 12 } });
    assert.equal(lost?.keyword, 'CaptureIncomplete');
    assert.match(lost?.message ?? '', /12 syscall records lost by the observer: attempts may be missing/);
    const [late] = findings([], { exitCode: 0, capture: { dropped: 0, tracerLost: 0, tracerIncomplete: true } });
    assert.match(late?.message ?? '', /the observer did not drain in time/);
    assert.deepEqual(findings([], { exitCode: 0, capture: { dropped: 0, tracerLost: 0, tracerIncomplete: false } }), []);
  });
});
