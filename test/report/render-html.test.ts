/**
 * The HTML dashboard as text (the page itself runs in html-chromium.test.ts): self-contained with no external
 * request, totals per verdict, charts, every value from a build escaped, the embedded data unable to end its
 * script element and equal to the report, the page script valid JavaScript.
 */
import { writable } from '../helpers/writable.js';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { BuildResult, Report } from '../../src/model/types.js';
import { buildViews, destinationCounts, renderHtml } from '../../src/report/html.js';
import { blockedPhases, endpoint, exitText, formatDuration } from '../../src/model/format.js';
import { summarize } from '../../src/model/report.js';
import { EXAMPLES, jsonFiles, readJson } from './helpers.js';
import { suggestedReport } from './suggested.js';

const examples = jsonFiles(EXAMPLES).map((f) => ({ f, r: readJson(path.join(EXAMPLES, f)) as Report }));

const EVIL_NAME = 'net-test/<img src=x onerror=alert(1)>-1';
const EVIL_HOST = '</script><script>alert(2)</script>.example';

/** sweep-multi plus a build with markup in its name, a script end in its host names, log lines and argv. */
function hostile(): Report {
  const base = examples.find((e) => e.f === 'sweep-multi.json')?.r as Report;
  const breaks = base.builds.find((b) => b.verdict === 'breaks') as BuildResult;
  const evil: BuildResult = {
    ...breaks,
    name: EVIL_NAME,
    ebuild: { ...(breaks.ebuild as NonNullable<BuildResult['ebuild']>), category: 'net-test', package: '<img src=x onerror=alert(1)>', version: '1' },
    command: ['sh', '-c', '<svg onload=alert(3)>'],
    attempts: breaks.attempts.map((a) => ({ ...a, hostname: EVIL_HOST, process: { pid: 1, comm: '<b>go</b>', argv: ['<i>x</i>'] } })),
    findings: breaks.findings.map((f) => ({ ...f, message: `${f.message} <!-- </script>`, logLines: ['<b>bold</b> & </script><!--'] })),
    log: '/tmp/<log>&.txt',
  };
  const builds = [...base.builds, evil];
  return { ...base, builds, summary: summarize(builds) };
}

/** The text of the <script type="application/json" id=...> element. */
function dataBlock(html: string, id: string): string {
  const open = `<script type="application/json" id="${id}">`;
  const start = html.indexOf(open);
  assert.ok(start >= 0, id);
  return html.slice(start + open.length, html.indexOf('</script>', start));
}

/** The page script: the last <script> element. */
function pageScript(html: string): string {
  const start = html.lastIndexOf('<script>');
  return html.slice(start + '<script>'.length, html.indexOf('</script>', start));
}

