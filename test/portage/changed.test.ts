/** Which ebuilds `netaudit changed` selects (pure: src/portage/changed.ts) and the repos.conf reading beside it. */
import assert from 'node:assert/strict';
import {
  changedEbuilds,
  changedEclasses,
  ebuildPathOf,
  inheritChain,
  inheritedNames,
  namesPattern,
  parseNameStatus,
  usesAnyEclass,
} from '../../src/portage/changed.js';
import { parseMasters, parseReposConf } from '../../src/portage/repos.js';

describe('changed: selection from git diff --name-status -z', () => {
  const z = (...f: string[]) => f.join('\0') + '\0';

  it('parses plain entries, renames and copies (old and new path)', () => {
    const changes = parseNameStatus(z('A', 'a/b/b-1.ebuild', 'M', 'eclass/x.eclass', 'R087', 'a/c/c-1.ebuild', 'a/c/c-2.ebuild', 'C100', 'a/d/d-1.ebuild', 'a/e/e-1.ebuild', 'D', 'a/f/f-1.ebuild'));
    assert.deepEqual(changes, [
      { status: 'A', path: 'a/b/b-1.ebuild' },
      { status: 'M', path: 'eclass/x.eclass' },
      { status: 'R', path: 'a/c/c-2.ebuild', from: 'a/c/c-1.ebuild' },
      { status: 'C', path: 'a/e/e-1.ebuild', from: 'a/d/d-1.ebuild' },
      { status: 'D', path: 'a/f/f-1.ebuild' },
    ]);
    assert.deepEqual(parseNameStatus(''), []);
  });

  it('keeps names with spaces and newlines whole (-z)', () => {
    assert.deepEqual(parseNameStatus(z('A', 'odd dir/with\nnewline')), [{ status: 'A', path: 'odd dir/with\nnewline' }]);
  });

  it('rejects output that is not --name-status', () => {
    assert.throws(() => parseNameStatus(z('hello', 'x')), /unexpected git diff/);
    assert.throws(() => parseNameStatus('R100\0only-one\0'), /truncated/);
  });

  it('selects added, modified, renamed (new path) and copied ebuilds; skips deleted ones and other files', () => {
    const changes = parseNameStatus(
      z(
        'M', 'dev-libs/foo/foo-1.2.3-r1.ebuild',
        'A', 'dev-libs/bar/bar-2.0_rc1.ebuild',
        'R100', 'dev-libs/baz/baz-1.ebuild', 'dev-libs/baz/baz-1-r1.ebuild',
        'D', 'dev-libs/gone/gone-1.ebuild',
        'M', 'dev-libs/foo/metadata.xml',
        'M', 'dev-libs/foo/files/foo.patch',
        'A', 'dev-libs/foo/other-1.ebuild',
        'A', 'eclass/x.eclass',
        'A', 'profiles/foo/bar-1.ebuild',
        'M', 'dev-libs/foo/foo-1.2.3-r1.ebuild',
      ),
    );
    assert.deepEqual(
      changedEbuilds(changes).map((e) => e.path),
      ['dev-libs/bar/bar-2.0_rc1.ebuild', 'dev-libs/baz/baz-1-r1.ebuild', 'dev-libs/foo/foo-1.2.3-r1.ebuild'],
    );
  });

  it('knows an ebuild path: CATEGORY/PN/PN-VERSION.ebuild', () => {
    assert.deepEqual(ebuildPathOf('net-misc/curl/curl-8.5.0.ebuild'), { category: 'net-misc', package: 'curl', path: 'net-misc/curl/curl-8.5.0.ebuild' });
    assert.ok(ebuildPathOf('dev-python/python-dateutil/python-dateutil-2.9.0_p1-r2.ebuild'));
    assert.equal(ebuildPathOf('curl-8.5.0.ebuild'), undefined);
    assert.equal(ebuildPathOf('net-misc/curl/wget-1.ebuild'), undefined, 'PN must match the directory');
    assert.equal(ebuildPathOf('net-misc/curl/curl-x.ebuild'), undefined, 'not a version');
    assert.equal(ebuildPathOf('net-misc/curl/files/curl-1.ebuild'), undefined);
  });

  it('names changed eclasses, deleted ones and both sides of a rename included', () => {
    const changes = parseNameStatus(z('M', 'eclass/a.eclass', 'D', 'eclass/b.eclass', 'R090', 'eclass/c.eclass', 'eclass/d.eclass', 'M', 'eclass/README', 'M', 'x/eclass/e.eclass'));
    assert.deepEqual(changedEclasses(changes), ['a', 'b', 'c', 'd']);
  });
});

