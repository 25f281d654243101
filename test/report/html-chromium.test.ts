/**
 * The HTML dashboard opened in headless Chromium (Debian's `chromium` package), offline, as root: after the
 * page script ran, the totals are right, there is one row per build, a build named with markup is shown as text
 * (no element injected), a host name holding `</script><script>` is text too, a search given in the URL fragment
 * (#q=) hides exactly the rows that do not match, and a screenshot renders.
 *
 * Without chromium the tests are skipped, except in CI (CI=true) where that is a failure. NETAUDIT_SCREENSHOT=FILE
 * keeps the screenshot.
 */
import { writable } from '../helpers/writable.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildResult, Report } from '../../src/model/types.js';
import { blockedPhases, exitText, formatDuration } from '../../src/model/format.js';
import { renderHtml } from '../../src/report/html.js';
import { summarize } from '../../src/model/report.js';
import { EXAMPLES, readJson } from './helpers.js';
import { suggestedReport } from './suggested.js';

const EVIL_NAME = 'net-test/<img src=x onerror=alert(1)>-1';
const EVIL_HOST = '</script><script>document.title="pwned"</script>.example';

function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return undefined;
}

/** sweep-multi plus every single-run example, plus a build with markup in its name and host names. */
function dashboardReport(): Report {
  const sweep = readJson(path.join(EXAMPLES, 'sweep-multi.json')) as Report;
  const runs = ['run-curl-dns-breaks.json', 'run-python-connect-tolerates.json', 'run-true-clean.json'].flatMap((f) => (readJson(path.join(EXAMPLES, f)) as Report).builds);
  const breaks = sweep.builds.find((b) => b.verdict === 'breaks') as BuildResult;
  const evil: BuildResult = {
    ...breaks,
    name: EVIL_NAME,
    ebuild: { ...(breaks.ebuild as NonNullable<BuildResult['ebuild']>), category: 'net-test', package: '<img src=x onerror=alert(1)>', version: '1' },
    command: ['ebuild', '/var/db/repos/test/net-test/evil/evil-1.ebuild', 'clean', 'test'],
    attempts: breaks.attempts.map((a) => ({ ...a, hostname: EVIL_HOST })),
    findings: breaks.findings.map((f) => ({ ...f, logLines: ['<b>bold</b> & </script>'] })),
  };
  const builds = [...sweep.builds, ...runs, evil];
  return { ...sweep, builds, summary: summarize(builds) };
}

function rowTags(dom: string): string[] {
  return dom.match(/<tr data-testid="build-row"[^>]*>/g) ?? [];
}

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

