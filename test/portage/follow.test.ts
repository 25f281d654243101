/**
 * `netaudit watch` without root: recordings of the tracer in follow mode beside real Portage
 * (test/fixtures/watch/) replayed through the follower (src/portage/follow.ts) and the watch's judgement
 * (src/sweep/watch.ts followedResult), and the hook's files in a config root of the test's own.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseTracerLine, type TracerRecord } from '../../src/decode/tracer.js';
import { BuildFollower, networkSandboxOf, parseFollowEnv, seedPhase, type FollowedBuild } from '../../src/portage/follow.js';
import { hookPaths, installWatchHook, removeWatchHook } from '../../src/portage/watch-hook.js';
import { flagged, followedResult } from '../../src/sweep/watch.js';
import { validateBuild } from '../../src/report/validate.js';
import { ROOT } from '../helpers/cli.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/watch');

function records(name: string): TracerRecord[] {
  return readFileSync(path.join(FIXTURES, name), 'utf8')
    .split('\n')
    .map(parseTracerLine)
    .flatMap((l) => (l.type === 'record' ? [l.record] : []));
}

/** Every build of a recording, as the watch hands them out (drained at the end). */
function replay(name: string): FollowedBuild[] {
  const f = new BuildFollower({ quietMs: 3000 });
  const out: FollowedBuild[] = [];
  let last = 0;
  for (const r of records(name)) {
    f.push(r);
    last = r.ts;
    out.push(...f.due(r.ts));
  }
  out.push(...f.due(last + 10_000));
  out.push(...f.drain().over);
  return out;
}

describe('watch: following Portage (recordings of real builds)', function () {
  it('parses the env line and the phase of a seed', function () {
    const hex = Buffer.from('CATEGORY=net-test\0PF=x-1\0FEATURES=a b\0', 'utf8').toString('hex');
    assert.deepEqual(parseFollowEnv(hex), { CATEGORY: 'net-test', PF: 'x-1', FEATURES: 'a b' });
    assert.deepEqual(parseFollowEnv('zz'), {});
    assert.equal(seedPhase(['/usr/bin/env', 'bash', '/usr/lib/portage/bin/ebuild.sh', 'test'], {}), 'src_test');
    assert.equal(seedPhase(['bash', '/usr/lib/portage/bin/ebuild.sh', 'clean'], {}), 'clean');
    assert.equal(seedPhase(['/usr/bin/env', 'bash', '/usr/lib/portage/bin/misc-functions.sh', 'die_hooks'], {}), 'misc-functions');
    assert.equal(seedPhase(['sh'], { EBUILD_PHASE: 'setup' }), 'pkg_setup');
  });

  it('clean-build: one build, every phase in order with its exit code, over at its last clean; judged clean, valid in the schema', async function () {
    const builds = replay('clean-build.jsonl').filter((b) => b.name === 'net-test/clean-build-1');
    assert.equal(builds.length, 1);
    const b = builds[0] as FollowedBuild;
    assert.deepEqual(
      b.phases.map((p) => p.name),
      ['clean', 'pkg_pretend', 'pkg_setup', 'src_unpack', 'src_prepare', 'src_configure', 'src_compile', 'src_test', 'src_install', 'misc-functions', 'clean'],
    );
    assert.ok(b.phases.every((p) => p.exitCode === 0 && p.endMs !== undefined && p.endMs >= p.startMs));
    assert.equal(b.ended, 'clean after the build');
    assert.equal(b.envMisses, 0);
    assert.equal(b.env.PN, 'clean-build');
    assert.equal(networkSandboxOf(b).on, true);
    const r = followedResult(b, { tests: '', log: '' }, 0);
    assert.equal(r.verdict, 'clean');
    assert.equal(r.attempts.length, 0);
    assert.equal(flagged(r), false);
    assert.equal(r.ebuild?.version, '1');
    const checked = await validateBuild(JSON.parse(JSON.stringify(r)));
    assert.ok(checked.ok, JSON.stringify(checked));
  });

  it('test-resolve: src_test fails after two lookups of testdata.example (A, AAAA) by getent: breaks, flagged, as netaudit ebuild judges it', function () {
    const b = replay('test-resolve.jsonl').find((x) => x.name === 'net-test/test-resolve-1');
    assert.ok(b);
    const r = followedResult(b, { tests: '', log: '' }, 0);
    assert.equal(r.verdict, 'breaks');
    assert.ok(flagged(r));
    const lookups = r.attempts.filter((a) => a.kind === 'dns');
    assert.deepEqual(lookups.map((a) => `${a.hostname} ${a.qtype} ${a.phase} ${a.process?.comm}`).sort(), ['testdata.example A src_test getent', 'testdata.example AAAA src_test getent']);
    assert.equal(r.phases?.find((p) => p.name === 'src_test')?.exitCode, 2);
    // The same build seen with network-sandbox off: the finding names what reached out.
    const off = followedResult({ ...b, env: { ...b.env, FEATURES: 'test userpriv' } }, { tests: '', log: '' }, 0);
    const f = off.findings.find((x) => x.keyword === 'NetworkSandboxOff');
    assert.ok(f);
    assert.match(f.message, /testdata\.example/);
  });

  it('nextDueMs: a timer armed for it hands out every build no later than polling every 10 ms would, and never wakes for nothing', function () {
    // A virtual clock: records at their own times; between them the follower is looked at either when
    // nextDueMs says (watch's timer) or every 10 ms (a reference poll).
    const handOut = (name: string, strategy: 'timer' | 'poll'): { names: string[]; at: number[]; looks: number } => {
      const f = new BuildFollower({ quietMs: 3000, failQuietMs: 2000 });
      const rs = records(name);
      const end = (rs[rs.length - 1] as TracerRecord).ts + 10_000;
      const names: string[] = [];
      const at: number[] = [];
      let looks = 0;
      let i = 0;
      let now = (rs[0] as TracerRecord).ts;
      for (let guard = 0; guard < 1_000_000; guard++) {
        const nextRecord = i < rs.length ? (rs[i] as TracerRecord).ts : Infinity;
        const nextLook = strategy === 'timer' ? (f.nextDueMs(now) ?? Infinity) : now + 10;
        if (nextRecord === Infinity && nextLook === Infinity) break;
        if (nextRecord <= nextLook) {
          f.push(rs[i++] as TracerRecord);
          now = Math.max(now, nextRecord);
          continue;
        }
        now = Math.max(now, nextLook);
        if (now > end) break;
        looks++;
        const due = f.due(now);
        // The timer is armed only for a moment something can be due: when it fires, something is.
        if (strategy === 'timer') assert.ok(due.length > 0, `${name}: the timer fired at ${now} for nothing`);
        for (const b of due) {
          names.push(b.name);
          at.push(now);
        }
      }
      return { names, at, looks };
    };
    for (const name of ['clean-build.jsonl', 'test-resolve.jsonl']) {
      const timer = handOut(name, 'timer');
      const poll = handOut(name, 'poll');
      assert.ok(poll.names.length > 0, name);
      assert.deepEqual(timer.names, poll.names, name);
      timer.at.forEach((t, k) => {
        const p = poll.at[k] as number;
        assert.ok(t <= p && t >= p - 10, `${name}: ${timer.names[k]} handed out at ${t}, polling at ${p}`);
      });
      assert.ok(timer.looks < poll.looks / 10, `${name}: ${timer.looks} looks against ${poll.looks}`);
    }
    assert.equal(new BuildFollower().nextDueMs(0), undefined, 'nothing open: no timer');
  });

  it("a seed whose env line never came (lost) does not make a build of someone else's records", function () {
    const all = records('clean-build.jsonl');
    const f = new BuildFollower();
    for (const r of all) if (r.t !== 'env') f.push(r);
    assert.equal(f.open, 0);
    assert.ok(f.orphanRecords > 0);
  });

  it("netaudit's own audits (NETAUDIT_PHASE_LOG in the environment) are not watched twice", function () {
    const f = new BuildFollower();
    for (const r of records('clean-build.jsonl')) {
      if (r.t === 'env') {
        const env = Buffer.concat([Buffer.from(r.env as string, 'hex'), Buffer.from('NETAUDIT_PHASE_LOG=/tmp/x\0')]).toString('hex');
        f.push({ ...r, env });
      } else f.push(r);
    }
    assert.equal(f.open, 0);
    assert.equal(f.drain().over.length, 0);
  });
});

