/** Intercept mode's plain parts: the plan needs the packets sandbox, the build's argv binds the private resolv.conf. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tool } from '../../src/proc/tools.js';
import { wrapArgv } from '../../src/sandbox/build.js';
import { INTERCEPT_RESOLVER_V4 } from '../../src/model/network.js';
import { privateResolvConf } from '../../src/sandbox/intercept.js';
import { makePlan } from '../../src/sandbox/plan.js';

const names = { id: 'x', buildNs: 'netaudit-1.2-3-b', monitorNs: 'netaudit-1.2-3-m' };

describe('sandbox/intercept', () => {
  it('the plan: intercept needs the packets sandbox (default routes to the monitor)', () => {
    const plan = makePlan(names, 'packets', true);
    assert.equal(plan.intercept, true);
    assert.ok(plan.build.some((l) => l.startsWith('route add default via')));
    assert.throws(() => makePlan(names, 'faithful', true), /packets sandbox/);
  });

  it('the build argv: a mount namespace with the file bound over /etc/resolv.conf, then the command', () => {
    const argv = wrapArgv('/run/netns/b', ['curl', 'x'], undefined, '/tmp/r/resolv.conf');
    assert.deepEqual(argv.slice(0, 7), [tool('nsenter'), '--net=/run/netns/b', '--', tool('unshare'), '--uts', '--mount', '--']);
    assert.match(argv[9] as string, /"\$2" --bind "\$3" \/etc\/resolv\.conf && shift 3 && exec "\$@"/);
    assert.deepEqual(argv.slice(11, 13), [tool('hostname'), tool('mount')]);
    assert.ok(argv.slice(0, 13).every((w) => !/^(nsenter|unshare|sh|hostname|mount)$/.test(w)), 'every tool by its absolute path');
    assert.deepEqual(argv.slice(-3), ['/tmp/r/resolv.conf', 'curl', 'x']);
    assert.ok(!wrapArgv('/run/netns/b', ['true']).includes('--mount'), 'no mount namespace without intercept');
  });

  it('the build argv with the UTS namespace the sandbox made (hostname set): one nsenter joins both, nothing between it and the build', () => {
    const uts = '/proc/4242/ns/uts';
    assert.deepEqual(wrapArgv('/run/netns/b', ['true'], undefined, undefined, undefined, uts), [tool('nsenter'), '--net=/run/netns/b', `--uts=${uts}`, '--', 'true']);
    const user = { uid: 250, gid: 250, name: 'portage', home: '/var/lib/portage/home' };
    assert.deepEqual(wrapArgv('/run/netns/b', ['id'], user, undefined, undefined, uts).slice(4), [tool('setpriv'), '--reuid=250', '--regid=250', '--init-groups', '--', 'id']);
    // Intercept mode needs a mount namespace of its own anyway: it makes its UTS namespace with it.
    assert.ok(wrapArgv('/run/netns/b', ['true'], undefined, '/tmp/r/resolv.conf', undefined, uts).includes('--mount'));
  });

  it('the private resolv.conf names the monitor resolver only, readable by any user, and is removed', () => {
    const conf = privateResolvConf();
    try {
      const text = readFileSync(conf.file, 'utf8');
      assert.deepEqual(text.split('\n').filter((l) => l.startsWith('nameserver')), [`nameserver ${INTERCEPT_RESOLVER_V4}`]);
    } finally {
      conf.remove();
    }
    assert.throws(() => readFileSync(conf.file));
  });
});
