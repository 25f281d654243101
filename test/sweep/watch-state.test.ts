/**
 * What `netaudit watch` keeps for a restart, without root: the --confirm queue (DIR/confirm.jsonl), the journal
 * of a package being built (DIR/building/) replayed into the follower after a stop, on a recording of a real
 * build (test/fixtures/watch/), results.jsonl's provisional results, and builds told apart by where their
 * build dir lives, and by a clean after a failure.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseTracerLine, type TracerRecord } from '../../src/decode/tracer.js';
import { BuildFollower, type FollowedBuild, type JournalStop } from '../../src/portage/follow.js';
import { BuildJournals, CONFIRM_ATTEMPTS, ConfirmQueue, confirmRetry } from '../../src/sweep/watch-state.js';
import { MissingToolError, NoSuchEbuildError, SetupError, UsageError } from '../../src/model/errors.js';
import { ResultsFile } from '../../src/sweep/results.js';
import { followedResult, provisional } from '../../src/sweep/watch.js';
import { validateBuild } from '../../src/report/validate.js';
import { ROOT } from '../helpers/cli.js';

function records(name: string): TracerRecord[] {
  return readFileSync(path.join(ROOT, 'test/fixtures/watch', name), 'utf8')
    .split('\n')
    .map(parseTracerLine)
    .flatMap((l) => (l.type === 'record' ? [l.record] : []));
}

const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');

/** A seed's exec line and its env line, as the tracer prints them. */
function seed(pid: number, ts: number, phase: string, env: Record<string, string>): TracerRecord[] {
  const base = { ts, pid, tid: pid, ppid: 1, ns: 7, comm: hex('ebuild.sh') };
  return [
    { t: 'exec', ...base, argv: hex(`bash\0/usr/lib/portage/bin/ebuild.sh\0${phase}\0`), seed: true },
    { t: 'env', ...base, env: hex(Object.entries(env).map(([k, v]) => `${k}=${v}\0`).join('')) },
  ];
}
const feed = (f: BuildFollower, lines: TracerRecord[]): void => {
  for (const r of lines) f.push(r);
};
const exit = (pid: number, ts: number, code: number): TracerRecord => ({ t: 'exit', ts, pid, tid: pid, ppid: 1, ns: 7, comm: '', code: code << 8 });
const ENV = { CATEGORY: 'net-test', PF: 'x-1', PN: 'x', PVR: '1', FEATURES: 'network-sandbox', PORTAGE_BUILDDIR: '/var/tmp/portage/net-test/x-1' };

