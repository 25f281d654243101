/**
 * @privileged `netaudit run` as an unprivileged user (src/sandbox/userns.ts) gives the same report as root on
 * every fixture in fixtures/commands: same verdict, exit status and attempts. CI runs as root, so the test
 * runs the built CLI a second time as `nobody` (setpriv, a HOME and cwd it can write), both with --no-observe
 * (the observer needs root: compare like with like). Then: nothing is left after SIGINT or kill -9 of an
 * unprivileged run, and where unprivileged user namespaces are forbidden, one line names the sysctl and
 * offers sudo (exit 2): simulated in a user namespace of the test's own whose user.max_user_namespaces is 0
 * (the limit is per user namespace: nothing global is touched).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Attempt, Report } from '../../src/model/types.js';
import { CLI, ROOT, netaudit, run, type Ran } from '../helpers/cli.js';
import { pidAlive, processesWith, waitFor } from '../helpers/host.js';
import { requirePrivileges } from '../helpers/privileged.js';

const FIXTURES = path.join(ROOT, 'fixtures/commands');
const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, unknown>;
const FILES = Object.keys(expected).filter((k) => typeof expected[k] !== 'string');
/** nobody: on every Debian and Gentoo system, owns nothing, has no supplementary groups. */
const UID = 65534;
const GID = 65534;

/** argv that runs the built CLI as the unprivileged user. */
function asUser(args: string[]): string[] {
  return ['setpriv', `--reuid=${UID}`, `--regid=${GID}`, '--clear-groups', '--', process.execPath, CLI, ...args];
}

function userEnv(home: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TMPDIR: os.tmpdir(), NO_COLOR: '1', LANG: 'C.UTF-8' };
}

/** The fields of an attempt that must agree between a root run and an unprivileged one. */
function stable(a: Attempt): string {
  const { kind, scope, family, address, port, hostname, outcome, qtype } = a as Attempt & { qtype?: string };
  return JSON.stringify({ kind, scope, family, address, port, hostname, outcome, qtype, ...(kind === 'tcp' ? { count: a.count } : {}) });
}


/** The build's own python3 processes carrying the marker (not netaudit, setpriv or nsenter, whose argv hold it too). */
function pythonsWith(marker: string): number[] {
  return processesWith(marker).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'python3';
    } catch {
      return false;
    }
  });
}

/** Processes of the user (uid from /proc/PID/status): the launcher, holders, captures, builds of its runs. */
function processesOf(uid: number): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(readFileSync(`/proc/${p}/status`, 'utf8'));
    } catch {
      return false;
    }
  }).map(Number);
}

