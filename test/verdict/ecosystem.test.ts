import assert from 'node:assert/strict';
import { ecosystemHint, testEcosystem } from '../../src/verdict/ecosystem.js';
import { attemptFindings } from '../../src/verdict/findings.js';
import { attemptOf, type Attempt, type AttemptFields } from '../../src/model/types.js';

const attempt = (extra: Partial<AttemptFields> = {}): Attempt =>
  attemptOf({ kind: 'dns', scope: 'external', family: 4, address: '192.0.2.53', port: 53, hostname: 'cpan.example', qtype: 'A', count: 1, firstAtMs: 5, phase: 'src_test', allowed: false, ...extra });
const END = { exitCode: 1, capture: { dropped: 0 } };
const PYTEST_WORDS = /pytest|EPYTEST|epytest/;

describe('test ecosystems (verdict/ecosystem)', () => {
  it('tells the ecosystem from the test id, else from the process', () => {
    assert.equal(testEcosystem({ test: 't/net.t' }), 'perl');
    assert.equal(testEcosystem({ test: 'tests/test_net.py::test_fetch' }), 'pytest');
    assert.equal(testEcosystem({ test: 'pkg/mod.py::pkg.mod.func' }), 'pytest');
    assert.equal(testEcosystem({ test: 'tests.test_net.NetTest.test_lookup' }), 'unittest');
    assert.equal(testEcosystem({ process: { pid: 3, comm: 'perl', argv: ['/usr/bin/perl5.40.0', '-e', '1'] } }), 'perl');
    assert.equal(testEcosystem({ process: { pid: 3, comm: 'curl', argv: ['curl', 'http://x.example/'] } }), undefined);
    assert.equal(testEcosystem({}), undefined);
  });

  it("gives a Perl test's lookup the Perl team's idiom, naming its file, and never pytest", () => {
    const [f] = attemptFindings([attempt({ test: 't/net.t' })], END);
    assert.equal(f?.keyword, 'DnsLookup');
    assert.match(f?.hint ?? '', /perl_rm_files t\/net\.t/);
    assert.match(f?.hint ?? '', /NO_NETWORK_TESTING/);
    assert.match(f?.hint ?? '', /DIST_TEST/);
    assert.doesNotMatch(f?.hint ?? '', PYTEST_WORDS);
    // A connect by perl itself, no test file known: still Perl's idiom.
    const [g] = attemptFindings([attempt({ kind: 'tcp', address: '203.0.113.10', port: 443, hostname: undefined, qtype: undefined, process: { pid: 9, comm: 'perl', argv: ['perl', 'x.pl'] } })], END);
    assert.equal(g?.keyword, 'ExternalConnect');
    assert.match(g?.hint ?? '', /perl_rm_files t\/FILE\.t/);
    assert.doesNotMatch(g?.hint ?? '', PYTEST_WORDS);
  });

  it("gives a unittest test's lookup the unittest idiom, and never pytest", () => {
    const [f] = attemptFindings([attempt({ test: 'tests.test_net.NetTest.test_lookup' })], END);
    assert.match(f?.hint ?? '', /sed -i -e 's:def test_lookup\(:def _test_lookup\(:' tests\/test_net\.py \|\| die/);
    assert.match(f?.hint ?? '', /eunittest/);
    assert.doesNotMatch(f?.hint ?? '', PYTEST_WORDS);
  });

  it('leaves pytest suites, unknown suites and other keywords to the default hints', () => {
    const [f] = attemptFindings([attempt({ test: 'tests/test_net.py::test_fetch' })], END);
    assert.match(f?.hint ?? '', /EPYTEST_DESELECT/);
    assert.equal(ecosystemHint({ test: 't/net.t' }, 'HostServiceUnreachable'), undefined);
    assert.equal(ecosystemHint({}, 'DnsLookup'), undefined);
  });
});
