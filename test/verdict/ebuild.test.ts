/**
 * verdict/ebuild.ts without root: every ebuild verdict path from inputs recorded by real `netaudit ebuild`
 * runs (test/fixtures/judge/*.json: the attempts as analyze gave them, the phase markers, Portage's build log,
 * the policy and how the build ended), plus the cases the fixture repository has no ebuild for, made from a
 * recording with one field changed (said where).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Attempt, Phase } from '../../src/model/types.js';
import { judgeEbuild, type EbuildJudgeInput, type EbuildPolicy } from '../../src/verdict/index.js';
import { ROOT } from '../helpers/cli.js';
import { HAS_VERSION_DIE } from '../helpers/logs.js';

const DIR = path.join(ROOT, 'test/fixtures/judge');
const EXPECTED = JSON.parse(readFileSync(path.join(ROOT, 'fixtures/repo/expected.json'), 'utf8')) as Record<string, { verdict: string; allowTestNetwork?: { verdict: string } }>;

interface Recorded extends EbuildJudgeInput {
  readonly name: string;
}

function recorded(file: string): Recorded {
  return JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as Recorded;
}

const keywords = (input: EbuildJudgeInput) => judgeEbuild(input).findings.map((f) => f.keyword);

describe('judgeEbuild on recorded builds', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

  it('has a recording of every fixture ebuild, and of the declared network tests with ALLOW_TEST=network', () => {
    const names = new Set(files.map((f) => recorded(f).name));
    for (const cpv of Object.keys(EXPECTED).filter((k) => !k.startsWith('_'))) assert.ok(names.has(cpv), cpv);
    assert.ok(files.some((f) => f.endsWith('.allow-test-network.json')));
  });

  for (const file of files.filter((f) => !f.startsWith('fetch-'))) {
    it(`${file}: the verdict of fixtures/repo/expected.json`, () => {
      const input = recorded(file);
      const exp = EXPECTED[input.name];
      assert.ok(exp, input.name);
      const want = file.endsWith('.allow-test-network.json') ? (exp.allowTestNetwork?.verdict ?? exp.verdict) : exp.verdict;
      const judged = judgeEbuild(input);
      assert.equal(judged.verdict, want, JSON.stringify(judged.findings, null, 1));
      // Findings index into the judged attempts; every phase says whether Portage sandboxes it.
      for (const f of judged.findings) if (f.attempt !== undefined) assert.ok(judged.attempts[f.attempt], f.message);
      assert.ok(judged.phases.every((p) => typeof p.sandboxed === 'boolean'));
    });
  }

  it('breaks: blocked attempts in the failed sandboxed phase, quoted from the log, and PhaseFailed', () => {
    const judged = judgeEbuild(recorded('test-resolve-1.json'));
    assert.equal(judged.verdict, 'breaks');
    const dns = judged.findings.filter((f) => f.keyword === 'DnsLookup');
    assert.equal(dns.length, 2);
    assert.ok(dns.every((f) => f.level === 'error' && f.phase === 'src_test' && (f.logLines?.length ?? 0) > 0), JSON.stringify(dns));
    const failed = judged.findings.find((f) => f.keyword === 'PhaseFailed');
    assert.match(failed?.message ?? '', /^src_test failed \(exit 2\) after 2 network attempt\(s\) in that phase$/);
    assert.ok(failed?.logLines?.some((l) => /ERROR: net-test\/test-resolve-1::.* failed \(test phase\)/.test(l)), JSON.stringify(failed));
  });

  it('a pytest suite: the finding of the attempt names the test that made it (from the plugin, recorded)', () => {
    const judged = judgeEbuild(recorded('pytest-internet-1.json'));
    assert.equal(judged.verdict, 'breaks');
    const connect = judged.findings.find((f) => f.keyword === 'ExternalConnect');
    assert.equal(connect?.test, 'tests/test_net.py::test_download');
    assert.match(connect?.message ?? '', /^connect to 203\.0\.113\.10:80 \(HTTP\) in src_test \(test tests\/test_net\.py::test_download\): /);
    assert.equal(judged.attempts[connect?.attempt ?? -1]?.test, 'tests/test_net.py::test_download');
  });

  it('unsandboxed phases: pkg_setup lookups are allowed and clean', () => {
    const judged = judgeEbuild(recorded('setup-network-1.json'));
    assert.equal(judged.verdict, 'clean');
    assert.deepEqual(judged.attempts.map((a) => [a.phase, a.allowed, a.allowedBy]), [
      ['pkg_setup', true, 'phase pkg_setup is not sandboxed'],
      ['pkg_setup', true, 'phase pkg_setup is not sandboxed'],
    ]);
    assert.equal(judged.phases.find((p) => p.name === 'pkg_setup')?.sandboxed, false);
    assert.equal(judged.phases.find((p) => p.name === 'src_compile')?.sandboxed, true);
  });

  it('RESTRICT=network-sandbox opens src_compile', () => {
    const judged = judgeEbuild(recorded('restrict-network-sandbox-1.json'));
    assert.equal(judged.verdict, 'clean');
    assert.ok(judged.attempts.length > 0 && judged.attempts.every((a) => a.allowedBy === 'RESTRICT=network-sandbox'));
  });

  it('test_network with the default ALLOW_TEST: Portage skips src_test, said as TestsSkipped', () => {
    const input = recorded('test-network-fails-1.json');
    assert.deepEqual(input.policy.allowTest, []);
    const judged = judgeEbuild(input);
    assert.equal(judged.verdict, 'clean');
    const skipped = judged.findings.find((f) => f.keyword === 'TestsSkipped');
    assert.equal(skipped?.level, 'info');
    assert.match(skipped?.message ?? '', /^src_test did not run: RESTRICT=test and ALLOW_TEST="", so Portage skips it; the tests declare PROPERTIES=test_network$/);
    assert.match(skipped?.hint ?? '', /--allow-test network/);
  });

  it('test_network with ALLOW_TEST=network: the lookups are allowed; a passing suite is clean', () => {
    const judged = judgeEbuild(recorded('test-network-declared-1.allow-test-network.json'));
    assert.equal(judged.verdict, 'clean');
    assert.ok(judged.attempts.length > 0 && judged.attempts.every((a) => a.allowedBy === 'PROPERTIES=test_network'));
    assert.ok(!keywords(recorded('test-network-declared-1.allow-test-network.json')).includes('TestsSkipped'));
  });

  it('test_network with ALLOW_TEST=network, failing: NetworkTestsFailed, never "another cause"', () => {
    const input = recorded('test-network-fails-1.allow-test-network.json');
    const judged = judgeEbuild(input);
    assert.equal(judged.verdict, 'fails-without-network');
    const ks = judged.findings.map((f) => f.keyword);
    assert.ok(ks.includes('NetworkTestsFailed'), ks.join(' '));
    assert.ok(!ks.includes('BuildFailedWithoutNetwork') && !ks.includes('UnsandboxedPhaseFailed') && !ks.includes('PhaseFailed'), ks.join(' '));
    const f = judged.findings.find((x) => x.keyword === 'NetworkTestsFailed');
    assert.equal(f?.level, 'warning');
    assert.match(f?.message ?? '', /src_test failed \(exit \d+\) in tests declared PROPERTIES=test_network, run because ALLOW_TEST="network"/);
    assert.ok(f?.logLines?.some((l) => /online test suite failed/.test(l)), JSON.stringify(f?.logLines));
  });

  it('failure without attempts: fails-without-network with BuildFailedWithoutNetwork and PhaseFailed (info)', () => {
    const judged = judgeEbuild(recorded('unrelated-failure-1.json'));
    assert.equal(judged.verdict, 'fails-without-network');
    assert.deepEqual(
      judged.findings.map((f) => [f.keyword, f.level]),
      [
        ['BuildFailedWithoutNetwork', 'info'],
        ['PhaseFailed', 'info'],
      ],
    );
  });

  it('fetch failure: FetchFailed quoting Portage, fails-without-network, nothing built', () => {
    const judged = judgeEbuild(recorded('fetch-fail-1.json'));
    assert.equal(judged.verdict, 'fails-without-network');
    assert.deepEqual(judged.attempts, []);
    assert.deepEqual(judged.phases, []);
    const [f] = judged.findings;
    assert.equal(f?.keyword, 'FetchFailed');
    assert.ok(f?.logLines?.some((l) => /VERIFY FAILED/.test(l)), JSON.stringify(f));
  });

  it('metadata failure (error text as Portage gave it for a broken global scope): MetadataError', () => {
    const error = "PortageKeyError: 'net-test/broken-scope-1'";
    const judged = judgeEbuild({ attempts: [], phases: [], log: '', policy: { properties: [], restrict: [], allowTest: [] }, outcome: { stage: 'metadata', error } });
    assert.equal(judged.verdict, 'fails-without-network');
    assert.deepEqual(
      judged.findings.map((f) => [f.keyword, f.level, f.message]),
      [['MetadataError', 'error', `Portage cannot read this ebuild: ${error}`]],
    );
  });
});

describe('judgeEbuild on recordings with one field changed', () => {
  it('failure in an unsandboxed phase (setup-network-1 with pkg_setup exiting 1): UnsandboxedPhaseFailed, not breaks', () => {
    const input = recorded('setup-network-1.json');
    const phases: Phase[] = input.phases.map((p) => (p.name === 'pkg_setup' ? { ...p, exitCode: 1 } : p)).filter((p) => p.name === 'pkg_setup' || p.startMs < (input.phases.find((q) => q.name === 'pkg_setup')?.startMs ?? 0));
    // A blocked attempt before the failure too, so that the command rule alone would say breaks.
    const attempts: Attempt[] = [...input.attempts, { ...(input.attempts[0] as Attempt), phase: 'src_unpack', hostname: 'other.example' }];
    const judged = judgeEbuild({ ...input, phases, attempts, outcome: { stage: 'build', exitCode: 1, capture: { dropped: 0 } } });
    assert.equal(judged.verdict, 'fails-without-network');
    const f = judged.findings.find((x) => x.keyword === 'UnsandboxedPhaseFailed');
    assert.match(f?.message ?? '', /^pkg_setup failed \(exit 1\); Portage does not sandbox this phase/);
  });

  it('live ebuild (compile-fetch-1 with PROPERTIES=live and its lookups in src_unpack): allowed, clean', () => {
    const input = recorded('compile-fetch-1.json');
    const attempts = input.attempts.map((a) => ({ ...a, phase: 'src_unpack' }));
    const live: EbuildPolicy = { ...input.policy, properties: [...input.policy.properties, 'live'] };
    const judged = judgeEbuild({ ...input, attempts, policy: live, phases: [], outcome: { stage: 'build', exitCode: 0, capture: { dropped: 0 } } });
    assert.equal(judged.verdict, 'clean');
    assert.ok(judged.attempts.every((a) => a.allowedBy === 'PROPERTIES=live in src_unpack'));
    // The same lookups in src_compile of a live ebuild are still sandboxed.
    const inCompile = judgeEbuild({ ...input, policy: live, outcome: { stage: 'build', exitCode: 1, capture: { dropped: 0 } } });
    assert.equal(inCompile.verdict, 'breaks');
  });

  it('a phase that died on has_version (unrelated-failure-1 with a has_version die block): PackageQueryNotInstalled, fails-without-network', () => {
    const input = recorded('unrelated-failure-1.json');
    const at = input.log.indexOf(' * ERROR: ');
    assert.ok(at > 0);
    const log = input.log.slice(0, at) + HAS_VERSION_DIE.split('\n').slice(1).join('\n').replaceAll('net-test/hv-1', 'net-test/unrelated-failure-1') + '\n';
    const judged = judgeEbuild({ ...input, log });
    assert.equal(judged.verdict, 'fails-without-network');
    const f = judged.findings.find((x) => x.keyword === 'PackageQueryNotInstalled');
    assert.ok(f, JSON.stringify(judged.findings, null, 1));
    assert.equal(f.phase, 'src_compile');
    assert.equal(f.level, 'warning');
    assert.match(f.message, /^src_compile died on has_version\/best_version: they answer from the package database \(\/var\/db\/pkg\)/);
    assert.ok(f.logLines?.some((l) => l.startsWith('has_version -b ">=dev-build/cmake-3.20"')), JSON.stringify(f.logLines));
    // The plain phase failure is still there; no recorded fixture build gets this finding.
    assert.ok(judged.findings.some((x) => x.keyword === 'PhaseFailed'));
    for (const file of readdirSync(DIR).filter((x) => x.endsWith('.json'))) assert.ok(!keywords(recorded(file)).includes('PackageQueryNotInstalled'), file);
  });

  it('an incomplete capture is said, whatever the verdict', () => {
    const input = recorded('clean-build-1.json');
    const judged = judgeEbuild({ ...input, outcome: { stage: 'build', exitCode: 0, capture: { dropped: 3, incomplete: ['lo'] } } });
    assert.equal(judged.verdict, 'clean');
    assert.match(judged.findings.find((f) => f.keyword === 'CaptureIncomplete')?.message ?? '', /3 packets dropped by the kernel, no end marker on lo/);
  });
});
