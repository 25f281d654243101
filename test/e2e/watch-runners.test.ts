/**
 * @privileged @portage `netaudit watch` beside the three kinds of Portage runs the issue names besides a plain
 * `ebuild`: `emerge --oneshot` of a fixture package (the fixture repository as a repos.conf entry of the test's
 * config root, ROOT and PORTAGE_TMPDIR in a temp dir, FEATURES="test network-sandbox"), the same emerge under
 * bubblewrap (its own mount and pid namespace, the build dir on a tmpfs only it has), and the same in a chroot
 * (an rbind of / in a mount namespace of its own, /var/tmp a tmpfs there: the build's paths do not exist on the
 * host, so watch must read the build's files through the phase's own root). Each runs only inside a network
 * namespace the test makes (lo only; never the host's network), while one `netaudit watch` runs, and the watched
 * result must name the package, phases, attempts and test id that `netaudit ebuild` reports for it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildResult, Report } from '../../src/model/types.js';
import { FIXTURE_DISTFILES, ROOT, netaudit, run } from '../helpers/cli.js';
import { ebuildBinary, portageEnv, requirePortage } from '../helpers/portage.js';
import { requirePrivileges } from '../helpers/privileged.js';
import { WatchProcess, attemptKey, jsonLines, waitFor, watchConfigRoot, type Watched } from '../helpers/watch.js';

const ATOM = 'net-test/pytest-internet-1';
const EBUILD = path.join(ROOT, 'fixtures/repo/net-test/pytest-internet/pytest-internet-1.ebuild');
const TEST_ID = 'tests/test_net.py::test_download';

describe('netaudit watch beside emerge, bubblewrap and a chroot @privileged @portage', function () {
  this.timeout(300_000);
  let tmp: string;
  let configRoot: string;
  let reference: BuildResult;

  before(async function () {
    requirePrivileges(this);
    requirePortage(this);
    tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'netaudit-watch-runners-')));
    chmodSync(tmp, 0o755);
    // The fixture repository as a repos.conf entry, as a user's overlay is.
    configRoot = await watchConfigRoot(path.join(tmp, 'config'), { 'netaudit-fixtures': path.join(ROOT, 'fixtures/repo') });
    const json = path.join(tmp, 'reference.json');
    const ref = await netaudit(['ebuild', EBUILD, '--json', json, '--quiet', '--no-explain', '--log-dir', path.join(tmp, 'ref-logs')]);
    assert.equal(ref.code, 1, ref.stderr);
    reference = (JSON.parse(readFileSync(json, 'utf8')) as Report).builds[0] as BuildResult;
    assert.equal(reference.verdict, 'breaks');
    assert.ok(reference.attempts.some((a) => a.test === TEST_ID));
  });

  after(async function () {
    if (!tmp) return;
    if (configRoot) await netaudit(['watch', '--remove-hook', '--config-root', configRoot]);
    rmSync(tmp, { recursive: true, force: true });
  });

  /** The environment of the emerge: everything of it under `inner` (a path as the build sees it). */
  function emergeEnv(inner: string): NodeJS.ProcessEnv {
    return portageEnv({
      PORTAGE_CONFIGROOT: configRoot,
      ROOT: `${inner}/root`,
      PORTAGE_TMPDIR: `${inner}/tmp`,
      PORTAGE_LOGDIR: `${inner}/logs`,
      FEATURES: 'test network-sandbox',
      PORTAGE_RO_DISTDIRS: FIXTURE_DISTFILES,
    });
  }

  /** `sh -c` that makes the emerge's dirs under `inner` (inside the build's own mounts), then runs emerge. */
  const emergeArgv = (inner: string): string[] => [
    'sh',
    '-c',
    'mkdir -p "$0/root" "$0/tmp" "$0/logs" && chmod 777 "$0/tmp" "$0/logs" && exec "$@"',
    inner,
    path.join(path.dirname(ebuildBinary()), 'emerge'),
    '--oneshot',
    '--quiet-build=n',
    `=${ATOM}`,
  ];

  /** In a network namespace of its own with lo up (never the host's network). */
  const inNetns = (argv: string[]): string[] => ['unshare', '--net', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'netns', ...argv];

  /**
   * Runs `argv` (the build) while a watch of its own runs (each kind writes the same package: one results.jsonl
   * each), and returns the build's exit and the watched result of the build whose build dir is under `inner`.
   */
  async function watching(kind: string, argv: string[], inner: string): Promise<{ code: number | null; output: string; result: Watched }> {
    const out = path.join(tmp, `out-${kind}`);
    const watch = new WatchProcess(['--out', out, '--quiet-time', '2s']);
    await watch.ready();
    try {
      const r = await run(argv, { env: emergeEnv(inner) });
      const result = await waitFor(`the watched result of the build under ${inner}`, () => jsonLines<Watched>(path.join(out, 'results.jsonl')).find((b) => b.watch.buildDir?.startsWith(`${inner}/`)), 30_000).catch((e: Error) => {
        throw new Error(`${e.message}; watch said: ${watch.stderr}`);
      });
      return { code: r.code, output: r.stdout + r.stderr, result };
    } finally {
      assert.equal(await watch.stop(), 0, watch.stderr);
    }
  }

  function assertSameAsEbuild(w: Watched, how: string): void {
    assert.equal(w.name, ATOM, how);
    assert.equal(w.kind, 'ebuild');
    assert.equal(w.ebuild?.path, reference.ebuild?.path, `${how}: ebuild`);
    // emerge runs pkg_pretend only for an ebuild that defines it (Scheduler._pkg_needs_pretend); `ebuild` always calls it.
    assert.deepEqual(
      (w.phases ?? []).map((p) => p.name),
      (reference.phases ?? []).map((p) => p.name).filter((p) => p !== 'pkg_pretend'),
      `${how}: phases`,
    );
    assert.deepEqual([...new Set(w.attempts.map(attemptKey))].sort(), [...new Set(reference.attempts.map(attemptKey))].sort(), `${how}: attempts`);
    assert.equal(w.attempts.find((a) => a.test)?.test, TEST_ID, `${how}: test id`);
    assert.equal(w.verdict, 'breaks', how);
    assert.equal(w.watch.networkSandbox, true, how);
    assert.equal(w.watch.ended, 'a phase failed', how);
    // The build log was read: the attempt's finding quotes the line pytest printed.
    const connect = w.findings.find((f) => f.keyword === 'ExternalConnect');
    assert.ok(connect?.logLines?.some((l) => /Network is unreachable/.test(l)), `${how}: the log was not read: ${JSON.stringify(connect)}`);
  }

  it('emerge --oneshot of a fixture package: the same package, phases, attempts and test id as netaudit ebuild', async function () {
    const inner = path.join(tmp, 'emerge');
    mkdirSync(inner);
    const r = await watching('emerge', inNetns(emergeArgv(inner)), inner);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /failed \(test phase\)/);
    assertSameAsEbuild(r.result, 'emerge');
  });

  it('emerge under bubblewrap (its own mount and pid namespace, the build dir on a tmpfs only it has): the same', async function () {
    const inner = `/var/tmp/netaudit-bwrap-${randomBytes(4).toString('hex')}`;
    const bwrap = ['bwrap', '--bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/var/tmp', '--unshare-pid', '--die-with-parent', '--'];
    const r = await watching('bwrap', inNetns([...bwrap, ...emergeArgv(inner)]), inner);
    assert.equal(r.code, 1, r.output);
    assert.equal(existsSync(inner), false, 'the build dir is not a host path');
    assertSameAsEbuild(r.result, 'bubblewrap');
  });

  it('emerge in a chroot (an rbind of / with a tmpfs /var/tmp, in a mount namespace of its own): the same, its files read through its root', async function () {
    const rootfs = mkdtempSync(path.join(tmp, 'rootfs-'));
    const inner = `/var/tmp/netaudit-chroot-${randomBytes(4).toString('hex')}`;
    const chroot = [
      'unshare',
      '--net',
      '--mount',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      'set -e; R=$0; ip link set lo up; mount --rbind / "$R"; mount -t tmpfs tmpfs "$R/var/tmp"; exec chroot "$R" "$@"',
      rootfs,
    ];
    let r: Awaited<ReturnType<typeof watching>>;
    try {
      r = await watching('chroot', [...chroot, ...emergeArgv(inner)], inner);
    } finally {
      // The mounts went with the namespace's last process; the dir under it is empty again.
      rmdirSync(rootfs);
    }
    assert.equal(r.code, 1, r.output);
    assert.equal(existsSync(inner), false, 'the build dir is not a host path');
    assertSameAsEbuild(r.result, 'chroot');
  });
});
