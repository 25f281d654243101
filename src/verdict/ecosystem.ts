/**
 * Which test ecosystem an attempt comes from, from the evidence alone (pure): the test id's shape and the
 * process that made it. Hints and patches speak that ecosystem's idiom and never name another language's
 * tools (a Perl suite is not told about EPYTEST_DESELECT).
 *   - perl: a TAP test file (`t/net.t`, src/analyze/tap.ts), or the process is perl;
 *   - pytest: a pytest node id (`tests/test_x.py::test_y`, doctests `pkg/mod.py::pkg.mod.func`);
 *   - unittest: a unittest id, `module.Class.test_method` (dotted, no path, no `::`).
 */
import { safeText } from '../model/format.js';
import type { Attempt, FindingKeyword } from '../model/types.js';

export type TestEcosystem = 'perl' | 'pytest' | 'unittest';

const PERL = /^perl(?:\d[\d.]*)?$/;
const UNITTEST_ID = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*){2,}$/;

/** The ecosystem of an attempt's test (undefined: no test and no telling process). */
export function testEcosystem(a: Pick<Attempt, 'test' | 'process'>): TestEcosystem | undefined {
  const t = a.test;
  if (t !== undefined) {
    if (t.includes('::')) return 'pytest';
    if (/\.t$/.test(t)) return 'perl';
    if (UNITTEST_ID.test(t)) return 'unittest';
  }
  const prog = a.process?.argv?.[0]?.split('/').pop() ?? a.process?.comm;
  if (prog !== undefined && PERL.test(prog)) return 'perl';
  return undefined;
}

/** Keywords whose hint says how to skip tests that need the internet (the ones that name pytest by default). */
const INTERNET: readonly FindingKeyword[] = ['DnsLookup', 'ExternalConnect', 'ExternalDatagram'];

/**
 * The hint for an attempt of a non-pytest suite that needs the internet, in its ecosystem's idiom; undefined
 * where the default hint stands (pytest, no ecosystem, another keyword).
 */
export function ecosystemHint(a: Pick<Attempt, 'test' | 'process'>, keyword: FindingKeyword): string | undefined {
  if (!INTERNET.includes(keyword)) return undefined;
  const eco = testEcosystem(a);
  const test = a.test !== undefined ? safeText(a.test) : undefined;
  if (eco === 'perl') {
    const file = test !== undefined && /\.t$/.test(test) ? test : 't/FILE.t';
    return (
      `a Perl test needs the internet: remove its file in src_test (perl_rm_files ${file}, then perl-module_src_test); ` +
      'a suite that honours NO_NETWORK_TESTING skips itself, which perl-module_src_test exports unless DIST_TEST has `network` ' +
      '(users: USER_PERL_RESTRICT=network-test); build-time downloads belong in SRC_URI'
    );
  }
  if (eco === 'unittest') {
    const parts = test?.split('.') ?? [];
    const method = parts.length >= 3 ? (parts[parts.length - 1] as string) : 'test_NAME';
    const file = parts.length >= 3 ? `${parts.slice(0, -2).join('/')}.py` : 'FILE';
    return (
      `a unittest test needs the internet: skip it the way the ebuild runs its suite, e.g. rename it in src_prepare ` +
      `(# Internet, then sed -i -e 's:def ${method}(:def _${method}(:' ${file} || die) or remove its file before eunittest; ` +
      'build-time downloads belong in SRC_URI'
    );
  }
  return undefined;
}