describe('changed: inherit chains', () => {
  it('reads inherit statements: plain, continued, conditional, with comments; not names behind variables', () => {
    const text = [
      '# inherit commented-out',
      'EAPI=8',
      'PYTHON_COMPAT=( python3_{11..13} )',
      'inherit distutils-r1 \\',
      '\toptfeature',
      '[[ ${PV} == 9999 ]] && inherit git-r3',
      'if [[ ${PV} == *9999* ]]; then inherit subversion; else inherit ${SCM} "quoted"; fi',
      'inherit toolchain-funcs # and a comment: inherit nope',
      'DESCRIPTION="does not inherit anything"',
      'src_test() { epytest; }',
      'inherit distutils-r1',
    ].join('\n');
    assert.deepEqual(inheritedNames(text), ['distutils-r1', 'optfeature', 'git-r3', 'subversion', 'toolchain-funcs']);
  });

  it('follows eclasses recursively, once each, and names the missing ones', () => {
    const eclasses: Record<string, string> = {
      a: 'inherit b c',
      b: 'if [[ -z ${_B} ]]; then\n_B=1\ninherit c\nfi',
      c: 'inherit a # a cycle',
    };
    const chain = inheritChain('inherit a missing-one', (n) => eclasses[n]);
    assert.deepEqual(chain, { eclasses: ['a', 'b', 'c'], missing: ['missing-one'] });
  });

  it('an ebuild uses a changed eclass directly, through another eclass, or a deleted (missing) one', () => {
    const eclasses: Record<string, string> = { top: 'inherit mid', mid: 'inherit leaf', leaf: ': nothing', other: ':' };
    const read = (n: string) => eclasses[n];
    assert.equal(usesAnyEclass('inherit top', new Set(['leaf']), read), true);
    assert.equal(usesAnyEclass('inherit leaf', new Set(['leaf']), read), true);
    assert.equal(usesAnyEclass('inherit other', new Set(['leaf']), read), false);
    assert.equal(usesAnyEclass('inherit gone', new Set(['gone']), read), true);
    assert.equal(usesAnyEclass('inherit top', new Set(), read), false);
  });

  it('the git grep pattern matches the names as words only', () => {
    const re = new RegExp(namesPattern(['python-r1', 'x.y']));
    assert.ok(re.test('inherit python-r1'));
    assert.ok(re.test('\tpython-r1 \\'));
    assert.ok(!re.test('inherit python-r1-extra'));
    assert.ok(!re.test('inherit distutils-python-r1'));
    assert.ok(re.test('inherit x.y'));
    assert.ok(!re.test('inherit xzy'), 'the dot is literal');
  });
});

describe("changed: masters from layout.conf and repos.conf", () => {
  it('reads masters and repository locations', () => {
    assert.deepEqual(parseMasters('thin-manifests = true\nmasters = gentoo  science\n'), ['gentoo', 'science']);
    assert.deepEqual(parseMasters('masters =\n'), []);
    const conf = parseReposConf('[DEFAULT]\nmain-repo = gentoo\nlocation = /nope\n\n# c\n[gentoo]\nlocation = /var/db/repos/gentoo\nsync-type = git\n[science]\n location=/srv/science \n');
    assert.deepEqual([...conf], [['gentoo', '/var/db/repos/gentoo'], ['science', '/srv/science']]);
  });
});
