/**
 * @privileged @portage `netaudit ebuild --explain` (the default) and `--intercept` with real Portage. Three audits:
 * 1. compile-download (curl of http://files.example.org/dist/x.tar.gz in src_compile: breaks) and clean-build,
 *    explained: the breaking one is rerun once intercepted (two Portage build logs), its faithful DNS attempts get
 *    the URL the rerun's curl asked for, the verdict, findings, outcomes and exit code stay the faithful run's;
 *    the clean one is not rerun (one build log). With --suggest, the SRC_URI suggestion names the URL.
 * 2. compile-download --no-explain: one Portage run, no `wanted`, no explanation.
 * 3. compile-download --intercept: the only run is intercepted, labelled an observation, and the DNS went to the
 *    monitor's responder (the private resolv.conf reached Portage's phases, run as the portage user).
 * --no-observe: the observer is not what is tested, and its attach costs seconds per audit. Reserved names only.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildResult, Report } from '../../src/model/types.js';
import { INTERCEPT_CHANGE } from '../../src/sandbox/intercept.js';
import { EXPLAIN_CHANGE } from '../../src/analyze/explain.js';
import { ROOT, netaudit, type Ran } from '../helpers/cli.js';
import { requirePortage } from '../helpers/portage.js';
import { requirePrivileges } from '../helpers/privileged.js';

const REPO = path.join(ROOT, 'fixtures/repo');
const DOWNLOAD = path.join(REPO, 'net-test/compile-download/compile-download-1.ebuild');
const CLEAN = path.join(REPO, 'net-test/clean-build/clean-build-1.ebuild');
const URL = 'http://files.example.org/dist/x.tar.gz';

/** Portage's build logs of `pf` in LOGDIR/net-test: one per Portage run of the phases. */
function buildLogs(logDir: string, pf: string): string[] {
  return readdirSync(path.join(logDir, 'net-test')).filter((f) => f.startsWith(`net-test:${pf}:`));
}

async function audit(tmp: string, name: string, args: string[]): Promise<{ ran: Ran; report: Report; logDir: string; seconds: number }> {
  const json = path.join(tmp, `${name}.json`);
  const logDir = path.join(tmp, `logs-${name}`);
  const t0 = Date.now();
  const ran = await netaudit(['ebuild', '--no-observe', '--json', json, '--log-dir', logDir, ...args]);
  const seconds = (Date.now() - t0) / 1000;
  return { ran, report: JSON.parse(readFileSync(json, 'utf8')) as Report, logDir, seconds };
}

