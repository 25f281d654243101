/**
 * pkgcheck-json: the lines pkgcheck's JsonReporter writes (checked against the expected output in
 * pkgcore/pkgcheck tests/test_reporters.py), byte for byte as Python's json.dumps writes them (checked with
 * python3 itself when it is installed).
 */
import { writable } from '../helpers/writable.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { BuildResult, FindingKeyword, Report } from '../../src/model/types.js';
// pkgcheck's own keywords, to compare with its reporters' expected output: not netaudit's registry.

import { summarize } from '../../src/model/report.js';
import { pkgcheckResults, pythonJsonDumps, renderPkgcheckJson } from '../../src/report/pkgcheck.js';
import { EXAMPLES, jsonFiles, readJson } from './helpers.js';

const examples = jsonFiles(EXAMPLES).map((f) => ({ f, r: readJson(path.join(EXAMPLES, f)) as Report }));

function withFindings(name: string, ebuild: { category: string; package: string; version: string } | undefined, findings: BuildResult['findings']): BuildResult {
  const base = (examples.find((e) => e.f === 'ebuild-test-network-breaks.json')?.r as Report).builds[0] as BuildResult;
  const b: BuildResult = { ...base, name, kind: ebuild ? 'ebuild' : 'command', findings };
  if (ebuild) writable(b).ebuild = { ...(base.ebuild as NonNullable<BuildResult['ebuild']>), ...ebuild };
  else delete writable(b).ebuild;
  return b;
}

function report(builds: BuildResult[]): Report {
  const base = examples[0]?.r as Report;
  return { ...base, builds, summary: summarize(builds) };
}

// split('\n'), not splitlines(): the latter also splits at U+2028 and other characters JSON.stringify leaves raw.
const PY_DUMPS = "import json,sys; [print(json.dumps(json.loads(l))) for l in sys.stdin.read().split('\\n') if l]";

describe('pkgcheck-json reporter', () => {
  it("writes pkgcheck's JsonReporter lines (tests/test_reporters.py, version scope)", () => {
    const r = report([
      withFindings('dev-libs/foo-0', { category: 'dev-libs', package: 'foo', version: '0' }, [
        { keyword: 'BadFilename' as FindingKeyword, level: 'warning', message: 'bad filenames: [ 0.tar.gz, foo.tar.gz ]' },
        { keyword: 'ReadonlyVariable' as FindingKeyword, level: 'warning', message: "read-only variable 'P' assigned, line 7: P=6" },
        { keyword: 'UnquotedVariable' as FindingKeyword, level: 'warning', message: 'unquoted variable D on lines: 5, 7' },
      ]),
    ]);
    // Expected lines from pkgcore/pkgcheck tests/test_reporters.py TestJsonReporter (commit 7e2120a7).
    assert.equal(
      renderPkgcheckJson(r),
      [
        '{"dev-libs": {"foo": {"0": {"_warning": {"BadFilename": "bad filenames: [ 0.tar.gz, foo.tar.gz ]"}}}}}',
        '{"dev-libs": {"foo": {"0": {"_warning": {"ReadonlyVariable": "read-only variable \'P\' assigned, line 7: P=6"}}}}}',
        '{"dev-libs": {"foo": {"0": {"_warning": {"UnquotedVariable": "unquoted variable D on lines: 5, 7"}}}}}',
        '',
      ].join('\n'),
    );
  });

  it('command builds are package-scope results under the category "command", the build name as the package', () => {
    const r = examples.find((e) => e.f === 'run-curl-dns-breaks.json')?.r as Report;
    const lines = renderPkgcheckJson(r).trimEnd().split('\n');
    const b = r.builds[0] as BuildResult;
    assert.equal(lines.length, b.findings.length);
    lines.forEach((l, i) => {
      const f = b.findings[i] as BuildResult['findings'][number];
      assert.deepEqual(JSON.parse(l), { command: { [b.name]: { [`_${f.level}`]: { [f.keyword]: f.message } } } });
    });
  });

  it('every example: one line per finding, nested category/package/version/_level/Keyword: message', () => {
    for (const { f, r } of examples) {
      const text = renderPkgcheckJson(r);
      const lines = text ? text.trimEnd().split('\n') : [];
      const results = pkgcheckResults(r);
      assert.equal(lines.length, r.builds.reduce((n, b) => n + b.findings.length, 0), f);
      lines.forEach((l, i) => {
        const x = results[i] as (typeof results)[number];
        const leaf = { [`_${x.level}`]: { [x.keyword]: x.desc } };
        assert.deepEqual(JSON.parse(l), { [x.category]: { [x.package]: x.version === undefined ? leaf : { [x.version]: leaf } } }, f);
      });
      if (lines.length) assert.ok(text.endsWith('\n'));
    }
  });

  it('messages become one line, as pkgcheck descs are', () => {
    const r = report([withFindings('dev-libs/foo-0', { category: 'dev-libs', package: 'foo', version: '0' }, [{ keyword: 'DnsLookup', level: 'error', message: 'two\n  lines ' }])]);
    assert.equal(renderPkgcheckJson(r), '{"dev-libs": {"foo": {"0": {"_error": {"DnsLookup": "two lines"}}}}}\n');
  });

  it("pythonJsonDumps: separators and ensure_ascii escapes as Python's json.dumps", () => {
    assert.equal(
      pythonJsonDumps({ a: ['x', 1, true, null], é: 'naïve \u007f \u2028 😀 "q" \\ \n\t\u0001' }),
      '{"a": ["x", 1, true, null], "\\u00e9": "na\\u00efve \\u007f \\u2028 \\ud83d\\ude00 \\"q\\" \\\\ \\n\\t\\u0001"}',
    );
  });

  it('pythonJsonDumps equals python3 json.dumps on awkward strings (when python3 is installed)', function () {
    const probe = spawnSync('python3', ['-c', PY_DUMPS], { input: '{}\n', encoding: 'utf8' });
    if (probe.status !== 0) this.skip();
    const values = [
      { 'dev-libs': { foo: { '1.0-r1': { _error: { K: 'naïve "quoted" \\ back </script> & \u0000\u001f\u007f\u0080 \u2028 \ud83d\ude00 日本' } } } } },
      { command: { "curl -sS 'http://x/'": { _warning: { ExternalConnect: 'tab\there, cr\r' } } } },
      ['a', 1, 2.5, -3, true, false, null, {}, []],
    ];
    const r = spawnSync('python3', ['-c', PY_DUMPS], { input: values.map((v) => JSON.stringify(v)).join('\n') + '\n', encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      values.map((v) => pythonJsonDumps(v)),
      r.stdout.trimEnd().split('\n'),
    );
  });
});
