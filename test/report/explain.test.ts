/**
 * Every reporter shows what an explained build's attempts wanted (--explain), and the ones that print lines say
 * that it came from an intercepted rerun, not from the faithful run whose verdict they show. On the example
 * recorded from `netaudit ebuild` of fixtures/repo/net-test/compile-download-1.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { BuildResult, Report } from '../../src/model/types.js';
import { explanationLines } from '../../src/model/format.js';
import { renderEbuildLines } from '../../src/report/ebuild-lines.js';
import { buildViews, renderHtml } from '../../src/report/html.js';
import { renderJunit } from '../../src/report/junit.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { EXAMPLES, readJson } from './helpers.js';

const URL = 'http://files.example.org/dist/x.tar.gz';
const report = (): Report => readJson(path.join(EXAMPLES, 'ebuild-explained-breaks.json')) as Report;
const build = (): BuildResult => report().builds[0] as BuildResult;

describe('reporters on an explained build (--explain)', () => {
  it('ebuild lines: the verdict stays BREAKS; each finding on an explained attempt has `wanted: URL (from an intercepted rerun)`; the explanation follows', () => {
    const lines = renderEbuildLines(build()).split('\n');
    assert.equal(lines[0], 'net-test/compile-download-1: BREAKS (src_compile)');
    const wanted = lines.filter((l) => l.startsWith('    wanted: '));
    assert.deepEqual(wanted, [`    wanted: ${URL} (from an intercepted rerun)`, `    wanted: ${URL} (from an intercepted rerun)`], 'one per DnsLookup, none for PhaseFailed');
    const head = lines.find((l) => l.startsWith('net-test/compile-download-1: explanation: '));
    assert.ok(head, lines.join('\n'));
    assert.match(head, /observation, not a network-sandbox verdict; the verdict is this run's\): 2 of 2 attempts explained; the rerun: exit 1, 7\.65 s$/);
  });

  it('ebuild lines of an intercepted build: labelled INTERCEPTED, `wanted` without the rerun note', () => {
    const b = build();
    const text = renderEbuildLines({ ...b, intercepted: true, explanation: undefined });
    assert.match(text.split('\n')[0] as string, /^net-test\/compile-download-1: INTERCEPTED \(observation, not a network-sandbox verdict; as judged: BREAKS\)/);
    assert.ok(text.includes(`    wanted: ${URL}\n`));
    assert.ok(!text.includes('intercepted rerun'));
  });

  it('terminal: BREAKS header, the wanted column on the attempts, and a line saying where it came from', () => {
    const text = renderTerminal(report(), { color: false });
    assert.match(text, /^BREAKS {2}net-test\/compile-download-1/);
    assert.equal(text.split('\n').filter((l) => l.startsWith('  dns') && l.includes(`wanted ${URL}`)).length, 2, text);
    assert.ok(text.includes("  explanation: `wanted` comes from an intercepted rerun (observation, not a network-sandbox verdict; the verdict is this run's)"), text);
  });

  it('JUnit: still a failure; the attempts say what they wanted and system-out says where from', () => {
    const xml = renderJunit(report());
    assert.match(xml, /<failure type="breaks"/);
    assert.ok(xml.includes(`wanted ${URL}`), xml);
    assert.ok(xml.includes('explanation: `wanted` comes from an intercepted rerun'), xml);
  });

  it('HTML: the attempts carry the wanted URL; the page says where it came from (the explanation lines in its view)', () => {
    assert.ok(renderHtml(report()).includes(URL));
    const [view] = buildViews(report());
    assert.deepEqual(view?.explanation, explanationLines(build()));
    assert.match(view?.explanation[0] ?? '', /^explanation: `wanted` comes from an intercepted rerun/);
    assert.ok(renderHtml(report()).includes("data-testid','explanation'"), 'the page script shows them');
  });

  it('texts only the rerun wanted are listed (it goes further than the faithful run); a failed rerun says why', () => {
    const b = build();
    const tcp = b.explanation?.attempts.find((a) => a.kind === 'tcp') as NonNullable<BuildResult['explanation']>['attempts'][0];
    const more = { ...tcp, hostname: 'mirror.example.org', wanted: 'http://mirror.example.org/y.tar.gz' };
    const lines = explanationLines({ ...b, explanation: { ...(b.explanation as NonNullable<BuildResult['explanation']>), attempts: [tcp, more] } });
    assert.equal(lines.length, 2);
    assert.match(lines[1] as string, /^rerun only: wanted http:\/\/mirror\.example\.org\/y\.tar\.gz, mirror\.example\.org \(\[2001:db8:ffff::1\]:80\) in src_compile by curl/);
    const failed = explanationLines({ ...b, explanation: { durationMs: 3, exitCode: null, attempts: [], explained: 0, note: 'n', error: 'spawn python3 ENOENT' } });
    assert.deepEqual(failed, ['explanation: none, the intercepted rerun could not be made: spawn python3 ENOENT']);
    assert.deepEqual(explanationLines({ attempts: [] }), []);
  });
});