describe('netaudit ebuild --explain and --intercept @privileged @portage', function () {
  this.timeout(300_000);
  let tmp: string;
  let explained: Awaited<ReturnType<typeof audit>>;
  let plain: Awaited<ReturnType<typeof audit>>;
  let intercepted: Awaited<ReturnType<typeof audit>>;
  const build = (r: Report, pf: string) => r.builds.find((b) => b.name === `net-test/${pf}`) as BuildResult;

  before(async function () {
    requirePrivileges(this);
    requirePortage(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    explained = await audit(tmp, 'explained', ['--suggest', path.join(tmp, 'patches'), DOWNLOAD, CLEAN]);
    plain = await audit(tmp, 'plain', ['--no-explain', DOWNLOAD]);
    intercepted = await audit(tmp, 'intercepted', ['--intercept', DOWNLOAD]);
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('explained: the faithful DNS attempts get the URL the rerun asked for; verdict, findings, outcomes and exit code are the faithful run\'s', () => {
    const b = build(explained.report, 'compile-download-1');
    assert.equal(b.verdict, 'breaks');
    assert.equal(b.exitCode, 1);
    assert.equal(b.intercepted, undefined);
    const p = build(plain.report, 'compile-download-1');
    assert.deepEqual(b.findings.map((f) => f.keyword), p.findings.map((f) => f.keyword));
    assert.deepEqual(b.attempts.map((a) => [a.kind, a.hostname, a.qtype, a.outcome, a.phase]), p.attempts.map((a) => [a.kind, a.hostname, a.qtype, a.outcome, a.phase]));
    const dns = b.attempts.filter((a) => a.kind === 'dns' && a.hostname === 'files.example.org');
    assert.equal(dns.length, 2, JSON.stringify(b.attempts));
    for (const a of dns) assert.equal(a.wanted, URL);
    assert.equal(explained.ran.code, 1, 'exit 1: a build breaks (--fail-on breaks), as without --explain');
    assert.equal(plain.ran.code, 1);
  });

  it('explained: the explanation block keeps the rerun whole (its TCP connect, with phase and wanted), its cost and log; the changes say so', () => {
    const b = build(explained.report, 'compile-download-1');
    const e = b.explanation;
    assert.ok(e, 'an explanation');
    assert.equal(e.explained, 2);
    assert.equal(e.error, undefined);
    assert.ok(e.durationMs > 0);
    const tcp = e.attempts.filter((a) => a.kind === 'tcp');
    assert.ok(tcp.some((a) => a.port === 80 && a.hostname === 'files.example.org' && a.phase === 'src_compile' && a.wanted === URL), JSON.stringify(e.attempts));
    assert.ok(e.log && e.log !== b.log, 'the rerun has its own build log');
    assert.ok(b.changes?.includes(EXPLAIN_CHANGE));
    assert.deepEqual(buildLogs(explained.logDir, 'compile-download-1').length, 2, 'two Portage runs: the faithful one and the rerun');
    console.log(`      (compile-download: faithful run ${(b.durationMs / 1000).toFixed(1)} s, intercepted rerun ${(e.durationMs / 1000).toFixed(1)} s)`);
  });

  it('explained: the lines say what was wanted and where it came from; the SRC_URI suggestion names the URL', () => {
    assert.ok(explained.ran.stdout.includes(`    wanted: ${URL} (from an intercepted rerun)`), explained.ran.stdout);
    assert.match(explained.ran.stdout, /net-test\/compile-download-1: explanation: `wanted` comes from an intercepted rerun/);
    const s = build(explained.report, 'compile-download-1').suggestions?.find((x) => x.cause === 'build-time-download');
    assert.ok(s?.summary.includes(URL), JSON.stringify(s));
  });

  it('a clean ebuild is not rerun', () => {
    const b = build(explained.report, 'clean-build-1');
    assert.equal(b.verdict, 'clean');
    assert.equal(b.explanation, undefined);
    assert.equal(buildLogs(explained.logDir, 'clean-build-1').length, 1);
  });

  it('--no-explain: one Portage run, no wanted, no explanation', () => {
    const b = build(plain.report, 'compile-download-1');
    assert.equal(b.explanation, undefined);
    assert.ok(b.attempts.every((a) => a.wanted === undefined));
    assert.ok(!b.changes?.includes(EXPLAIN_CHANGE));
    assert.equal(buildLogs(plain.logDir, 'compile-download-1').length, 1);
    assert.ok(!plain.ran.stdout.includes('wanted'));
    console.log(`      (netaudit ebuild compile-download: ${plain.seconds.toFixed(1)} s with --no-explain)`);
  });

  it('--intercept: the only run is intercepted and labelled so; the lookups reached the responder from the portage user\'s phase', () => {
    const b = build(intercepted.report, 'compile-download-1');
    assert.equal(b.intercepted, true);
    assert.equal(b.explanation, undefined, 'an intercepted build is not explained again');
    assert.ok(b.changes?.includes(INTERCEPT_CHANGE));
    const dns = b.attempts.filter((a) => a.kind === 'dns' && a.hostname === 'files.example.org');
    assert.ok(dns.length >= 1 && dns.every((a) => a.address === '203.0.113.53' && a.phase === 'src_compile'), JSON.stringify(b.attempts));
    assert.ok(b.attempts.some((a) => a.kind === 'tcp' && a.wanted === URL));
    assert.match(intercepted.ran.stdout, /^net-test\/compile-download-1: INTERCEPTED \(observation, not a network-sandbox verdict; as judged: /m);
    assert.equal(buildLogs(intercepted.logDir, 'compile-download-1').length, 1);
  });
});
