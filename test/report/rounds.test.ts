/**
 * A verification in several rounds in every reporter, on a real report: reports/examples/ebuild-suggest-verify-rounds.json
 * is `netaudit ebuild --suggest DIR --verify --json` of fixtures/repo's pytest-order-cache-1 (round 1's patch
 * deselects the test that made the audit's one attempt, its run names the second test failing on its own connect;
 * round 2 adds it and verifies). The JSON has `rounds`; the HTML, JUnit, pkgcheck-style outputs and the commit
 * message of `report patches` must say each round, what it added and its outcome too, each in its own idiom.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { roundsSentence, verificationRounds } from '../../src/model/format.js';
import type { BuildResult, Report, Suggestion } from '../../src/model/types.js';
import { buildViews, renderHtml } from '../../src/report/html.js';
import { renderJunit, roundProperties } from '../../src/report/junit.js';
import { patchMails } from '../../src/report/patches.js';
import { renderPkgcheckJson, renderPkgcheckXml } from '../../src/report/pkgcheck.js';
import { renderPkgcheckLines } from '../../src/report/terminal.js';
import { validateReport } from '../../src/report/validate.js';
import { EXAMPLES, readJson } from './helpers.js';

const report = readJson(path.join(EXAMPLES, 'ebuild-suggest-verify-rounds.json')) as Report;
const build = report.builds[0] as BuildResult;
const s = build.suggestions?.[0] as Suggestion;
const A = 'tests/test_index.py::test_index_lists_packages';
const B = 'tests/test_index.py::test_project_page_link';
const [R1, R2] = (s.rounds ?? []).map((r) => r.verification) as [string, string];

/** `text` as XML text or attribute content (& < > " ' escaped). */
const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

