/**
 * The HTML dashboard and JUnit XML on every example report: self-contained HTML with everything from builds
 * escaped; JUnit well-formed (xmllint) with one test case per build, failing for breaks. With chromium
 * (Debian's package) the dashboard is opened headless: totals, a search, markup shown as text, a screenshot.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildResult, Report } from '../../src/model/types.js';
import { renderHtml } from '../../src/report/html.js';
import { summarize } from '../../src/report/json.js';
import { renderJunit } from '../../src/report/junit.js';
import { renderPkgcheckJson, renderPkgcheckXml } from '../../src/report/pkgcheck.js';
import { escapeXml } from '../../src/report/xml.js';
import { which } from '../../src/sandbox/prereq.js';
import { ROOT } from '../helpers/cli.js';

const EXAMPLES = path.join(ROOT, 'reports/examples');
const examples = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).map((f) => ({ f, r: JSON.parse(readFileSync(path.join(EXAMPLES, f), 'utf8')) as Report }));

/** A report with hostile names: markup in a build name, a script end in a host name and a log line. */
function hostile(): Report {
  const base = examples.find((e) => e.r.builds.length > 1)?.r ?? (examples[0]?.r as Report);
  const evil: BuildResult = {
    ...(base.builds.find((b) => b.verdict === 'breaks') as BuildResult),
    name: 'net-test/<img src=x onerror=alert(1)>-1',
  };
  evil.attempts = evil.attempts.map((a) => ({ ...a, hostname: '</script><script>alert(2)</script>.example' }));
  evil.findings = evil.findings.map((f) => ({ ...f, logLines: ['<b>bold</b> & </script>'] }));
  const builds = [...base.builds, evil];
  return { ...base, builds, summary: summarize(builds) };
}

function xmllint(xml: string): string {
  const r = spawnSync('xmllint', ['--noout', '-'], { input: xml, encoding: 'utf8' });
  return r.status === 0 ? '' : r.stderr;
}