describe('netaudit run without root (user namespace) @privileged', function () {
  let tmp: string;
  let home: string;
  let baseline: number[];
  const results = new Map<string, { root: Ran; user: Ran; rootReport: Report; userReport: Report }>();

  before(async function () {
    requirePrivileges(this);
    this.timeout(300_000);
    baseline = processesOf(UID);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    chmodSync(tmp, 0o755);
    home = path.join(tmp, 'home');
    const out = path.join(tmp, 'out');
    for (const d of [home, out]) {
      mkdirSync(d);
      chownSync(d, UID, GID);
    }
    // Four audits at a time: root's and the user's of two fixtures.
    const audit = async (file: string): Promise<void> => {
      const script = path.join(FIXTURES, file);
      const rootJson = path.join(out, `${file}.root.json`);
      const userJson = path.join(out, `${file}.user.json`);
      const [root, user] = await Promise.all([
        netaudit(['run', '--no-observe', '-q', '--json', rootJson, '--', 'sh', script]),
        run(asUser(['run', '--no-observe', '-q', '--json', userJson, '--', 'sh', script]), { env: userEnv(home), cwd: home }),
      ]);
      assert.ok(existsSync(rootJson), `${file}: no root report: ${root.stderr}`);
      assert.ok(existsSync(userJson), `${file}: no report from the unprivileged run: ${user.stderr}`);
      results.set(file, {
        root,
        user,
        rootReport: JSON.parse(readFileSync(rootJson, 'utf8')) as Report,
        userReport: JSON.parse(readFileSync(userJson, 'utf8')) as Report,
      });
    };
    for (let i = 0; i < FILES.length; i += 2) await Promise.all(FILES.slice(i, i + 2).map(audit));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  for (const file of FILES) {
    it(`${file}: the same report as root`, function () {
      const r = results.get(file);
      assert.ok(r);
      const [a, b] = [r.rootReport.builds[0], r.userReport.builds[0]];
      assert.ok(a && b);
      assert.equal(b.verdict, a.verdict, `${file} verdict: ${r.user.stderr}`);
      assert.equal(b.exitCode, a.exitCode, `${file}: the build's exit status`);
      assert.equal(r.user.code, r.root.code, `${file}: netaudit's exit code: ${r.user.stderr}`);
      assert.deepEqual(b.attempts.map(stable).sort(), a.attempts.map(stable).sort(), `${file}: attempts`);
      assert.equal(b.capture.dropped, 0, 'kernel drops');
      assert.deepEqual(b.observer?.missing, ['turned off (--no-observe)']);
    });
  }

  it("with Debian's default user PATH (no sbin directory): the same report as root", async function () {
    // nsenter and the launcher exec the tools they are given; by name they would be looked up in this PATH,
    // which has no sysctl, nft or ip ("nsenter: failed to execute sysctl"): src/proc/tools.ts resolves them.
    const file = 'curl-v4.sh';
    const json = path.join(tmp, 'out', 'debian-path.json');
    const r = await run(asUser(['run', '--no-observe', '-q', '--json', json, '--', 'sh', path.join(FIXTURES, file)]), {
      env: { ...userEnv(home), PATH: '/usr/local/bin:/usr/bin:/bin' },
      cwd: home,
    });
    assert.doesNotMatch(r.stderr, /failed to execute|not installed/, r.stderr);
    assert.ok(existsSync(json), `no report: ${r.stderr}`);
    const root = results.get(file);
    assert.ok(root, `the root run of ${file}`);
    const [a, b] = [root.rootReport.builds[0], (JSON.parse(readFileSync(json, 'utf8')) as Report).builds[0]];
    assert.ok(a && b);
    assert.equal(b.verdict, 'breaks');
    assert.equal(b.verdict, a.verdict, r.stderr);
    assert.equal(b.exitCode, a.exitCode, "the build's exit status");
    assert.equal(r.code, root.root.code, "netaudit's exit code");
    assert.deepEqual(b.attempts.map(stable).sort(), a.attempts.map(stable).sort(), 'attempts');
    assert.ok(b.attempts.some((x) => x.address === '198.51.100.10' && x.port === 80), JSON.stringify(b.attempts));
  });

  it('left no process of the user behind', async function () {
    await waitFor('the user\'s processes to end', () => processesOf(UID).filter((p) => !baseline.includes(p)).length === 0, 3000);
  });

  it('the build runs as the invoking user, with hostname localhost, without capabilities', async function () {
    const r = await run(asUser(['run', '--no-observe', '-q', '--', 'sh', '-c', 'id -u; id -g; hostname; grep CapEff /proc/self/status']), { env: userEnv(home), cwd: home });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${UID}\n${GID}\nlocalhost\nCapEff:\t0000000000000000\n`);
  });

  it('with the observer asked for: it is off, and the report says why (root)', async function () {
    const json = path.join(tmp, 'out', 'observe.json');
    const r = await run(asUser(['run', '-q', '--json', json, '--', 'true']), { env: userEnv(home), cwd: home });
    assert.equal(r.code, 0, r.stderr);
    const build = (JSON.parse(readFileSync(json, 'utf8')) as Report).builds[0];
    assert.equal(build?.verdict, 'clean');
    assert.equal(build?.observer?.available, false);
    assert.ok(build?.observer?.missing.some((m) => /^root/.test(m)), JSON.stringify(build?.observer));
  });

  it('doctor as the user: run uses a user namespace, ebuild and sweep need root, the live probe passes; exit 0', async function () {
    const r = await run(asUser(['doctor']), { env: userEnv(home), cwd: home });
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /^ok +user namespaces — run \(as you\) uses a user namespace/m);
    assert.match(r.stdout, /^absent +root privileges — ebuild and sweep need them/m);
    assert.match(r.stdout, /^ok +external TCP answered with "Network is unreachable"/m);
  });

  it('--user and --intercept: one line, they need root, exit 2', async function () {
    for (const flag of [['--user', 'nobody'], ['--intercept']]) {
      const r = await run(asUser(['run', '--no-observe', ...flag, '--', 'true']), { env: userEnv(home), cwd: home });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /needs root.*sudo netaudit run/);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });

  it('ebuild and sweep: one line, Portage needs root, exit 2, nothing run', async function () {
    for (const args of [['ebuild', path.join(ROOT, 'fixtures/repo/net-test')], ['sweep', path.join(ROOT, 'fixtures/repo'), '--out', path.join(home, 'sweep')]]) {
      const r = await run(asUser(args), { env: userEnv(home), cwd: home });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /Portage needs root for its phases .*sudo netaudit/);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.ok(!existsSync(path.join(home, 'sweep')), 'the sweep wrote nothing');
  });

  /** `group`: in a process group of its own, as a terminal's foreground job (Ctrl-C reaches the whole group). */
  function start(args: string[], group = false): { pid: number; done: Promise<number | null> } {
    const child = spawn(asUser(args)[0] as string, asUser(args).slice(1), { env: userEnv(home), cwd: home, stdio: 'ignore', detached: group });
    return { pid: child.pid as number, done: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
  }

  async function assertNothingLeft(pid: number, marker: string): Promise<void> {
    const left = (): number[] => processesOf(UID).filter((p) => !baseline.includes(p));
    await waitFor('the user\'s processes to end', () => left().length === 0, 5000).catch((e: Error) => {
      const what = left().map((p) => `${p}: ${readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ')}`);
      throw new Error(`${e.message}: ${what.join('; ')}`);
    });
    assert.deepEqual(processesWith(marker), [], 'the build survived');
    assert.deepEqual(readdirSync(os.tmpdir()).filter((d) => d.startsWith(`netaudit-${pid}.`)), [], 'temp dirs left');
  }

  it('SIGINT during the build: exit 130, no process, no temp dir left', async function () {
    const marker = `netaudit-rootless-sigint-${process.pid}-${Date.now()}`;
    // setpriv execs node: the pid is netaudit's. The build forks a daemon of its own, which must end too.
    const r = start(['run', '-q', '--no-observe', '--', 'sh', '-c', `setsid python3 -c 'import time; time.sleep(300)' ${marker} & exec python3 -c 'import time; time.sleep(300)' ${marker}`]);
    await waitFor('the build and its daemon', () => pythonsWith(marker).length >= 2, 30_000);
    process.kill(r.pid, 'SIGINT');
    assert.equal(await r.done, 130);
    await assertNothingLeft(r.pid, marker);
  });

  it('Ctrl-C (SIGINT to the whole process group, build included): exit 130, no process, no temp dir left', async function () {
    const marker = `netaudit-rootless-ctrlc-${process.pid}-${Date.now()}`;
    const r = start(['run', '-q', '--no-observe', '--', 'python3', '-c', 'import time; time.sleep(300)', marker], true);
    await waitFor('the build', () => pythonsWith(marker).length >= 1, 30_000);
    process.kill(-r.pid, 'SIGINT');
    assert.equal(await r.done, 130);
    await assertNothingLeft(r.pid, marker);
  });

  it('kill -9 of netaudit: the user namespace ends with it (build and daemons included); gc removes the temp dirs', async function () {
    const marker = `netaudit-rootless-kill9-${process.pid}-${Date.now()}`;
    const r = start(['run', '-q', '--no-observe', '--', 'sh', '-c', `setsid python3 -c 'import time; time.sleep(300)' ${marker} & exec python3 -c 'import time; time.sleep(300)' ${marker}`]);
    await waitFor('the build and its daemon', () => pythonsWith(marker).length >= 2, 30_000);
    process.kill(r.pid, 'SIGKILL');
    await r.done;
    assert.ok(!pidAlive(r.pid));
    await waitFor('the user namespace to end', () => processesOf(UID).filter((p) => !baseline.includes(p)).length === 0, 3000);
    assert.deepEqual(processesWith(marker), [], 'the build outlived netaudit');
    const gc = await run(asUser(['gc']), { env: userEnv(home), cwd: home });
    assert.equal(gc.code, 0, gc.stderr);
    await assertNothingLeft(r.pid, marker);
  });

  it('user namespaces forbidden (user.max_user_namespaces 0): one line naming the sysctl and offering sudo, exit 2', async function () {
    // A user namespace of the test's own (uids 0-65535 mapped by root), whose limit is set to 0 inside it;
    // netaudit runs there as nobody and may create no user namespace.
    const child = spawn(
      'unshare',
      // unshare execs sh before the maps are written, so sh has no capabilities; once mapped it is uid 0 and
      // the sh it execs has them: enough to lower its own namespace's limit.
      ['--user', '--', 'sh', '-c', `read go && exec sh -c 'echo 0 >/proc/sys/user/max_user_namespaces && exec setpriv --reuid=${UID} --regid=${GID} --clear-groups -- "$@"' sh "$@"`, 'sh', process.execPath, CLI, 'run', '--no-observe', '--', 'true'],
      { env: userEnv(home), cwd: home, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const code = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    await waitFor('the user namespace', () => readFileSync(`/proc/${child.pid}/status`, 'utf8') !== '' && readFileSync(`/proc/${child.pid}/uid_map`, 'utf8') === '', 2000);
    writeFileSync(`/proc/${child.pid}/uid_map`, '0 0 65536\n');
    writeFileSync(`/proc/${child.pid}/gid_map`, '0 0 65536\n');
    child.stdin.end('go\n');
    assert.equal(await code, 2, stderr);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
    assert.match(stderr, /user\.max_user_namespaces is 0 .*sudo netaudit run --no-observe -- true/);
  });
});