describe('HTML dashboard in headless Chromium', function () {
  this.timeout(120_000);
  let tmp: string;
  let chromium: string | undefined;
  let file: string;
  const report = dashboardReport();

  before(function () {
    chromium = findChromium();
    if (!chromium) {
      if (process.env.CI === 'true') throw new Error('chromium is missing: CI must install Debian\'s chromium package (apt-get install -y chromium)');
      this.skip();
    }
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-chromium-'));
    file = path.join(tmp, 'report.html');
    writeFileSync(file, renderHtml(report));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  /** Run chromium headless on `url` with `extra` flags; its stdout. */
  function browse(url: string, extra: string[]): string {
    const r = spawnSync(
      chromium as string,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        `--user-data-dir=${mkdtempSync(path.join(tmp, 'profile-'))}`,
        ...extra,
        url,
      ],
      { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
    );
    assert.equal(r.error, undefined, String(r.error));
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  }

  it('after the script ran: totals right, one row per build, markup in names and hosts shown as text only', () => {
    const dom = browse(`file://${file}`, ['--dump-dom']);
    assert.match(dom, /<html lang="en" data-ready="true">/, 'the page script ran to its end');
    for (const [v, n] of Object.entries(report.summary)) assert.match(dom, new RegExp(`data-testid="total-${v}"><b>${n}</b>`), v);
    assert.match(dom, new RegExp(`data-testid="total-builds"><b>${report.builds.length}</b>`));
    const rows = rowTags(dom);
    assert.equal(rows.length, report.builds.length, 'one row per build');
    assert.ok(rows.every((t) => !/\bhidden\b/.test(t)), 'no search: every row shown');
    assert.match(dom, new RegExp(`<span id="shown">${report.builds.length} of ${report.builds.length} builds shown</span>`));
    // No element came from the data: the only img/b elements or scripts are the page's own.
    assert.doesNotMatch(dom, /<img\b/i, 'no <img> injected by the build name');
    assert.equal((dom.match(/<script\b/g) ?? []).length, 4, 'no <script> injected by the host name');
    assert.doesNotMatch(dom, /<title>pwned/);
    assert.ok(dom.includes(`>${escapeText(EVIL_NAME)}</td>`), 'the name is shown as text in its cell');
    assert.ok(dom.includes(escapeText(EVIL_HOST)), 'the host name is shown as text in the details');
    assert.ok(dom.includes('&gt; &lt;b&gt;bold&lt;/b&gt; &amp; &lt;/script&gt;'), 'the log line is shown as text');
  });

  it('suggestions (--suggest): per build headline, verification and the patch as text in a <pre>; the sweep list and counts', () => {
    const r = suggestedReport();
    const mixed = r.builds[0] as BuildResult;
    writable(mixed).suggestions = mixed.suggestions?.map((sg) => ({ ...sg, summary: `${sg.summary} <img src=x onerror=alert(5)>`, patch: `${sg.patch}+# </pre><script>document.title="pwned"</script>\n` }));
    const sfile = path.join(tmp, 'suggested.html');
    writeFileSync(sfile, renderHtml(r));
    const dom = browse(`file://${sfile}#open=1`, ['--dump-dom']);
    assert.match(dom, /<html lang="en" data-ready="true">/);
    assert.doesNotMatch(dom, /<img\b/i, 'no <img> injected by a summary');
    assert.equal((dom.match(/<script\b/g) ?? []).length, 4, 'no <script> injected by a patch');
    const blocks = dom.match(/<div class="suggestion" data-testid="suggestion"[\s\S]*?<\/div><\/div>|<div class="suggestion" data-testid="suggestion"[\s\S]*?<\/pre><\/div>/g) ?? [];
    assert.equal(blocks.length, 4, 'one block per suggestion: pytest-mixed, test-resolve, distcc, compile-fetch');
    const pres = [...dom.matchAll(/<pre class="patch" data-testid="suggestion-patch">([\s\S]*?)<\/pre>/g)].map((m) => m[1]);
    assert.deepEqual(pres, [escapeText(mixed.suggestions?.[0]?.patch as string), escapeText(r.builds[1]?.suggestions?.[0]?.patch as string)], 'the patches, as text, whole');
    assert.ok(dom.includes(`<div>${escapeText(`suggestion (deselect-tests, patch): ${mixed.suggestions?.[0]?.summary}`)}</div>`));
    assert.match(dom, /data-testid="suggestion-verification">not verified \(audit with --verify\)</);
    assert.match(dom, /class="allowed" data-testid="suggestion-verification">verified: patched copy audited \(2\.40 s\): verdict clean; src_test passes; no blocked attempt</);
    assert.match(dom, /data-testid="suggestion-verification">no patch</);
    // The sweep's list: four packages with suggestions, two with a patch, one verified.
    assert.match(dom, /data-testid="total-suggested">4<\/span> packages with suggestions, <span data-testid="total-patches">2<\/span> with a patch, <span data-testid="total-verified-patches">1<\/span> with a verified patch/);
    assert.deepEqual([...dom.matchAll(/data-testid="suggestion-package" data-name="([^"]*)"/g)].map((m) => m[1]), ['net-test/pytest-mixed-1', 'net-test/test-resolve-1', 'net-test/distcc-1', 'net-test/compile-fetch-1']);
  });

  it('a verification in several rounds (a recorded --suggest --verify report): a table of the rounds in the build\'s details', () => {
    const r = readJson(path.join(EXAMPLES, 'ebuild-suggest-verify-rounds.json')) as Report;
    const rounds = r.builds[0]?.suggestions?.[0]?.rounds ?? [];
    const rfile = path.join(tmp, 'rounds.html');
    writeFileSync(rfile, renderHtml(r));
    const dom = browse(`file://${rfile}#open=1`, ['--dump-dom']);
    assert.match(dom, /<html lang="en" data-ready="true">/);
    const table = /<table data-testid="verify-rounds">([\s\S]*?)<\/table>/.exec(dom)?.[1] ?? '';
    assert.match(table, /<th>verify round<\/th><th>adds<\/th><th>outcome<\/th><th>missed \(added next round\)<\/th><th>verification<\/th>/);
    const rows = [...table.matchAll(/<tr data-testid="verify-round">(.*?)<\/tr>/g)].map((m) => [...(m[1] as string).matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => c[1]));
    const B = 'tests/test_index.py::test_project_page_link';
    assert.deepEqual(rows, [
      ['1 of 2', '', 'not verified', B, escapeText(rounds[0]?.verification as string)],
      ['2 of 2', B, 'verified', '', escapeText(rounds[1]?.verification as string)],
    ]);
    assert.match(dom, /class="allowed" data-testid="suggestion-verification">verified in 2 rounds: patched copy audited/);
  });

  it('interface listings: one line each in the details, the failed one marked, markup in a comm shown as text', () => {
    const r = readJson(path.join(EXAMPLES, 'run-list-interfaces-breaks.json')) as Report;
    const b = r.builds[0] as BuildResult;
    const q = (b.interfaceQueries ?? [])[0] as NonNullable<BuildResult['interfaceQueries']>[number];
    const ok = { ...q, process: { ...(q.process as NonNullable<typeof q.process>), pid: 7, comm: '<img src=x onerror=alert(6)>' } };
    delete (ok as { failure?: unknown }).failure;
    writable(b).interfaceQueries = [q, ok];
    const ifile = path.join(tmp, 'interfaces.html');
    writeFileSync(ifile, renderHtml(r));
    const dom = browse(`file://${ifile}#open=1`, ['--dump-dom']);
    assert.doesNotMatch(dom, /<img\b/i, 'no <img> injected by a comm');
    const lines = [...dom.matchAll(/<div class="([^"]*)" data-testid="interface-query">([^<]*)<\/div>/g)].map((m) => [m[1], m[2]]);
    assert.deepEqual(lines, [
      ['mono blocked', `interface listing (only lo under network-sandbox): RTM_GETLINK by python3[${q.process?.pid}]: exited with status 1`],
      ['mono', 'interface listing (only lo under network-sandbox): RTM_GETLINK by &lt;img src=x onerror=alert(6)&gt;[7]: no failure after it'],
    ]);
  });

  it('the cells and details show the texts of model/format.ts (from netaudit-view), as the other reporters do', () => {
    const dom = browse(`file://${file}#open=1`, ['--dump-dom']);
    const rows = dom.split('<tr data-testid="build-row"').slice(1);
    assert.equal(rows.length, report.builds.length);
    report.builds.forEach((b, i) => {
      // build, verdict, attempts, phases, duration; then the detail row.
      const cells = [...(rows[i] as string).matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1] as string);
      const phases = escapeText(blockedPhases(b.attempts).join(', '));
      assert.deepEqual(cells.slice(2, 5), [String(b.attempts.length), phases, escapeText(formatDuration(b.durationMs))], b.name);
      assert.ok((rows[i] as string).includes(`<div>${exitText(b, 'status')} · ${b.attempts.length} attempt(s)`), `${b.name}: ${exitText(b, 'status')}`);
    });
    assert.ok(dom.includes('<td>15 min 00 s</td>') && dom.includes('<td>&lt;0.01 s</td>'), 'long and very short durations as the terminal writes them');
    assert.ok(dom.includes('<div>timed out · 0 attempt(s)'), 'a timeout');
  });

  it('a search for an endpoint (address:port, [v6]:port) finds the builds that tried it', () => {
    // Without findings, whose messages name the endpoints too: only the attempts' endpoints (netaudit-view) match.
    const bare = path.join(tmp, 'no-findings.html');
    writeFileSync(bare, renderHtml({ ...report, builds: report.builds.map((b) => ({ ...b, findings: [] })) }));
    const visible = (q: string) =>
      rowTags(browse(`file://${bare}#q=${encodeURIComponent(q)}`, ['--dump-dom']))
        .filter((t) => !/\bhidden\b/.test(t))
        .map((t) => /data-name="([^"]*)"/.exec(t)?.[1]);
    assert.deepEqual(visible('[2001:db8::7]:8125'), ['dev-python/autoskip-4.2']);
    assert.deepEqual(visible('10.255.255.53:53 go'), ['dev-go/modfetch-0.3', escapeText(EVIL_NAME)]);
  });

  it('#q= in the URL filters: only matching rows are visible, the others get the hidden attribute', () => {
    const query = 'dev-go/modfetch';
    const dom = browse(`file://${file}#q=${encodeURIComponent(query)}`, ['--dump-dom']);
    const rows = rowTags(dom);
    assert.equal(rows.length, report.builds.length);
    const visible = rows.filter((t) => !/\bhidden\b/.test(t));
    const hidden = rows.filter((t) => /\bhidden\b/.test(t));
    assert.deepEqual(visible.map((t) => /data-name="([^"]*)"/.exec(t)?.[1]), ['dev-go/modfetch-0.3']);
    assert.equal(hidden.length, report.builds.length - 1);
    assert.match(dom, /<input id="search"[^>]*>/);
    assert.match(dom, new RegExp(`<span id="shown">1 of ${report.builds.length} builds shown</span>`));
    // A search on a host name finds the build that tried it, markup and all.
    const byHost = rowTags(browse(`file://${file}#q=${encodeURIComponent('</script><script>document.title')}`, ['--dump-dom'])).filter((t) => !/\bhidden\b/.test(t));
    assert.deepEqual(byHost.map((t) => /data-name="([^"]*)"/.exec(t)?.[1]), [escapeText(EVIL_NAME)]);
    const byTerms = rowTags(browse(`file://${file}#q=${encodeURIComponent('breaks curl')}`, ['--dump-dom'])).filter((t) => !/\bhidden\b/.test(t));
    assert.deepEqual(byTerms.map((t) => /data-name="([^"]*)"/.exec(t)?.[1]), ['curl -sS http://anything.example.org/']);
  });

  it('the test filter (#test= or the test-filter select): only the builds and attempt rows of that test', () => {
    const pytest = readJson(path.join(EXAMPLES, 'run-pytest-breaks.json')) as Report;
    const pb = pytest.builds[0] as BuildResult;
    // A second test in the same build, and a build without tests.
    const two: BuildResult = { ...pb, attempts: [...pb.attempts, { ...(pb.attempts[0] as BuildResult['attempts'][number]), address: '198.51.100.31', test: 'tests/test_net.py::test_upload' }] };
    const other = (readJson(path.join(EXAMPLES, 'run-curl-dns-breaks.json')) as Report).builds;
    const builds = [two, ...other];
    const file2 = path.join(tmp, 'tests.html');
    writeFileSync(file2, renderHtml({ ...pytest, builds, summary: summarize(builds) }));
    const all = browse(`file://${file2}`, ['--dump-dom']);
    const select = /<select id="test-filter"[^>]*>(.*?)<\/select>/s.exec(all);
    assert.ok(select, 'the test filter is there');
    assert.doesNotMatch(select[0], /hidden/);
    assert.match(select[0], /data-testid="test-filter"/);
    assert.deepEqual([...(select[1] as string).matchAll(/<option value="([^"]*)">/g)].map((m) => m[1]), ['', 'tests/test_net.py::test_download', 'tests/test_net.py::test_upload']);
    const attemptRows = (dom: string): [string | undefined, boolean][] => (dom.match(/<tr data-testid="attempt-row"[^>]*>/g) ?? []).map((t) => [/data-test="([^"]*)"/.exec(t)?.[1], /\bhidden\b/.test(t)]);
    assert.ok(attemptRows(all).every(([, hidden]) => !hidden), 'no filter: every attempt row shown');
    const dom = browse(`file://${file2}#test=${encodeURIComponent('tests/test_net.py::test_download')}&open=1`, ['--dump-dom']);
    const visible = rowTags(dom).filter((t) => !/\bhidden\b/.test(t)).map((t) => /data-name="([^"]*)"/.exec(t)?.[1]);
    assert.deepEqual(visible, [pb.name]);
    const rows = attemptRows(dom).filter(([t]) => t?.startsWith('tests/'));
    assert.deepEqual(rows, [['tests/test_net.py::test_download', false], ['tests/test_net.py::test_upload', true]]);
  });

  it('renders a screenshot (1280x900 PNG with content)', () => {
    const png = path.join(tmp, 'report.png');
    browse(`file://${file}#q=${encodeURIComponent('dev-go')}&open=1`, [`--screenshot=${png}`, '--window-size=1280,900']);
    const bytes = readFileSync(png);
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
    assert.deepEqual([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], [1280, 900], 'IHDR width and height');
    assert.ok(statSync(png).size > 20_000, `a screenshot with content (${statSync(png).size} bytes)`);
    if (process.env.NETAUDIT_SCREENSHOT) copyFileSync(png, process.env.NETAUDIT_SCREENSHOT);
  });
});