describe('HTML and JUnit reporters', function () {
  it('html: self-contained, no external requests, totals per verdict', () => {
    for (const { f, r } of examples) {
      const html = renderHtml(r);
      assert.doesNotMatch(html, /\b(?:src|href)=["']?(?:https?:)?\/\//i, f);
      assert.doesNotMatch(html, /@import|url\(/i, f);
      for (const [v, n] of Object.entries(r.summary)) assert.match(html, new RegExp(`data-testid="total-${v}"><b>${n}</b>`), `${f}: ${v}`);
    }
  });

  it('html: values from builds are escaped, the embedded JSON cannot end its script element', () => {
    const html = renderHtml(hostile());
    assert.ok(!html.includes('<img src=x'), 'markup in a build name');
    const data = html.slice(html.indexOf('id="netaudit-data">'), html.indexOf('</script>', html.indexOf('id="netaudit-data">')));
    assert.ok(data.includes('\\u003c/script>'), 'script ends inside the data are escaped');
    assert.equal(html.split('</script>').length - 1, 2, 'exactly two script elements end');
  });

  it('junit: well-formed, one test case per build, failures for breaks, skipped for fails-without-network', function () {
    if (!which('xmllint')) {
      if (process.env.CI === 'true') throw new Error('xmllint missing in CI (Debian libxml2-utils)');
      this.skip();
    }
    for (const r of [...examples.map((e) => e.r), hostile()]) {
      const xml = renderJunit(r);
      assert.equal(xmllint(xml), '', xml.slice(0, 500));
      assert.equal((xml.match(/<testcase /g) ?? []).length, r.builds.length);
      assert.equal((xml.match(/<failure /g) ?? []).length, r.summary.breaks);
      assert.equal((xml.match(/<skipped /g) ?? []).length, r.summary['fails-without-network']);
      assert.match(xml, new RegExp(`tests="${r.builds.length}" failures="${r.summary.breaks}"`));
    }
  });
});

describe('HTML dashboard in headless Chromium', function () {
  this.timeout(60_000);
  let tmp: string;
  let chromium: string | undefined;
  before(function () {
    chromium = which('chromium') ?? which('chromium-browser');
    if (!chromium) {
      if (process.env.CI === 'true') throw new Error('chromium missing in CI (Debian package chromium)');
      this.skip();
    }
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  function browse(file: string, extra: string[]): string {
    const r = spawnSync(
      chromium as string,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', `--user-data-dir=${mkdtempSync(path.join(tmp, 'profile-'))}`, ...extra, file],
      { encoding: 'utf8', timeout: 45_000 },
    );
    return r.stdout;
  }

  it('shows the right totals, filters on a search, shows markup in names as text, and renders', function () {
    const report = hostile();
    const file = path.join(tmp, 'report.html');
    writeFileSync(file, renderHtml(report));
    const dom = browse(`file://${file}`, ['--dump-dom']);
    for (const [v, n] of Object.entries(report.summary)) assert.match(dom, new RegExp(`data-testid="total-${v}"><b>${n}</b>`), v);
    const rows = dom.match(/<tr data-testid="build-row"[^>]*>/g) ?? [];
    assert.equal(rows.length, report.builds.length, 'one row per build, rendered by the page script');
    assert.ok(!/<img src="?x/.test(dom), 'no element injected by a build name');
    assert.ok(dom.includes('net-test/&lt;img src=x onerror=alert(1)&gt;-1'), 'the name is shown as text');
    const target = report.builds[0]?.name as string;
    const searched = browse(`file://${file}#q=${encodeURIComponent(target)}`, ['--dump-dom']);
    const visible = (searched.match(/<tr data-testid="build-row"[^>]*>/g) ?? []).filter((t) => !/\bhidden\b/.test(t));
    assert.ok(visible.length >= 1 && visible.length < report.builds.length, `search left ${visible.length} rows`);
    const escaped = target.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    assert.ok(visible.some((t) => t.includes(`data-name="${escaped}"`)), 'the searched build is shown');
    const hiddenRows = (searched.match(/<tr data-testid="build-row"[^>]*>/g) ?? []).filter((t) => /\bhidden\b/.test(t));
    assert.ok(hiddenRows.length > 0, 'the others are hidden');
    const png = process.env.NETAUDIT_SCREENSHOT ?? path.join(tmp, 'report.png');
    browse(`file://${file}`, [`--screenshot=${png}`, '--window-size=1280,900']);
    assert.ok(statSync(png).size > 10_000, 'a screenshot with content');
  });
});

describe("pkgcheck's formats", () => {
  it('pkgcheck-xml: well-formed, one <result> per finding with category/package/version/class/msg', function () {
    const r = examples.find((e) => e.f.startsWith('ebuild-'))?.r as Report;
    const xml = renderPkgcheckXml(r);
    if (which('xmllint')) assert.equal(xmllint(xml), '');
    const results = xml.split('\n').filter((l) => l.startsWith('<result>'));
    assert.equal(results.length, r.builds.reduce((n, b) => n + b.findings.length, 0));
    const b = r.builds[0] as BuildResult;
    assert.equal(
      results[0],
      `<result><category>${b.ebuild?.category}</category><package>${b.ebuild?.package}</package><version>${b.ebuild?.version}</version><class>${b.findings[0]?.keyword}</class><msg>${escapeXml(b.findings[0]?.message ?? '')}</msg></result>`,
    );
  });

  it('pkgcheck-json: one nested object per line, _level then Keyword', () => {
    const r = examples.find((e) => e.f.startsWith('ebuild-'))?.r as Report;
    const lines = renderPkgcheckJson(r).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const b = r.builds[0] as BuildResult;
    const f = b.findings[0];
    assert.deepEqual(lines[0], { [b.ebuild?.category as string]: { [b.ebuild?.package as string]: { [b.ebuild?.version as string]: { [`_${f?.level}`]: { [f?.keyword as string]: f?.message } } } } });
  });
});