describe('watch: the hook', function () {
  let root: string;
  beforeEach(function () {
    root = mkdtempSync(path.join(os.tmpdir(), 'netaudit-hook-test-'));
    mkdirSync(path.join(root, 'etc/portage'), { recursive: true });
    writeFileSync(path.join(root, 'etc/portage/bashrc'), '# the user\'s\n');
  });
  afterEach(function () {
    rmSync(root, { recursive: true, force: true });
  });

  it('adds files of its own only (the user profile\'s package.bashrc dir), loads the plugin in src_test only, and removes exactly them', function () {
    const p = hookPaths(root);
    const r = installWatchHook(root);
    assert.equal(r.action, 'installed');
    assert.equal(readFileSync(p.entry, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).join(), '*/* netaudit-watch.sh');
    const snippet = readFileSync(p.snippet, 'utf8');
    assert.match(snippet, /EBUILD_PHASE\} == test/);
    assert.match(snippet, /NETAUDIT_TEST_LOG="\$\{T\}\/netaudit-tests\.log"/);
    assert.ok(existsSync(path.join(p.pluginDir, 'sitecustomize.py')) && existsSync(path.join(p.pluginDir, 'netaudit_pytest.py')));
    assert.equal(readFileSync(path.join(root, 'etc/portage/bashrc'), 'utf8'), "# the user's\n");
    assert.equal(removeWatchHook(root).action, 'removed');
    assert.deepEqual(readdirSync(path.join(root, 'etc/portage')).sort(), ['bashrc', 'profile']);
    assert.deepEqual(readdirSync(path.join(root, 'etc/portage/profile')), []);
    assert.equal(removeWatchHook(root).action, 'absent');
  });

  it('refuses a package.bashrc that is a file of the user\'s, in one line that says how to make it a directory', function () {
    mkdirSync(path.join(root, 'etc/portage/profile'));
    writeFileSync(path.join(root, 'etc/portage/profile/package.bashrc'), 'dev-lang/python mine.sh\n');
    assert.throws(() => installWatchHook(root), (e: Error) => /is a file of yours and netaudit does not edit it: make it a directory/.test(e.message) && !e.message.includes('\n'));
    assert.equal(readFileSync(path.join(root, 'etc/portage/profile/package.bashrc'), 'utf8'), 'dev-lang/python mine.sh\n');
  });
});
