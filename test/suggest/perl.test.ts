/**
 * TAP test files that need the internet (src/suggest/perl.ts and its place in suggest()), pure: the exact patch
 * for the fixture ebuild (no eclass: rm) and for perl-module ebuilds written as ::gentoo's are (perl_rm_files at
 * the start of src_test, a new src_test calling perl-module_src_test), applied back; never pytest's words.
 */
import assert from 'node:assert/strict';
import type { Attempt } from '../../src/model/types.js';
import { applyPatch, suggest } from '../../src/suggest/index.js';
import { removeTestFiles } from '../../src/suggest/perl.js';
import { attempt, build, fixture } from '../helpers/builds.js';

const lookup = (test: string | undefined, host = 'mirror.cpan.example'): Attempt =>
  attempt({ kind: 'dns', scope: 'external', family: 4, address: '10.255.255.53', port: 53, hostname: host, qtype: 'A', count: 1, firstAtMs: 100, outcome: 'refused', phase: 'src_test', ...(test ? { test } : {}), process: { pid: 50, ppid: 49, comm: 'perl', argv: ['/usr/bin/perl', test ?? 'x.pl'] }, allowed: false });
const added = (patch: string | undefined) => (patch ?? '').split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
const PYTEST_WORDS = /pytest|EPYTEST/;

const PERL_MODULE = `# Copyright 2026 Gentoo Authors
EAPI=8

DIST_AUTHOR=SOMEONE
DIST_VERSION=1.02
inherit perl-module

DESCRIPTION="a CPAN distribution"
SLOT="0"
KEYWORDS="~amd64"
`;

describe('Perl test files (suggest/perl)', () => {
  it('the fixture (no eclass): rm t/net.t at the start of its src_test, applied back', () => {
    const text = fixture('perl-internet');
    const b = build('perl-internet', [lookup('t/net.t'), lookup('t/net.t')], ['DnsLookup', 'DnsLookup']);
    const [s, ...rest] = suggest(b, text);
    assert.equal(rest.length, 0, JSON.stringify(rest));
    assert.equal(s?.cause, 'deselect-tests');
    assert.deepEqual(s?.attempts, [0, 1]);
    assert.deepEqual(added(s?.patch), ['+\trm t/net.t || die']);
    assert.doesNotMatch(`${s?.summary}\n${s?.patch}`, PYTEST_WORDS);
    assert.match(applyPatch(text, s?.patch as string), /src_test\(\) \{\n\trm t\/net\.t \|\| die\n\tprove -v t\/ \|\| die "tests failed"\n\}/);
  });

  it('perl-module without src_test: a new src_test with perl_rm_files, then perl-module_src_test; the summary says NO_NETWORK_TESTING was set', () => {
    const b = build('perl-internet', [lookup('t/net.t'), lookup('t/dns/resolve.t', 'dns.example')], ['DnsLookup', 'DnsLookup']);
    const [s] = suggest(b, PERL_MODULE);
    assert.deepEqual(added(s?.patch), ['+', '+src_test() {', '+\tperl_rm_files t/dns/resolve.t t/net.t', '+\tperl-module_src_test', '+}']);
    assert.match(s?.summary ?? '', /remove the 2 Perl test files that tried the internet, with perl_rm_files at the start of a new src_test/);
    assert.match(s?.summary ?? '', /exported NO_NETWORK_TESTING and these files ran all the same/);
    assert.doesNotMatch(`${s?.summary}\n${s?.patch}`, PYTEST_WORDS);
  });

  it("perl-module with a src_test: into it, before the suite runs; DIST_TEST with `network` is named as the smaller change", () => {
    const text = `${PERL_MODULE}DIST_TEST="do network"\n\nsrc_test() {\n\tperl_rm_files t/pod.t\n\tperl-module_src_test\n}\n`;
    const [s] = suggest(build('perl-internet', [lookup('t/net.t')], ['DnsLookup']), text);
    assert.deepEqual(added(s?.patch), ['+\tperl_rm_files t/net.t']);
    assert.match(applyPatch(text, s?.patch as string), /src_test\(\) \{\n\tperl_rm_files t\/net\.t\n\tperl_rm_files t\/pod\.t\n\tperl-module_src_test\n\}/);
    assert.match(s?.summary ?? '', /DIST_TEST has `network`.*dropping `network` from DIST_TEST/);
  });

  it('files the ebuild removes already, a one-line src_test: no patch, and why', () => {
    const text = `${PERL_MODULE}\nsrc_test() {\n\tperl_rm_files t/net.t\n\tperl-module_src_test\n}\n`;
    assert.equal(removeTestFiles(text, ['t/net.t']).problem, 'the ebuild removes these files already');
    const [s] = suggest(build('perl-internet', [lookup('t/net.t')], ['DnsLookup']), `${PERL_MODULE}src_test() { perl-module_src_test; }\n`);
    assert.equal(s?.patch, undefined);
    assert.match(s?.summary ?? '', /src_test is written on one line, so no patch: remove them at the start of src_test \(perl_rm_files t\/net\.t\)/);
  });

  it('pytest ids in the same build keep their EPYTEST_DESELECT suggestion, apart from the Perl one', () => {
    const py = attempt({ kind: 'tcp', scope: 'external', family: 4, address: '203.0.113.10', port: 80, count: 1, firstAtMs: 200, outcome: 'unreachable', phase: 'src_test', test: 'tests/test_net.py::test_download', allowed: false });
    const out = suggest(build('perl-internet', [lookup('t/net.t'), py], ['DnsLookup', 'ExternalConnect']), PERL_MODULE);
    assert.deepEqual(out.map((s) => [s.cause, s.attempts]), [['deselect-tests', [0]], ['deselect-tests', [1]]]);
    assert.match(out[1]?.summary ?? '', /EPYTEST_DESELECT/);
    assert.doesNotMatch(out[0]?.summary ?? '', PYTEST_WORDS);
  });
});