describe('verification rounds in every reporter (a recorded --suggest --verify report)', () => {
  it('the recording: valid, one suggestion verified in round 2 after round 1 missed the second test', async () => {
    assert.deepEqual(await validateReport(report), { ok: true });
    assert.deepEqual(s.rounds?.map((r) => [r.round, r.added, r.verified]), [
      [1, [], false],
      [2, [B], true],
    ]);
    assert.match(R1, /^patched copy audited \([\d.]+ s\): verdict breaks; src_test still fails \(exit 1\); the patch missed 1 failing test\(s\)/);
    assert.match(R2, /^patched copy audited \([\d.]+ s\): verdict clean; src_test passes; no blocked attempt$/);
  });

  it('model/format: each round with what it added and what its run named as missed (the next round\'s additions)', () => {
    assert.deepEqual(verificationRounds(s), [
      { round: 1, added: [], missed: [B], verified: false, outcome: 'not verified', verification: R1 },
      { round: 2, added: [B], missed: [], verified: true, outcome: 'verified', verification: R2 },
    ]);
    assert.equal(roundsSentence(s), `Verified in 2 rounds: round 1 missed ${B} (added in round 2); round 2 (adds ${B}) verified.`);
    // One round (or none): nothing more to say than the verification line.
    assert.deepEqual(verificationRounds({ rounds: [s.rounds![1]!] }), []);
    assert.equal(roundsSentence({}), undefined);
    const failed = { rounds: [s.rounds![0]!, { ...s.rounds![1]!, verified: false, verification: 'x' }] };
    assert.equal(roundsSentence(failed), `Not verified after 2 rounds: round 1 missed ${B} (added in round 2); round 2 (adds ${B}) not verified.`);
  });

  it('pkgcheck-style lines: one line per round after the findings; the fix says in how many rounds it was verified', () => {
    const lines = renderPkgcheckLines(report).trimEnd().split('\n');
    const subject = 'net-test/pytest-order-cache-1';
    assert.deepEqual(lines.slice(-2), [
      `${subject}: verify round 1 of 2 (deselect-tests): not verified: ${R1}`,
      `${subject}: verify round 2 of 2 (deselect-tests, adds ${B}): verified: ${R2}`,
    ]);
    assert.equal(lines.length, build.findings.length + 2);
    assert.match(lines[0] as string, new RegExp(`^${subject}: ExternalConnect: .* \\(fix: 2 pytest tests failed .*: deselect\\. \\(verified in 2 rounds\\)\\)$`));
    // pkgcheck's own formats keep one result per finding; the fix text in their message says the same.
    assert.match(renderPkgcheckXml(report), /<class>ExternalConnect<\/class><msg>[^<]*\(verified in 2 rounds\)\)<\/msg>/);
    assert.match(renderPkgcheckJson(report), /"ExternalConnect": "[^"]*\(verified in 2 rounds\)\)"/);
  });

  it('JUnit: each round in the failure text, and as properties of the test case', () => {
    const out = renderJunit(report);
    const failure = /<failure type="breaks" message="[^"]*">([\s\S]*?)<\/failure>/.exec(out)?.[1] ?? '';
    assert.ok(failure.includes(xml(`  verify round 1 of 2: not verified: ${R1}`)), failure);
    assert.ok(failure.includes(xml(`  verify round 2 of 2 (adds ${B}): verified: ${R2}`)), failure);
    assert.ok(!failure.includes('\n  verified: '), 'no single verification line besides the rounds');
    assert.deepEqual(roundProperties(build), [
      { name: 'netaudit.verify.deselect-tests.rounds', value: '2' },
      { name: 'netaudit.verify.deselect-tests.round.1', value: `not verified; missed ${B}: ${R1}` },
      { name: 'netaudit.verify.deselect-tests.round.2', value: `verified; adds ${B}: ${R2}` },
    ]);
    // <properties> first in the test case, as pytest's junitxml writes them.
    const testcase = /<testcase [^>]*>\n([\s\S]*?)<\/testcase>/.exec(out)?.[1] ?? '';
    assert.ok(
      testcase.startsWith(
        '      <properties>\n' +
          '        <property name="netaudit.verify.deselect-tests.rounds" value="2"/>\n' +
          `        <property name="netaudit.verify.deselect-tests.round.1" value="${xml(`not verified; missed ${B}: ${R1}`)}"/>\n` +
          `        <property name="netaudit.verify.deselect-tests.round.2" value="${xml(`verified; adds ${B}: ${R2}`)}"/>\n` +
          '      </properties>\n      <failure ',
      ),
      testcase.slice(0, 600),
    );
    // A build verified in one run has no properties.
    const one: Report = { ...report, builds: [{ ...build, suggestions: [{ ...s, rounds: undefined }] }] };
    assert.doesNotMatch(renderJunit(one), /<properties>/);
  });

  it('HTML: a table of the rounds under the suggestion\'s state (from netaudit-view); the list says "verified in 2 rounds"', () => {
    const [view] = buildViews(report);
    assert.deepEqual(view?.suggestions[0]?.rounds, [
      { round: '1 of 2', added: '', outcome: 'not verified', missed: B, verification: R1, verified: false },
      { round: '2 of 2', added: B, outcome: 'verified', missed: '', verification: R2, verified: true },
    ]);
    assert.equal(view?.suggestions[0]?.verification, `verified in 2 rounds: ${R2}`);
    const html = renderHtml(report);
    // The page script draws the table from the view: its columns and test ids are in the script.
    assert.match(html, /table\(\['verify round','adds','outcome','missed \(added next round\)','verification'\]/);
    assert.match(html, /setAttribute\('data-testid','verify-rounds'\)/);
    assert.match(html, /data-testid="suggestion-item" data-cause="deselect-tests" data-verified="true"><b>deselect-tests<\/b> <span class="allowed">\(verified in 2 rounds\)<\/span>/);
    // No rounds, no table rows in the view.
    assert.equal(buildViews({ ...report, builds: [{ ...build, suggestions: [{ ...s, rounds: undefined }] }] })[0]?.suggestions[0]?.rounds, undefined);
  });

  it('report patches: a paragraph with each round, what it added and its outcome, before the verification line', () => {
    const [mail] = patchMails(report, { author: { name: 'Larry the Cow', email: 'larry@gentoo.example' } }).mails;
    const body = (mail?.text ?? '').split('\n---\n')[0] as string;
    const paragraphs = body.split('\n\n').map((p) => p.replace(/\n/g, ' '));
    const i = paragraphs.indexOf(`Verified in 2 rounds: round 1 missed ${B} (added in round 2); round 2 (adds ${B}) verified.`);
    assert.ok(i > 0, body);
    assert.equal(paragraphs[i + 1], `Verified: ${R2}.`);
    assert.ok(paragraphs.some((p) => p.includes(A)), 'the tests seen are still listed');
    for (const line of body.split('\n').slice(8)) assert.ok(line.length <= 72 || line.startsWith('- ') || !line.includes(' '), `body line too long: ${line}`);
  });
});