describe('html reporter', () => {
  it('self-contained: no external src/href, no url() or @import, a CSP that allows no request', () => {
    for (const { f, r } of [...examples, { f: 'hostile', r: hostile() }]) {
      const html = renderHtml(r);
      assert.doesNotMatch(html, /\b(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|\/\/)/i, `${f}: a URL attribute`);
      assert.doesNotMatch(html, /<(?:link|iframe|img|object|embed|base)\b/i, `${f}: an element that loads`);
      assert.doesNotMatch(html, /url\(|@import|@font-face/i, `${f}: CSS that loads`);
      assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; /);
      assert.ok(html.startsWith('<!DOCTYPE html>\n'));
    }
  });

  it('totals per verdict and in all, with data-testid; a search box; charts as inline SVG', () => {
    for (const { f, r } of examples) {
      const html = renderHtml(r);
      for (const [v, n] of Object.entries(r.summary)) assert.match(html, new RegExp(`data-testid="total-${v}"><b>${n}</b>${v}</div>`), `${f}: ${v}`);
      assert.match(html, new RegExp(`data-testid="total-builds"><b>${r.builds.length}</b>`), f);
      assert.match(html, /<input id="search" data-testid="search" type="search"/);
      assert.match(html, /<svg role="img" aria-label="builds per verdict" data-testid="chart-verdicts"/);
      assert.ok((html.match(/<rect /g) ?? []).length >= 4, `${f}: bars`);
    }
  });

  it('the destination chart counts builds per blocked destination, the most frequent first', () => {
    const r = examples.find((e) => e.f === 'sweep-multi.json')?.r as Report;
    assert.deepEqual(destinationCounts(r), [
      { destination: 'udp [2001:db8::7]:8125', builds: 1, attempts: 5 },
      { destination: 'dns proxy.golang.example:53', builds: 1, attempts: 2 },
      { destination: 'dns pypi.example:53', builds: 1, attempts: 2 },
    ]);
    const twice: Report = { ...r, builds: [...r.builds, { ...(r.builds[1] as BuildResult), name: 'dev-go/modfetch-0.4' }] };
    assert.equal(destinationCounts(twice)[0]?.destination, 'dns proxy.golang.example:53');
    assert.match(renderHtml(r), /<svg role="img" aria-label="most frequent blocked destinations" data-testid="chart-destinations"/);
    const clean = examples.find((e) => e.f === 'run-true-clean.json')?.r as Report;
    assert.match(renderHtml(clean), /<p data-testid="chart-destinations">no blocked attempts<\/p>/);
  });

  it('embeds the report as JSON the page reads back unchanged', () => {
    for (const { f, r } of [...examples, { f: 'hostile', r: hostile() }]) {
      assert.deepEqual(JSON.parse(dataBlock(renderHtml(r), 'netaudit-data')), r, f);
    }
  });

  it('values from builds appear only escaped: no markup, no script end, no comment start from the data', () => {
    const html = renderHtml(hostile());
    for (const raw of ['<img', '<svg onload', '<b>bold', '<b>go', '<i>', '<log>', EVIL_HOST, '<!--']) assert.ok(!html.includes(raw), raw);
    // Four script elements (three data blocks, the page script), each ended once.
    assert.equal((html.match(/<script\b/g) ?? []).length, 4);
    assert.equal((html.match(/<\/script>/g) ?? []).length, 4);
    const data = dataBlock(html, 'netaudit-data');
    assert.ok(!data.includes('<'), 'no < at all in the data block');
    const view = dataBlock(html, 'netaudit-view');
    assert.ok(!view.includes('<'), 'no < at all in the view block');
    assert.ok(view.includes('\\u003ci>x\\u003c/i>'), 'the argv of a process, escaped');
    assert.ok(data.includes('\\u003c/script>\\u003cscript>alert(2)\\u003c/script>.example'));
    // The SVG chart labels hold host names: escaped there too.
    assert.ok(html.includes('&lt;/script&gt;&lt;script&gt;alert(2)'), 'escaped in the chart');
  });

  it('embeds per build the texts model/format.ts makes of it, parallel to the builds', () => {
    for (const { f, r } of [...examples, { f: 'hostile', r: hostile() }]) {
      const views = JSON.parse(dataBlock(renderHtml(r), 'netaudit-view')) as ReturnType<typeof buildViews>;
      assert.deepEqual(views, buildViews(r), f);
      assert.equal(views.length, r.builds.length, f);
      r.builds.forEach((b, i) => {
        const v = views[i] as (typeof views)[number];
        assert.equal(v.status, exitText(b, 'status'), f);
        assert.equal(v.phases, blockedPhases(b.attempts).join(', '), f);
        assert.equal(v.duration, formatDuration(b.durationMs), f);
        assert.deepEqual(v.attempts.map((a) => a.endpoint), b.attempts.map((a) => endpoint(a.address, a.port)), f);
      });
    }
    const sweep = buildViews(examples.find((e) => e.f === 'sweep-multi.json')?.r as Report);
    assert.deepEqual(
      sweep.map((v) => [v.status, v.phases, v.duration]),
      [
        ['exit status 0', '', '2.21 s'],
        ['exit status 1', 'compile', '3.12 s'],
        ['exit status 0', 'test', '4.41 s'],
        ['timed out', '', '15 min 00 s'],
      ],
    );
    assert.deepEqual(
      sweep.map((v) => v.attempts),
      [
        [],
        [
          { endpoint: '10.255.255.53:53', process: 'go[31544]' },
          { endpoint: '10.255.255.53:53', process: 'go[31544]' },
        ],
        [
          { endpoint: '10.255.255.53:53', process: '' },
          { endpoint: '[2001:db8::7]:8125', process: '' },
        ],
        [],
      ],
    );
    const hostileViews = buildViews(hostile());
    assert.equal(hostileViews[hostileViews.length - 1]?.attempts[0]?.process, '<b>go</b>[1] <i>x</i>', 'with the command line, as given (the page sets it as text)');
  });

  it('the page script formats nothing itself: no endpoint, exit status, phases or duration of its own', () => {
    const script = pageScript(renderHtml(hostile()));
    for (const copy of [/toFixed/, /exit status|killed by|timed out|no exit status/, /indexOf\(':'\)|'\['/, /\.durationMs\/|\/1000/, /\.comm\+'\['/]) {
      assert.doesNotMatch(script, copy);
    }
    assert.match(script, /getElementById\('netaudit-view'\)/);
  });

  it('the page script is valid JavaScript that renders with textContent, never innerHTML', () => {
    const script = pageScript(renderHtml(hostile()));
    assert.doesNotThrow(() => new Function(script), 'parses');
    assert.doesNotMatch(script, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    assert.match(script, /setAttribute\('data-testid','build-row'\)/);
    assert.match(script, /location\.hash/);
  });

  it('suggestions: in the view (headline, verification state) and, for a sweep, a list per package with counts, escaped', () => {
    const r = suggestedReport();
    const mixed = r.builds[0] as BuildResult;
    writable(mixed).suggestions = mixed.suggestions?.map((sg) => ({ ...sg, summary: `${sg.summary} </script><b>x</b>`, patch: `${sg.patch}+# </script><!--\n` }));
    const html = renderHtml(r);
    const views = buildViews(r);
    assert.deepEqual(
      views.map((v) => v.suggestions.map((sg) => sg.verification)),
      [['not verified (audit with --verify)'], ['verified: patched copy audited (2.40 s): verdict clean; src_test passes; no blocked attempt'], ['no patch'], ['no patch'], []],
    );
    assert.equal(views[0]?.suggestions[0]?.headline, `suggestion (deselect-tests, patch): ${mixed.suggestions?.[0]?.summary}`);
    assert.ok(!dataBlock(html, 'netaudit-data').includes('<') && !dataBlock(html, 'netaudit-view').includes('<'), 'patches and summaries cannot end the data blocks');
    assert.ok(html.includes('data-testid="total-suggested">4</span>'));
    assert.ok(html.includes('data-testid="total-patches">2</span>'));
    assert.ok(html.includes('data-testid="total-verified-patches">1</span>'));
    assert.equal((html.match(/data-testid="suggestion-item"/g) ?? []).length, 4);
    assert.ok(html.includes('&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;'), 'the summary escaped in the list');
    assert.doesNotMatch(html, /<b>x<\/b>/);
    assert.ok(html.includes('data-cause="test-network" data-verified="true"'));
    // Reports without suggestions have no list.
    for (const { f, r: e } of examples) if (!e.builds.some((b) => b.suggestions?.length)) assert.doesNotMatch(renderHtml(e), /data-testid="suggestions"/, f);
  });

  it('is deterministic', () => {
    const r = hostile();
    assert.equal(renderHtml(r), renderHtml(structuredClone(r)));
  });
});
