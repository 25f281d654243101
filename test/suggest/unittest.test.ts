/**
 * unittest tests that need the internet (src/suggest/unittest.ts and its place in suggest()), pure: the id's
 * parts, the exact patch for the fixture ebuild (a new src_prepare renaming the method) and for a distutils-r1
 * ebuild with its own src_prepare, applied back; never pytest's words.
 */
import assert from 'node:assert/strict';
import type { Attempt } from '../../src/model/types.js';
import { applyPatch, suggest } from '../../src/suggest/index.js';
import { renameLines, unittestTest } from '../../src/suggest/unittest.js';
import { attempt, build, fixture } from '../helpers/builds.js';

const lookup = (test: string, qtype = 'A'): Attempt =>
  attempt({ kind: 'dns', scope: 'external', family: 4, address: '10.255.255.53', port: 53, hostname: 'pypi.example', qtype, count: 1, firstAtMs: 100, outcome: 'refused', phase: 'src_test', test, allowed: false });
const added = (patch: string | undefined) => (patch ?? '').split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));
const PYTEST_WORDS = /pytest|EPYTEST/;

describe('unittest tests (suggest/unittest)', () => {
  it('reads module, class and method from an id; nothing from what is not one', () => {
    assert.deepEqual(unittestTest('tests.test_net.Lookup.test_resolve'), { id: 'tests.test_net.Lookup.test_resolve', file: 'tests/test_net.py', method: 'test_resolve' });
    assert.deepEqual(unittestTest('test_net.Lookup.test_resolve')?.file, 'test_net.py');
    assert.equal(unittestTest('tests/test_net.py::test_x'), undefined);
    assert.equal(unittestTest('tests.test_net.Lookup.helper'), undefined);
    assert.deepEqual(renameLines([unittestTest('a.t.C.test_y') as never, unittestTest('a.t.C.test_x') as never, unittestTest('b.C.test_z') as never]), [
      '\t# Internet',
      "\tsed -i -e 's:def test_x(:def _test_x(:' -e 's:def test_y(:def _test_y(:' a/t.py || die",
      "\tsed -i -e 's:def test_z(:def _test_z(:' b.py || die",
    ]);
  });

  it('the fixture: a new src_prepare renames the method, applied back', () => {
    const text = fixture('unittest-internet');
    const id = 'tests.test_net.Lookup.test_resolve';
    const [s, ...rest] = suggest(build('unittest-internet', [lookup(id), lookup(id, 'AAAA')], ['DnsLookup', 'DnsLookup']), text);
    assert.equal(rest.length, 0);
    assert.equal(s?.cause, 'deselect-tests');
    assert.deepEqual(added(s?.patch), ['+', '+src_prepare() {', '+\tdefault', '+\t# Internet', "+\tsed -i -e 's:def test_resolve(:def _test_resolve(:' tests/test_net.py || die", '+}', '+']);
    assert.match(s?.summary ?? '', /^skip the unittest test that tried the internet by renaming its method in a new src_prepare/);
    assert.doesNotMatch(`${s?.summary}\n${s?.patch}`, PYTEST_WORDS);
    assert.match(applyPatch(text, s?.patch as string), /\tdefault\n\t# Internet\n\tsed/);
  });

  it('a distutils-r1 ebuild with its src_prepare: after distutils-r1_src_prepare; already renamed: no patch', () => {
    const text = 'EAPI=8\ninherit distutils-r1\ndistutils_enable_tests unittest\n\nsrc_prepare() {\n\tdistutils-r1_src_prepare\n}\n';
    const [s] = suggest(build('unittest-internet', [lookup('tests.test_a.A.test_get')], ['DnsLookup']), text);
    assert.match(applyPatch(text, s?.patch as string), /src_prepare\(\) \{\n\tdistutils-r1_src_prepare\n\t# Internet\n\tsed -i -e 's:def test_get\(:def _test_get\(:' tests\/test_a\.py \|\| die\n\}/);
    const renamed = `${text}# def _test_get(\n`;
    const [t] = suggest(build('unittest-internet', [lookup('tests.test_a.A.test_get')], ['DnsLookup']), renamed);
    assert.equal(t?.patch, undefined);
    assert.match(t?.summary ?? '', /renames them all already/);
  });
});