describe('watch: what a stop leaves for the restart', function () {
  let tmp: string;
  beforeEach(function () {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-watch-state-'));
  });
  afterEach(function () {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('confirm.jsonl: queued and not done is pending after a restart, a started one again (its rerun was cut), a done one never; a cut last line is dropped', function () {
    const file = path.join(tmp, 'confirm.jsonl');
    const q = new ConfirmQueue(file);
    q.queue('net-test/a-1', '/r/a-1.ebuild');
    q.queue('net-test/b-1', '/r/b-1.ebuild');
    q.queue('net-test/a-1', '/r/a-1.ebuild');
    q.started('net-test/a-1');
    q.close();
    const again = new ConfirmQueue(file);
    assert.deepEqual(again.pending(), [
      { name: 'net-test/a-1', ebuild: '/r/a-1.ebuild' },
      { name: 'net-test/b-1', ebuild: '/r/b-1.ebuild' },
    ]);
    assert.deepEqual([...again.interrupted], ['net-test/a-1']);
    again.started('net-test/a-1');
    again.done('net-test/a-1', { verdict: 'breaks' });
    again.close();
    appendFileSync(file, '{"t":"done","name":"net-test/b');
    const third = new ConfirmQueue(file);
    assert.deepEqual(third.pending(), [{ name: 'net-test/b-1', ebuild: '/r/b-1.ebuild' }]);
    assert.ok(third.known('net-test/a-1'));
    assert.ok(readFileSync(file, 'utf8').endsWith('\n'));
    third.queue('net-test/a-1', '/r/a-1.ebuild');
    third.close();
    assert.deepEqual(new ConfirmQueue(file).pending().map((p) => p.name), ['net-test/b-1']);
  });

  it('confirm.jsonl: a rerun that failed for a reason that may pass stays pending, its attempts counted across restarts; the last attempt, or a lasting reason, ends it', function () {
    const file = path.join(tmp, 'confirm.jsonl');
    const q = new ConfirmQueue(file);
    q.queue('net-test/a-1', '/r/a-1.ebuild');
    q.queue('net-test/b-1', '/r/b-1.ebuild');
    q.started('net-test/a-1');
    assert.equal(q.failedOnce('net-test/a-1', 'starting the lo capture: no answer'), 1);
    q.close();
    // The next watch: still pending (and not taken for a rerun cut by a stop), one attempt behind it.
    const again = new ConfirmQueue(file);
    assert.deepEqual(again.pending().map((p) => p.name), ['net-test/a-1', 'net-test/b-1']);
    assert.deepEqual([...again.interrupted], []);
    assert.equal(again.attempts('net-test/a-1'), 1);
    again.started('net-test/a-1');
    assert.equal(again.failedOnce('net-test/a-1', 'Portage: lock held'), 2);
    again.started('net-test/a-1');
    again.done('net-test/a-1', { error: 'Portage: lock held' });
    again.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: string; attempt?: number; final?: boolean });
    assert.deepEqual(lines.filter((l) => l.t === 'failed').map((l) => [l.attempt, l.final]), [[1, false], [2, false], [3, undefined]]);
    const third = new ConfirmQueue(file);
    assert.deepEqual(third.pending().map((p) => p.name), ['net-test/b-1']);
    assert.ok(third.known('net-test/a-1'));
    third.close();
    // A `failed` line of an older watch (no "final") ended its rerun, as it did then.
    appendFileSync(file, JSON.stringify({ t: 'failed', name: 'net-test/b-1', at: 1, error: 'x' }) + '\n');
    assert.deepEqual(new ConfirmQueue(file).pending(), []);
  });

  it('confirmRetry: a reason that says the same next time is final at once; others are tried CONFIRM_ATTEMPTS times, 30 s then 60 s apart', function () {
    assert.deepEqual(confirmRetry(new NoSuchEbuildError('/r/a-1.ebuild', 'no such ebuild'), 1), { again: false });
    assert.deepEqual(confirmRetry(new MissingToolError('tcpdump', 'tcpdump is not installed'), 1), { again: false });
    assert.deepEqual(confirmRetry(new UsageError('bad'), 1), { again: false });
    assert.deepEqual(confirmRetry(new SetupError('creating the namespaces', 'creating the namespaces: File exists'), 1), { again: true, delayMs: 30_000 });
    assert.deepEqual(confirmRetry(new Error('no result'), 2), { again: true, delayMs: 60_000 });
    assert.equal(CONFIRM_ATTEMPTS, 3);
    assert.deepEqual(confirmRetry(new Error('no result'), CONFIRM_ATTEMPTS), { again: false });
  });

  it('a journal cut in src_test (clean-build, a real build) restored by the next watch: later phases join it, the result has every phase and says what was not seen', async function () {
    const all = records('clean-build.jsonl');
    const journals = new BuildJournals(path.join(tmp, 'building'));
    const files = new Map<FollowedBuild, string>();
    const first = new BuildFollower({
      onAdd: (b, r) => {
        if (!files.has(b)) files.set(b, journals.fileOf(b.key, b.startMs));
        journals.append(files.get(b) as string, { key: b.key, name: b.name, startMs: b.startMs }, r);
      },
    });
    // The first watch sees the build up to src_test's start, then stops.
    const testSeed = all.findIndex((r) => r.t === 'env' && Buffer.from(r.env as string, 'hex').toString().includes('EBUILD_PHASE=test\0'));
    assert.ok(testSeed > 0);
    for (const r of all.slice(0, testSeed + 1)) first.push(r);
    const cut = first.openBuilds().find((b) => b.name === 'net-test/clean-build-1') as FollowedBuild;
    assert.equal(cut.phases[cut.phases.length - 1]?.name, 'src_test');
    const stopAt = all[testSeed]?.ts as number;
    journals.stopped(files.get(cut) as string, stopAt + 5, 'src_test');
    journals.close();

    // The next watch: the journal, then the records from the next phase on (src_test's processes are not followed any more).
    const loaded = new BuildJournals(path.join(tmp, 'building')).load().find((j) => j.name === 'net-test/clean-build-1');
    assert.ok(loaded);
    assert.equal(loaded.killed, false);
    assert.equal((loaded.lines[loaded.lines.length - 1] as JournalStop).t, 'stopped');
    const next = new BuildFollower({ quietMs: 3000 });
    const restored = next.restore(loaded.key, loaded.lines, stopAt + 1000);
    assert.ok(restored);
    assert.deepEqual(restored.stops, [{ atMs: stopAt + 5, phase: 'src_test', resumedMs: stopAt + 1000 }]);
    const nextSeed = all.findIndex((r, i) => i > testSeed && r.t === 'exec' && r.seed === true);
    let over: FollowedBuild | undefined;
    for (const r of all.slice(nextSeed)) {
      next.push(r);
      over ??= next.due(r.ts).find((b) => b.name === 'net-test/clean-build-1');
    }
    over ??= next.drain().over.find((b) => b.name === 'net-test/clean-build-1');
    assert.ok(over);
    assert.equal(over.ended, 'clean after the build');
    assert.deepEqual(
      over.phases.map((p) => p.name),
      ['clean', 'pkg_pretend', 'pkg_setup', 'src_unpack', 'src_prepare', 'src_configure', 'src_compile', 'src_test', 'src_install', 'misc-functions', 'clean'],
    );
    const test = over.phases.find((p) => p.name === 'src_test');
    assert.equal(test?.cut, true);
    assert.equal(test?.exitCode, undefined);
    const r = followedResult(over, { tests: '', log: '' }, 0);
    assert.equal(r.verdict, 'clean');
    assert.equal(provisional(r), false);
    const f = r.findings.find((x) => x.keyword === 'WatchIncomplete');
    assert.match(f?.message ?? '', /watch was stopped while net-test\/clean-build-1 was in src_test and restarted; the end of src_test was not seen/);
    const checked = await validateBuild(JSON.parse(JSON.stringify(r)));
    assert.ok(checked.ok, JSON.stringify(checked));
  });

  it('a build still running at a stop: a provisional result naming the phase; results.jsonl lets a later result replace it, never a whole one', async function () {
    const f = new BuildFollower();
    feed(f, seed(10, 1000, 'setup', ENV));
    f.push(exit(10, 1100, 0));
    feed(f, seed(11, 1200, 'test', ENV));
    const { running } = f.drain();
    assert.equal(running.length, 1);
    const partial = followedResult(running[0] as FollowedBuild, { tests: '', log: '' }, 0, 1300);
    assert.ok(provisional(partial));
    assert.match(partial.findings[0]?.message ?? '', /^watch stopped while net-test\/x-1 was in src_test; attempts seen so far: none; phases seen: pkg_setup, src_test$/);
    const file = path.join(tmp, 'results.jsonl');
    const results = new ResultsFile(file, provisional);
    results.append(partial);
    assert.equal(results.has('net-test/x-1'), false);
    const whole = { ...partial, watch: { ...(partial as typeof partial & { watch: object }).watch, ended: 'clean after the build' }, findings: [] };
    results.append(whole);
    results.append(partial);
    results.close();
    const again = new ResultsFile(file, provisional);
    await again.load();
    assert.equal(again.has('net-test/x-1'), true);
    assert.equal(provisional(again.get('net-test/x-1') as typeof partial), false);
    assert.equal(readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 2);
  });

  it('the same build dir path in two mount namespaces is two builds; a clean after a failed phase begins the next run', function () {
    const f = new BuildFollower({ identify: (pid) => (pid < 100 ? 'dev1:ino' : 'dev2:ino') });
    feed(f, seed(10, 1000, 'setup', ENV));
    feed(f, seed(110, 1001, 'setup', ENV));
    assert.equal(f.open, 2);
    f.push(exit(10, 1100, 0));
    feed(f, seed(12, 1200, 'test', ENV));
    f.push(exit(12, 1300, 1));
    feed(f, seed(13, 1400, 'clean', ENV));
    const over = f.due(1401);
    assert.equal(over.length, 1);
    assert.equal(over[0]?.ended, 'a phase failed');
    assert.deepEqual(over[0]?.phases.map((p) => p.name), ['pkg_setup', 'src_test']);
    // A build whose first phase was gone before it could be told joins its later, told phases.
    const h = new BuildFollower({ identify: (pid) => (pid === 30 ? undefined : 'dev3:ino') });
    feed(h, seed(30, 1000, 'clean', ENV));
    h.push(exit(30, 1001, 0));
    feed(h, seed(31, 1100, 'setup', ENV));
    assert.equal(h.open, 1);
    assert.deepEqual(h.openBuilds()[0]?.phases.map((p) => p.name), ['clean', 'pkg_setup']);
    // With FEATURES=fail-clean Portage cleans after the failure itself: that clean is the failed build's end.
    const g = new BuildFollower();
    const env = { ...ENV, FEATURES: 'network-sandbox fail-clean' };
    feed(g, seed(20, 1000, 'test', env));
    g.push(exit(20, 1100, 1));
    feed(g, seed(21, 1200, 'clean', env));
    g.push(exit(21, 1300, 0));
    const done = g.due(1301);
    assert.deepEqual(done[0]?.phases.map((p) => p.name), ['src_test', 'clean']);
    assert.equal(done[0]?.ended, 'clean after the build');
  });
});
