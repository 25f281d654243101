/**
 * @privileged @portage `netaudit watch` beside real Portage (the project's /opt/netaudit install): three fixture
 * ebuilds (a pytest suite that needs the internet, a test that resolves a name, a clean build) are built by plain
 * `ebuild FILE clean test install clean`, each inside a network namespace this test makes (lo only: never the
 * host's network), once with FEATURES=network-sandbox and once without, while `netaudit watch` runs. The watched
 * results must name the same packages, phases, attempts and test ids as `netaudit ebuild` reports for them; the
 * breaking packages are flagged in both runs; `--confirm` reruns exactly those. A kill -9 of watch leaves no
 * tracer behind, and a restart resumes results.jsonl (dropping a line the kill cut short).
 *
 * Portage runs with a config root of the test's own (symlinks to /opt/netaudit's, plus the hook that
 * `watch --install-hook` adds) and a PORTAGE_TMPDIR of its own, so that other Portage runs on the machine
 * (which watch sees too: it watches the whole machine) are told apart by their build dir.
 */
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildResult, Report } from '../../src/model/types.js';
import { CLI, FIXTURE_DISTFILES, ROOT, netaudit, run } from '../helpers/cli.js';
import { portageEnv, requirePortage } from '../helpers/portage.js';
import { requirePrivileges } from '../helpers/privileged.js';
import { WatchProcess, alive, attemptKey, jsonLines, watchConfigRoot, type Watched } from '../helpers/watch.js';

const FIXTURES = ['pytest-internet', 'test-resolve', 'clean-build'].map((p) => path.join(ROOT, 'fixtures/repo/net-test', p, `${p}-1.ebuild`));
const BREAKING = ['net-test/pytest-internet-1', 'net-test/test-resolve-1'];
/** A fixture that is not built here: only `ebuild FILE clean` is run for it. */
const CLEAN_ONLY = path.join(ROOT, 'fixtures/repo/net-test/build-download/build-download-1.ebuild');
const results = (file: string): Watched[] => jsonLines<Watched>(file);

