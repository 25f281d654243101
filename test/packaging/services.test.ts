/**
 * The service files of the overlay's ebuild (gentoo/app-portage/netaudit/files/): `netaudit watch --out
 * /var/lib/netaudit/watch` as a systemd unit and as an OpenRC init script with its conf.d.
 *
 * The unit passes `systemd-analyze verify` (systemd 252 here) in a root that holds the host's units, the unit and a
 * /usr/bin/netaudit wrapper like the ebuild's (verify requires ExecStart's program): no warning at all. A copy
 * with a mistake shows that verify reads the file. OpenRC is not on Debian: the init script is checked the way
 * openrc-run reads it: POSIX sh (dash -n), then sourced by sh after its conf.d, with openrc-run's helpers
 * (need, after, checkpath) recording their calls, for the variables that start-stop-daemon is given.
 * test/e2e/overlay.test.ts checks that the ebuild installs these files where systemd and OpenRC look.
 */
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, ROOT, run } from '../helpers/cli.js';

const FILES = path.join(ROOT, 'gentoo/app-portage/netaudit/files');
const UNIT = path.join(FILES, 'netaudit-watch.service');
const INITD = path.join(FILES, 'netaudit-watch.initd');
const CONFD = path.join(FILES, 'netaudit-watch.confd');

/** `cmd` on PATH; skips (or, with CI=true, fails: setup.sh installs it) when it is missing. */
async function requireTool(ctx: Mocha.Context, cmd: string, pkg: string): Promise<void> {
  const r = await run(['sh', '-c', `command -v ${cmd}`]);
  if (r.code === 0) return;
  if (process.env.CI === 'true') throw new Error(`${cmd} is missing (Debian: apt-get install ${pkg}; scripts/setup.sh does)`);
  ctx.skip();
}

/** The values of `key` in the unit's lines (`Key=value`), in order. */
function unitValues(text: string, key: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
}

describe('the overlay\'s service files for `netaudit watch`: systemd unit, OpenRC init script', function () {
  this.timeout(60_000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-services-'));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  describe('systemd unit netaudit-watch.service', function () {
    /** A root for `systemd-analyze verify --root`: the host's units, `unit` as netaudit-watch.service, /usr/bin/netaudit. */
    function root(name: string, unit: string): string {
      const dir = path.join(tmp, name);
      const units = path.join(dir, 'usr/lib/systemd/system');
      mkdirSync(units, { recursive: true });
      cpSync('/usr/lib/systemd/system', units, { recursive: true, verbatimSymlinks: true });
      writeFileSync(path.join(units, 'netaudit-watch.service'), unit);
      mkdirSync(path.join(dir, 'usr/bin'), { recursive: true });
      // The ebuild's wrapper, pointing at this checkout's program.
      writeFileSync(path.join(dir, 'usr/bin/netaudit'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
      chmodSync(path.join(dir, 'usr/bin/netaudit'), 0o755);
      return dir;
    }
    const verify = (dir: string) => run(['systemd-analyze', 'verify', `--root=${dir}`, '--man=no', 'netaudit-watch.service']);

    it('systemd-analyze verify: no error, no warning', async function () {
      await requireTool(this, 'systemd-analyze', 'systemd');
      const r = await verify(root('good', readFileSync(UNIT, 'utf8')));
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.stderr.trim(), '');
    });

    it('a unit with a mistake does not pass: verify reads the file', async function () {
      await requireTool(this, 'systemd-analyze', 'systemd');
      const bad = readFileSync(UNIT, 'utf8').replace(/^KillMode=.*$/m, 'KillMode=gently');
      const r = await verify(root('bad', bad));
      assert.match(r.stderr, /netaudit-watch\.service:\d+: Failed to parse kill mode specification, ignoring: gently/);
    });

    it('runs `netaudit watch --out /var/lib/netaudit/watch`; SIGTERM to netaudit alone, then the rest; restarts on failure', function () {
      const unit = readFileSync(UNIT, 'utf8');
      assert.deepEqual(unitValues(unit, 'ExecStart'), ['/usr/bin/netaudit watch --out /var/lib/netaudit/watch']);
      assert.deepEqual(unitValues(unit, 'StateDirectory'), ['netaudit']);
      assert.deepEqual(unitValues(unit, 'StateDirectoryMode'), ['0750']);
      // mixed: SIGTERM to the main process only (netaudit stops its tracer itself), SIGKILL to what is left after the timeout.
      assert.deepEqual(unitValues(unit, 'KillMode'), ['mixed']);
      assert.deepEqual(unitValues(unit, 'KillSignal'), ['SIGTERM']);
      assert.deepEqual(unitValues(unit, 'Restart'), ['on-failure']);
      assert.deepEqual(unitValues(unit, 'WantedBy'), ['multi-user.target']);
    });
  });

  describe('OpenRC init script netaudit-watch', function () {
    /**
     * What openrc-run sees: sh sources /etc/conf.d/netaudit-watch (`confd`), then the script, then calls depend and
     * start_pre; the helpers openrc-run provides print their calls.
     */
    async function openrcView(confd: string): Promise<Record<string, string>> {
      const conf = path.join(tmp, `confd-${Math.random().toString(36).slice(2)}`);
      writeFileSync(conf, confd);
      const script = [
        'set -eu',
        'RC_SVCNAME=netaudit-watch',
        'need() { echo "need=$*"; }',
        'after() { echo "after=$*"; }',
        'use() { echo "use=$*"; }',
        'checkpath() { echo "checkpath=$*"; }',
        '. "$1"',
        '. "$2"',
        'for v in description command command_args command_background pidfile output_log error_log retry; do',
        '  eval "val=\\${$v-}"',
        '  printf \'%s=%s\\n\' "$v" "$val"',
        'done',
        'depend',
        'start_pre',
      ].join('\n');
      const r = await run(['sh', '-c', script, 'openrc-run', conf, INITD]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      return Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    }

    it('is POSIX sh (dash -n), with the openrc-run #! line', async function () {
      await requireTool(this, 'dash', 'dash');
      const r = await run(['dash', '-n', INITD]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(readFileSync(INITD, 'utf8'), /^#!\/sbin\/openrc-run\n/);
    });

    it('as openrc-run reads it: `netaudit watch --out /var/lib/netaudit/watch` in the background, TERM then KILL after 30 s', async function () {
      await requireTool(this, 'dash', 'dash');
      const v = await openrcView(readFileSync(CONFD, 'utf8'));
      assert.equal(v.command, '/usr/bin/netaudit');
      assert.equal(v.command_args?.trim(), 'watch --out /var/lib/netaudit/watch');
      assert.equal(v.command_background, 'yes');
      assert.equal(v.pidfile, '/run/netaudit-watch.pid');
      assert.equal(v.output_log, '/var/log/netaudit-watch.log');
      assert.equal(v.retry, 'TERM/30/KILL/5');
      assert.equal(v.need, 'localmount');
      assert.equal(v.checkpath, '--directory --mode 0750 --owner root:root /var/lib/netaudit/watch');
      assert.ok(v.description, 'no description');
    });

    it('conf.d settings reach the command line', async function () {
      await requireTool(this, 'dash', 'dash');
      const v = await openrcView('NETAUDIT_WATCH_OUT="/srv/netaudit"\nNETAUDIT_WATCH_OPTS="--confirm"\n');
      assert.equal(v.command_args, 'watch --out /srv/netaudit --confirm');
      assert.equal(v.checkpath, '--directory --mode 0750 --owner root:root /srv/netaudit');
    });
  });
});
