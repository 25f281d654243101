/**
 * @privileged @portage `netaudit watch` with the tracer's --lazy-proc (watch's default) against the full stream
 * (--no-lazy-proc: every exec/fork/exit line), side by side beside the same builds: every fixture ebuild of the
 * project's repository built once by plain Portage (`ebuild FILE clean test install clean`,
 * FEATURES=network-sandbox, with the test hook installed) inside a network namespace this test makes (lo only:
 * never the host's network), while both watches run. Their results must be the same package by package (attempts, processes with their argv, test
 * ids, phases, interface listings, findings, verdict, the watch block), times and the count of the tracer's
 * events aside (that count is what --lazy-proc cuts), and nothing may be lost.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { discoverEbuilds } from '../../src/sweep/discover.js';
import type { BuildResult } from '../../src/model/types.js';
import { FIXTURE_DISTFILES, ROOT, netaudit, run } from '../helpers/cli.js';
import { portageEnv, requirePortage } from '../helpers/portage.js';
import { requirePrivileges } from '../helpers/privileged.js';
import { WatchProcess } from '../helpers/watch.js';

type Watched = BuildResult & { watch: { buildDir?: string } };

function results(file: string, portageTmp: string): Map<string, Watched> {
  if (!existsSync(file)) return new Map();
  const all = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Watched);
  return new Map(all.filter((b) => b.watch.buildDir?.startsWith(portageTmp)).map((b) => [b.name, b]));
}

/** A result without its times (each watch reads its own clock for a package's end) and without the count of raw tracer events. */
function comparable(b: Watched): unknown {
  const plain = JSON.parse(JSON.stringify(b, (k, v: unknown) => (/(?:Ms|Us)$/.test(k) ? undefined : v))) as Watched;
  // Attempts are listed by firstAtMs, rounded to the millisecond from each watch's own view of the build's
  // start: two attempts made within a millisecond (getent's A and AAAA questions) can round to either order in
  // the two watches. Compared here in an order of their own, every reference to one (a finding's `attempt`, a
  // suggestion's `attempts`) renumbered to match.
  const byText = (x: unknown, y: unknown): number => {
    const [p, q] = [JSON.stringify(x), JSON.stringify(y)];
    return p < q ? -1 : p > q ? 1 : 0;
  };
  const order = plain.attempts.map((a, i) => ({ a, i })).sort((x, y) => byText(x.a, y.a));
  const at = new Map(order.map((o, j) => [o.i, j]));
  const findings = plain.findings.map((f) => (f.attempt === undefined ? f : { ...f, attempt: at.get(f.attempt) }));
  const suggestions = plain.suggestions?.map((x) => (x.attempts ? { ...x, attempts: x.attempts.map((i) => at.get(i) as number).sort((p, q) => p - q) } : x));
  return {
    ...plain,
    attempts: order.map((o) => o.a),
    findings: findings.sort(byText),
    ...(suggestions ? { suggestions } : {}),
    observer: { ...plain.observer, events: undefined },
  };
}

describe('netaudit watch --lazy-proc gives the results of the full stream @privileged @portage', function () {
  this.timeout(900_000);
  let tmp: string;
  let configRoot: string;

  before(async function () {
    requirePrivileges(this);
    requirePortage(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-watch-lazy-'));
    chmodSync(tmp, 0o755);
    const userEtc = '/opt/netaudit/portage-root/etc/portage';
    configRoot = path.join(tmp, 'config');
    mkdirSync(path.join(configRoot, 'etc/portage'), { recursive: true });
    for (const e of ['make.conf', 'make.profile', 'repos.conf', 'env']) {
      const from = path.join(userEtc, e);
      if (existsSync(from)) symlinkSync(e === 'make.profile' ? realpathSync(from) : from, path.join(configRoot, 'etc/portage', e));
    }
    const hook = await netaudit(['watch', '--install-hook', '--config-root', configRoot]);
    assert.equal(hook.code, 0, hook.stderr);
  });

  after(async function () {
    if (!tmp) return;
    if (configRoot) await netaudit(['watch', '--remove-hook', '--config-root', configRoot]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('every fixture ebuild: the same result package by package, nothing lost', async function () {
    const fixtures = discoverEbuilds(path.join(ROOT, 'fixtures/repo')).map((r) => r.path);
    assert.ok(fixtures.length >= 20, `fixtures: ${fixtures.length}`);
    const portageTmp = path.join(tmp, 'portage');
    mkdirSync(portageTmp, { recursive: true });
    chmodSync(portageTmp, 0o777);
    const lean = new WatchProcess(['--out', path.join(tmp, 'lazy'), '--quiet-time', '2s']);
    const full = new WatchProcess(['--out', path.join(tmp, 'full'), '--quiet-time', '2s', '--no-lazy-proc']);
    try {
      await Promise.all([lean.ready(), full.ready()]);
      const env = portageEnv({ PORTAGE_CONFIGROOT: configRoot, PORTAGE_TMPDIR: portageTmp, FEATURES: 'network-sandbox', PORTAGE_RO_DISTDIRS: FIXTURE_DISTFILES });
      for (const f of fixtures) {
        const r = await run(['unshare', '--net', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'portage', env.NETAUDIT_EBUILD ?? '', f, 'clean', 'test', 'install', 'clean'], { env });
        assert.ok(r.code !== null, `${f}: ${r.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      assert.equal(await lean.stop(), 0, lean.stderr);
      assert.equal(await full.stop(), 0, full.stderr);
    }
    const mine = realpathSync(portageTmp);
    const [a, b] = [results(path.join(tmp, 'lazy/results.jsonl'), mine), results(path.join(tmp, 'full/results.jsonl'), mine)];
    assert.equal(b.size, fixtures.length, `full stream: ${[...b.keys()].join(' ')}`);
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
    for (const [name, r] of b) {
      const l = a.get(name) as Watched;
      assert.equal(l.observer?.lost, 0, `${name}: lost`);
      assert.deepEqual(comparable(l), comparable(r), name);
    }
    // The point: far fewer of the tracer's events reached the analysis.
    const events = (m: Map<string, Watched>) => [...m.values()].reduce((n, x) => n + (x.observer?.events ?? 0), 0);
    assert.ok(events(a) * 2 < events(b), `events: ${events(a)} lazy, ${events(b)} full`);
    // Some results have something to compare: attempts with a process and a test id.
    assert.ok([...b.values()].some((x) => x.attempts.some((t) => t.process?.argv?.length && t.test)));
  });
});
