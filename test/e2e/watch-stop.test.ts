/**
 * @privileged @portage Nothing is lost when `netaudit watch` stops: real Portage builds three packages of a
 * repository the test writes (two whose src_test resolves a name and dies: flagged, so `--confirm` queues a
 * faithful rerun of each, one at a time; one that resolves a name in src_test and then takes its time), inside a
 * network namespace the test makes (lo only), while watch runs. Watch is stopped (SIGTERM, or kill -9) while the
 * slow package is in src_test and a rerun is still queued; the restarted watch says what it resumes, runs each
 * queued rerun exactly once, and writes the slow package whole when it ends (WatchIncomplete names what it did
 * not see). At a SIGTERM the package still being built is written at once as incomplete, replaced by the
 * restart's result.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { netaudit, run } from '../helpers/cli.js';
import { ebuildBinary, portageEnv, requirePortage } from '../helpers/portage.js';
import { requirePrivileges } from '../helpers/privileged.js';
import { WatchProcess, jsonLines, sleep, waitFor, watchConfigRoot, type Watched } from '../helpers/watch.js';
import type { ConfirmStep } from '../../src/sweep/watch-state.js';

const FLAGGED = ['net-test/watch-stop-a-1', 'net-test/watch-stop-b-1'];
const SLOW = 'net-test/watch-slow-1';

const ebuildText = (description: string, test: string): string =>
  ['EAPI=8', `DESCRIPTION="${description}"`, 'HOMEPAGE="https://netaudit.example/"', 'S="${WORKDIR}"', 'LICENSE="public-domain"', 'SLOT="0"', 'KEYWORDS="amd64"', 'IUSE="test"', 'src_compile() { :; }', `src_test() {\n${test}\n}`, 'src_install() { :; }', ''].join('\n');

describe('netaudit watch: nothing is lost at a stop @privileged @portage', function () {
  this.timeout(400_000);
  let tmp: string;
  let repo: string;
  let configRoot: string;

  before(async function () {
    requirePrivileges(this);
    requirePortage(this);
    tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'netaudit-watch-stop-')));
    chmodSync(tmp, 0o755);
    repo = path.join(tmp, 'repo');
    mkdirSync(path.join(repo, 'metadata'), { recursive: true });
    mkdirSync(path.join(repo, 'profiles'));
    writeFileSync(path.join(repo, 'metadata/layout.conf'), 'masters =\nthin-manifests = true\n');
    writeFileSync(path.join(repo, 'profiles/repo_name'), 'netaudit-watch-stop\n');
    for (const name of FLAGGED) {
      const pn = name.split('/')[1]?.replace(/-1$/, '') as string;
      mkdirSync(path.join(repo, 'net-test', pn), { recursive: true });
      writeFileSync(path.join(repo, 'net-test', pn, `${pn}-1.ebuild`), ebuildText('src_test resolves a name and dies', '\tgetent hosts testdata.example || die "Could not resolve host: testdata.example"'));
    }
    mkdirSync(path.join(tmp, 'mark'));
    chmodSync(path.join(tmp, 'mark'), 0o777);
    mkdirSync(path.join(repo, 'net-test/watch-slow'), { recursive: true });
    writeFileSync(
      path.join(repo, 'net-test/watch-slow/watch-slow-1.ebuild'),
      ebuildText('src_test resolves a name, then takes its time', `\tgetent hosts slow.testdata.example\n\ttouch "${tmp}/mark/\${PF}.in-test"\n\tsleep 20`),
    );
    configRoot = await watchConfigRoot(path.join(tmp, 'config'));
  });

  after(async function () {
    if (!tmp) return;
    if (configRoot) await netaudit(['watch', '--remove-hook', '--config-root', configRoot]);
    rmSync(tmp, { recursive: true, force: true });
  });

  const ebuildOf = (name: string): string => {
    const pn = name.split('/')[1]?.replace(/-1$/, '') as string;
    return path.join(repo, 'net-test', pn, `${pn}-1.ebuild`);
  };

  /** Plain Portage, in a network namespace of its own (lo only), with network-sandbox. */
  const portageArgv = (name: string): string[] => ['unshare', '--net', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'netns', ebuildBinary(), ebuildOf(name), 'clean', 'test', 'install', 'clean'];
  const envFor = (portageTmp: string): NodeJS.ProcessEnv => portageEnv({ PORTAGE_CONFIGROOT: configRoot, PORTAGE_TMPDIR: portageTmp, FEATURES: 'network-sandbox' });

  /** The result kept for each name (as results.jsonl is read: a later line replaces a provisional one) of this run's builds. */
  function kept(out: string, portageTmp: string): Map<string, Watched> {
    const m = new Map<string, Watched>();
    for (const b of jsonLines<Watched>(path.join(out, 'results.jsonl'))) {
      if (!b.watch.buildDir?.startsWith(`${portageTmp}/`)) continue;
      const had = m.get(b.name);
      if (!had || had.watch.ended === 'watch stopped') m.set(b.name, b);
    }
    return m;
  }

  async function scenario(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const out = path.join(tmp, `out-${signal}`);
    const portageTmp = path.join(tmp, `portage-${signal}`);
    mkdirSync(portageTmp);
    chmodSync(portageTmp, 0o777);
    const marker = path.join(tmp, 'mark', 'watch-slow-1.in-test');
    rmSync(marker, { force: true });
    const first = new WatchProcess(['--out', out, '--quiet-time', '2s', '--confirm']);
    await first.ready();
    // The slow package in the background; the two flagged ones meanwhile, one after the other.
    const slow = spawn(portageArgv(SLOW)[0] as string, portageArgv(SLOW).slice(1), { env: envFor(portageTmp), stdio: 'ignore' });
    const slowDone = new Promise<number | null>((resolve) => slow.on('close', (code) => resolve(code)));
    try {
      for (const name of FLAGGED) {
        const r = await run(portageArgv(name), { env: envFor(portageTmp) });
        assert.equal(r.code, 1, `${name}: ${r.stderr}`);
      }
      await waitFor('both flagged results, their reruns queued', () => (FLAGGED.every((n) => kept(out, portageTmp).get(n)?.watch.confirm === 'queued') ? true : undefined), 30_000);
      await waitFor('the slow package in src_test', () => (existsSync(marker) ? true : undefined), 30_000);
      // One rerun at a time: the second is still queued (the first takes seconds).
      const steps = jsonLines<ConfirmStep>(path.join(out, 'confirm.jsonl'));
      assert.deepEqual(steps.filter((s) => s.t === 'queued').map((s) => s.name).sort(), FLAGGED);
      assert.ok(steps.filter((s) => s.t === 'done').length < FLAGGED.length, `both reruns done before the stop: ${JSON.stringify(steps)}`);
      assert.equal(await first.stop(signal), signal === 'SIGTERM' ? 0 : null, first.stderr);

      assert.equal(readdirSync(path.join(out, 'building')).length >= 1, true, 'the slow package has a journal');
      if (signal === 'SIGTERM') {
        // At a SIGTERM the package still being built is written as it stands, honestly.
        const partial = kept(out, portageTmp).get(SLOW);
        assert.ok(partial, first.stderr);
        assert.equal(partial.watch.ended, 'watch stopped');
        const f = partial.findings.find((x) => x.keyword === 'WatchIncomplete');
        assert.match(f?.message ?? '', /watch stopped while net-test\/watch-slow-1 was in src_test; attempts seen so far: \d+ \(slow\.testdata\.example\)/);
        assert.match(first.stderr, /still being built, written as incomplete \(a restart continues them\): net-test\/watch-slow-1 \(src_test\)/);
      } else assert.equal(kept(out, portageTmp).has(SLOW), false);

      // The restart says what it resumes, runs what was queued and not done, and follows the slow package on.
      const again = new WatchProcess(['--out', out, '--quiet-time', '2s', '--confirm']);
      await again.ready();
      await waitFor('the resume lines', () => (/queued faithful rerun/.test(again.stderr) ? true : undefined), 10_000);
      assert.match(again.stderr, new RegExp(`resuming 1 package\\(s\\) the last watch was following at its stop: net-test/watch-slow-1 \\(src_test${signal === 'SIGKILL' ? '; the last watch was killed' : ''}\\)`));
      assert.match(again.stderr, /resuming [12] queued faithful rerun\(s\): net-test\/watch-stop-/);
      assert.equal(await slowDone, 0);
      await waitFor('both reruns', () => (jsonLines(path.join(out, 'confirm/results.jsonl')).length >= FLAGGED.length ? true : undefined), 120_000);
      const whole = await waitFor('the slow package whole', () => {
        const b = kept(out, portageTmp).get(SLOW);
        return b && b.watch.ended !== 'watch stopped' ? b : undefined;
      });
      assert.equal(await again.stop(), 0, again.stderr);

      // Exactly once each: one result, one `done`.
      const confirmed = jsonLines<Watched>(path.join(out, 'confirm/results.jsonl'));
      assert.deepEqual(confirmed.map((b) => b.name).sort(), FLAGGED);
      for (const c of confirmed) assert.equal(c.verdict, 'breaks', c.name);
      const done = jsonLines<ConfirmStep>(path.join(out, 'confirm.jsonl')).filter((s) => s.t === 'done');
      assert.deepEqual(done.map((s) => s.name).sort(), FLAGGED);
      // The slow package: every phase, the attempt seen before the stop, and what was not seen.
      assert.deepEqual(
        (whole.phases ?? []).map((p) => p.name),
        ['clean', 'pkg_pretend', 'pkg_setup', 'src_unpack', 'src_prepare', 'src_configure', 'src_compile', 'src_test', 'src_install', 'misc-functions', 'clean'],
      );
      assert.ok(whole.attempts.some((a) => a.hostname === 'slow.testdata.example' && a.phase === 'src_test'));
      assert.equal(whole.watch.ended, 'clean after the build');
      const gap = whole.findings.find((x) => x.keyword === 'WatchIncomplete');
      assert.match(gap?.message ?? '', /watch was stopped while net-test\/watch-slow-1 was in src_test and restarted; the end of src_test was not seen/);
      assert.deepEqual(readdirSync(path.join(out, 'building')), [], 'the journal goes with the result');

      // A third start: nothing left to resume, nothing rerun twice.
      const stepsBefore = jsonLines<ConfirmStep>(path.join(out, 'confirm.jsonl')).length;
      const third = new WatchProcess(['--out', out, '--confirm']);
      await third.ready();
      await sleep(1000);
      assert.equal(await third.stop(), 0, third.stderr);
      assert.doesNotMatch(third.stderr, /resuming/);
      assert.equal(jsonLines<ConfirmStep>(path.join(out, 'confirm.jsonl')).length, stepsBefore, 'the third watch started no rerun');
      assert.equal(jsonLines(path.join(out, 'confirm/results.jsonl')).length, FLAGGED.length);
    } finally {
      if (slow.exitCode === null) slow.kill('SIGTERM');
      await slowDone;
    }
  }

  it('SIGTERM while a package is in src_test and a rerun is queued: an incomplete result at once; the restart runs the rerun exactly once and writes the package whole', async function () {
    await scenario('SIGTERM');
  });

  it('kill -9 in the same moment: the restart says what it resumes (the queue, the package being built), runs each rerun exactly once, writes the package', async function () {
    await scenario('SIGKILL');
  });
});
