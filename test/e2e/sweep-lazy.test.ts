/**
 * @privileged @portage The sweep of fixtures/repo with the tracer's --lazy-proc (the default) and without it
 * (NETAUDIT_LAZY_PROC=0: every exec/fork/exit line): the same report, build by build — verdicts, attempts with
 * their processes (pid aside: two runs), phases and test ids, interface listings, findings — times aside, the
 * link's packet count, and the count of the tracer's events, which is what --lazy-proc cuts. Nothing lost in either.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import type { BuildResult, Report } from '../../src/model/types.js';
import { FIXTURE_DISTFILES, ROOT, netaudit } from '../helpers/cli.js';
import { requirePortage } from '../helpers/portage.js';
import { requirePrivileges } from '../helpers/privileged.js';

const REPO = path.join(ROOT, 'fixtures/repo');

/** A build without what differs between two runs of it: times, pids (also in messages), its log's file name, the raw event count. */
function comparable(b: BuildResult, out: string): unknown {
  const text = JSON.stringify(b, (k, v: unknown) => (/(?:Ms|Us)$/.test(k) || k === 'pid' || k === 'ppid' ? undefined : v)).split(out).join('OUT').replace(/\[\d+\]/g, '[PID]');
  const plain = JSON.parse(text) as BuildResult;
  // The build log's file name carries the time of the run. Attempts made in the same millisecond (glibc's A and
  // AAAA questions, sent together) come in either order from run to run: compared as sets, and the findings
  // (which name attempts by index) by their text.
  const sorted = <T>(xs: readonly T[] | undefined) => (xs ?? []).map((x) => JSON.stringify(x)).sort();
  const findings = plain.findings.map(({ attempt: _a, ...f }) => f as unknown);
  // The capture's packet count is the link's, not the tracer's: the kernel's own IPv6 packets on the veth (router
  // solicitations, MLD reports) come on its timers, so two runs of one build may count one more or one less.
  const capture = plain.capture && { ...plain.capture, packets: undefined };
  return { ...plain, attempts: sorted(plain.attempts), findings: sorted(findings), log: undefined, capture, observer: { ...plain.observer, events: undefined } };
}

describe('netaudit sweep with --lazy-proc gives the report of the full stream @privileged @portage', function () {
  this.timeout(900_000);
  let tmp: string;

  before(function () {
    requirePrivileges(this);
    requirePortage(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-sweep-lazy-'));
    chmodSync(tmp, 0o755);
  });

  after(function () {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('every fixture ebuild: the same result, nothing lost', async function () {
    const sweep = async (name: string, lazy: boolean): Promise<Report> => {
      const out = path.join(tmp, name);
      const env = { ...process.env, NO_COLOR: '1', PORTAGE_RO_DISTDIRS: FIXTURE_DISTFILES, NETAUDIT_LAZY_PROC: lazy ? '1' : '0' };
      const r = await netaudit(['sweep', REPO, '--out', out, '--jobs', '2', '--fail-on', 'never'], { env });
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as Report;
    };
    const full = await sweep('full', false);
    const lean = await sweep('lazy', true);
    assert.ok(full.builds.length >= 20, `builds: ${full.builds.length}`);
    assert.deepEqual(lean.builds.map((b) => b.name), full.builds.map((b) => b.name));
    for (const [i, f] of full.builds.entries()) {
      const l = lean.builds[i] as BuildResult;
      assert.equal(f.observer?.available, true, `${f.name}: the tracer ran`);
      assert.equal(l.observer?.lost, 0, `${l.name}: lost`);
    }
    // Every build that differs named at once, then the first one's difference.
    const same = (i: number) => isDeepStrictEqual(comparable(lean.builds[i] as BuildResult, path.join(tmp, 'lazy')), comparable(full.builds[i] as BuildResult, path.join(tmp, 'full')));
    const differ = full.builds.filter((_, i) => !same(i)).map((b) => b.name);
    const first = full.builds.findIndex((_, i) => !same(i));
    if (first >= 0) {
      const f = full.builds[first] as BuildResult;
      assert.deepEqual(comparable(lean.builds[first] as BuildResult, path.join(tmp, 'lazy')), comparable(f, path.join(tmp, 'full')), `differ: ${differ.join(', ')}`);
    }
    const events = (r: Report) => r.builds.reduce((n, b) => n + (b.observer?.events ?? 0), 0);
    assert.ok(events(lean) * 2 < events(full), `events: ${events(lean)} lazy, ${events(full)} full`);
    assert.ok(full.builds.some((b) => b.attempts.some((a) => a.process?.argv?.length && a.test)));
  });
});
