/**
 * Every reporter of the registry on every example report: renders text ending in a newline (or nothing, for
 * line formats on a report without findings), deterministically, without changing the report, naming every
 * build it has something to say about.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Report } from '../../src/model/types.js';
import { REPORTERS } from '../../src/report/index.js';
import { EXAMPLES, jsonFiles, readJson } from './helpers.js';

const examples = jsonFiles(EXAMPLES).map((f) => ({ f, r: readJson(path.join(EXAMPLES, f)) as Report }));

/** How each format writes a build's identity (escaped where the format escapes). */
function mentions(format: string, r: Report): string[] {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return r.builds.flatMap((b) => {
    const e = b.kind === 'ebuild' ? b.ebuild : undefined;
    switch (format) {
      case 'junit':
        return [`name="${esc(e ? `${e.package}-${e.version}` : b.name).replace(/"/g, '&quot;').replace(/'/g, '&apos;')}"`];
      case 'pkgcheck-xml':
        return b.findings.length ? [`<package>${esc(e ? e.package : b.name)}</package>`] : [];
      case 'pkgcheck-json':
        return b.findings.length ? [JSON.stringify(e ? e.package : b.name)] : [];
      case 'pkgcheck':
        return b.findings.length ? [b.name] : [];
      case 'html':
        return [JSON.stringify(b.name).replace(/</g, '\\u003c')];
      default:
        return [b.name];
    }
  });
}

describe('every reporter on every example report', () => {
  for (const reporter of REPORTERS) {
    it(`${reporter.name}`, () => {
      for (const { f, r } of examples) {
        const before = structuredClone(r);
        const text = reporter.render(r, {});
        assert.deepEqual(r, before, `${f}: the report is not changed`);
        assert.equal(typeof text, 'string');
        const hasFindings = r.builds.some((b) => b.findings.length > 0);
        const lineFormat = reporter.name === 'pkgcheck' || reporter.name === 'pkgcheck-json';
        if (lineFormat && !hasFindings) assert.equal(text, '', `${f}: nothing to say`);
        else assert.ok(text.length > 0 && text.endsWith('\n'), `${f}: ends with a newline`);
        assert.equal(reporter.render(structuredClone(r), {}), text, `${f}: deterministic`);
        for (const m of mentions(reporter.name, r)) assert.ok(text.includes(m), `${f}: ${reporter.name} mentions ${m}`);
        assert.ok(!/\x1b\[/.test(text), `${f}: no ANSI escapes without color`); // eslint-disable-line no-control-regex
      }
    });
  }
});

describe('every reporter shows the test that made an attempt', () => {
  const report = readJson(path.join(EXAMPLES, 'run-pytest-breaks.json')) as Report;
  const test = 'tests/test_net.py::test_download';

  it('the example has an attempt and a finding with the test (from a real run of fixtures/commands/pytest-internet.sh)', () => {
    const b = report.builds[0];
    assert.equal(b?.attempts[0]?.test, test);
    assert.equal(b?.findings[0]?.test, test);
  });

  for (const reporter of REPORTERS) {
    it(`${reporter.name} names ${test}`, () => {
      assert.ok(reporter.render(report, {}).includes(test), reporter.name);
    });
  }
});