describe('netaudit watch beside real Portage @privileged @portage', function () {
  this.timeout(600_000);
  let tmp: string;
  let configRoot: string;
  let reference: Map<string, BuildResult>;

  before(async function () {
    requirePrivileges(this);
    requirePortage(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-watch-test-'));
    chmodSync(tmp, 0o755);
    // A config root of our own: /opt/netaudit's entries as symlinks, the hook added by watch itself.
    configRoot = await watchConfigRoot(path.join(tmp, 'config'));
    // What netaudit ebuild reports for them (its own sandbox and hook).
    const json = path.join(tmp, 'reference.json');
    const ref = await netaudit(['ebuild', ...FIXTURES, '--json', json, '--quiet', '--no-explain', '--log-dir', path.join(tmp, 'ref-logs')]);
    assert.ok(ref.code === 0 || ref.code === 1, ref.stderr);
    reference = new Map((JSON.parse(readFileSync(json, 'utf8')) as Report).builds.map((b) => [b.name, b]));
    assert.deepEqual([...reference.keys()].sort(), ['net-test/clean-build-1', 'net-test/pytest-internet-1', 'net-test/test-resolve-1']);
    assert.deepEqual([...reference.values()].filter((b) => b.verdict === 'breaks').map((b) => b.name).sort(), BREAKING);
  });

  after(async function () {
    if (!tmp) return;
    if (configRoot) await netaudit(['watch', '--remove-hook', '--config-root', configRoot]);
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Plain Portage builds each fixture in a namespace of its own (lo only), with or without network-sandbox. */
  async function buildAll(features: string, portageTmp: string): Promise<void> {
    mkdirSync(portageTmp, { recursive: true });
    chmodSync(portageTmp, 0o777);
    const env = portageEnv({ PORTAGE_CONFIGROOT: configRoot, PORTAGE_TMPDIR: portageTmp, FEATURES: features, PORTAGE_RO_DISTDIRS: FIXTURE_DISTFILES });
    for (const f of FIXTURES) {
      const r = await run(['unshare', '--net', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'portage', env.NETAUDIT_EBUILD ?? '', f, 'clean', 'test', 'install', 'clean'], { env });
      assert.ok(r.code !== null, `${f}: ${r.stderr}`);
    }
  }

  /** The watched results of this test's builds (by their build dir), by name. */
  function mine(file: string, portageTmp: string): Map<string, Watched> {
    return new Map(results(file).filter((b) => b.watch.buildDir?.startsWith(portageTmp)).map((b) => [b.name, b]));
  }

  function assertSameAsEbuild(watched: Map<string, Watched>): void {
    assert.deepEqual([...watched.keys()].sort(), [...reference.keys()].sort());
    for (const [name, w] of watched) {
      const r = reference.get(name) as BuildResult;
      assert.deepEqual((w.phases ?? []).map((p) => p.name), (r.phases ?? []).map((p) => p.name), `${name}: phases`);
      assert.deepEqual([...new Set(w.attempts.map(attemptKey))].sort(), [...new Set(r.attempts.map(attemptKey))].sort(), `${name}: attempts`);
      assert.equal(w.ebuild?.path, r.ebuild?.path, `${name}: ebuild`);
    }
    const test = watched.get('net-test/pytest-internet-1')?.attempts.find((a) => a.test);
    assert.equal(test?.test, 'tests/test_net.py::test_download');
  }

  it('with network-sandbox: the same packages, phases, attempts and test ids as netaudit ebuild; breaking ones flagged', async function () {
    const out = path.join(tmp, 'on');
    const portageTmp = path.join(tmp, 'portage-on');
    const w = new WatchProcess(['--out', out, '--quiet-time', '2s']);
    await w.ready();
    await buildAll('network-sandbox', portageTmp);
    // A clean alone (Portage runs ebuild.sh for it) is no build: no result, no journal left.
    const env = portageEnv({ PORTAGE_CONFIGROOT: configRoot, PORTAGE_TMPDIR: portageTmp, FEATURES: 'network-sandbox' });
    const cleaned = await run(['unshare', '--net', '--', env.NETAUDIT_EBUILD ?? '', CLEAN_ONLY, 'clean'], { env });
    assert.equal(cleaned.code, 0, cleaned.stderr);
    await new Promise((r) => setTimeout(r, 3500));
    assert.equal(await w.stop(), 0, w.stderr);
    const watched = mine(path.join(out, 'results.jsonl'), realpathSync(portageTmp));
    assert.ok(!watched.has('net-test/build-download-1'), 'a clean alone is no result');
    const building = path.join(out, 'building');
    const heads = existsSync(building) ? readdirSync(building).map((f) => readFileSync(path.join(building, f), 'utf8').split('\n')[0] ?? '') : [];
    assert.ok(!heads.some((h) => h.includes('net-test/build-download-1')), `journals left: ${heads.join(' ')}`);
    assertSameAsEbuild(watched);
    for (const b of watched.values()) assert.equal(b.watch.networkSandbox, true, b.name);
    assert.deepEqual([...watched.values()].filter((b) => b.verdict === 'breaks').map((b) => b.name).sort(), BREAKING);
    const rendered = await netaudit(['report', 'render', out, '--format', 'pkgcheck']);
    assert.equal(rendered.code, 0, rendered.stderr);
    assert.match(rendered.stdout, /net-test\/pytest-internet-1/);
  });

  it('without network-sandbox (in a namespace of the test): flagged alike, NetworkSandboxOff names what reached out, --confirm reruns exactly those', async function () {
    const out = path.join(tmp, 'off');
    const portageTmp = path.join(tmp, 'portage-off');
    const w = new WatchProcess(['--out', out, '--quiet-time', '2s', '--confirm']);
    await w.ready();
    await buildAll('-network-sandbox', portageTmp);
    // The faithful reruns are queued as each flagged package ends, one at a time.
    const confirmFile = path.join(out, 'confirm/results.jsonl');
    const t0 = Date.now();
    while (results(confirmFile).length < BREAKING.length && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 500));
    assert.equal(await w.stop(), 0, w.stderr);
    const watched = mine(path.join(out, 'results.jsonl'), realpathSync(portageTmp));
    assertSameAsEbuild(watched);
    const flagged = [...watched.values()].filter((b) => b.watch.confirm === 'queued').map((b) => b.name).sort();
    assert.deepEqual(flagged, BREAKING);
    for (const name of BREAKING) {
      const b = watched.get(name) as Watched;
      assert.equal(b.watch.networkSandbox, false);
      assert.ok(b.watch.wouldBlock > 0);
      const f = b.findings.find((x) => x.keyword === 'NetworkSandboxOff');
      assert.ok(f, `${name}: NetworkSandboxOff`);
      assert.match(f.message, /203\.0\.113\.10|testdata\.example/);
    }
    const confirmed = results(confirmFile);
    assert.deepEqual(confirmed.map((b) => b.name).sort(), BREAKING);
    for (const c of confirmed) assert.equal(c.verdict, 'breaks', c.name);
  });

  it('kill -9 leaves no tracer behind; a restart resumes results.jsonl and drops the line the kill cut short', async function () {
    const out = path.join(tmp, 'on');
    const before = results(path.join(out, 'results.jsonl')).length;
    assert.ok(before >= 3);
    const w = new WatchProcess(['--out', out]);
    await w.ready();
    assert.ok(alive(w.tracerPid));
    await w.stop('SIGKILL');
    const t0 = Date.now();
    while (alive(w.tracerPid) && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(w.tracerPid), false, 'the tracer outlived a kill -9 of watch');
    // A line cut short by a kill during a write.
    appendFileSync(path.join(out, 'results.jsonl'), '{"name":"net-test/cut-1","kind":"eb');
    const again = new WatchProcess(['--out', out]);
    await again.ready();
    assert.match(again.stderr, new RegExp(`${before} result\\(s\\) already in`));
    assert.equal(await again.stop(), 0, again.stderr);
    const text = readFileSync(path.join(out, 'results.jsonl'), 'utf8');
    assert.ok(!text.includes('cut-1'));
    assert.equal(results(path.join(out, 'results.jsonl')).length, before);
  });

  it('refuses to run without root, in one line, exit 2', async function () {
    const r = await run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'watch', '--out', path.join(tmp, 'nobody')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr.trim(), /^netaudit: not running as root/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});

