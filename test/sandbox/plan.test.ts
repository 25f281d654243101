/**
 * src/sandbox/plan.ts: the namespace plan as data. Faithful: Portage's build namespace alone (lo, nothing
 * else). Packets: the build namespace gets Portage's loopback setup and default routes towards the monitor;
 * the monitor owns every address but has no route out, only the ways back to the build; its ICMP rate limits
 * are lifted.
 */
import assert from 'node:assert/strict';
import { BlockList } from 'node:net';
import { makePlan, netnsPath } from '../../src/sandbox/plan.js';
import { BUILD_LL6, BUILD_MAC, BUILD_V4, BUILD_VETH, MONITOR_LL6, MONITOR_MAC, MONITOR_V4, MONITOR_VETH, NFLOG_GROUP } from '../../src/model/network.js';
import type { RunNames } from '../../src/sandbox/names.js';

const names: RunNames = { id: '4242.777-0', buildNs: 'netaudit-4242.777-0-b', monitorNs: 'netaudit-4242.777-0-m' };
const plan = makePlan(names);

/** `route add ...` lines, without the verb. */
const routes = (lines: readonly string[]): string[] => lines.filter((l) => l.startsWith('route ')).map((l) => l.replace(/^route add /, ''));
/** The destination prefix of a route line (`local` routes: the prefix after the type). */
const destination = (route: string): string => route.replace(/^local /, '').split(' ')[0] as string;

describe('sandbox plan', () => {
  it('creates both namespaces, then the veth directly inside them (moving an end costs 25-45 ms)', () => {
    assert.deepEqual(plan.create, [
      `netns add ${names.buildNs}`,
      `netns add ${names.monitorNs}`,
      `link add ${BUILD_VETH} address ${BUILD_MAC} netns ${names.buildNs} type veth peer name ${MONITOR_VETH} address ${MONITOR_MAC} netns ${names.monitorNs}`,
    ]);
    assert.equal(plan.names, names);
    assert.equal(netnsPath(names.buildNs), `/run/netns/${names.buildNs}`);
  });

  describe('build namespace', () => {
    it("has Portage's loopback setup: lo up, then 10.0.0.1/8 and fd::1/8 on lo (process.py; no nodad: lo runs no DAD)", () => {
      const lo = plan.build.filter((l) => / lo\b/.test(l));
      assert.deepEqual(lo, ['link set lo up', 'addr add 10.0.0.1/8 dev lo', 'addr add fd::1/8 dev lo']);
      assert.equal(plan.build[0], 'link set lo up', 'lo is up before anything else');
    });

    it('every IPv6 address on the veth is nodad (else unusable for about two seconds)', () => {
      const v6 = plan.build.concat(plan.monitor).filter((l) => /^addr add [0-9a-f:]+\//.test(l) && l.includes(':') && !l.endsWith(' dev lo'));
      assert.ok(v6.length >= 2, v6.join(' | '));
      for (const l of v6) assert.match(l, / nodad$/);
    });

    it('has exactly the two default routes, v4 and v6, via the monitor over the veth', () => {
      assert.deepEqual(routes(plan.build), [`default via ${MONITOR_V4} dev ${BUILD_VETH}`, `::/0 via ${MONITOR_LL6} dev ${BUILD_VETH}`]);
    });

    it("faithful (with the tracer): Portage's namespace alone — lo's set-up, no other link, no route, no rule, no monitor", () => {
      const faithful = makePlan(names, 'faithful');
      assert.equal(faithful.kind, 'faithful');
      assert.deepEqual(faithful.create, [`netns add ${names.buildNs}`]);
      assert.deepEqual(faithful.build, ['link set lo up', 'addr add 10.0.0.1/8 dev lo', 'addr add fd::1/8 dev lo']);
      assert.deepEqual([faithful.monitor, faithful.monitorSysctl], [[], []]);
      assert.ok(!faithful.build.concat(faithful.create).some((l) => /veth|route|rule|na0/.test(l)));
      assert.equal(plan.kind, 'packets', 'packets is the default kind');
      assert.deepEqual(plan.build.slice(0, 3), faithful.build, 'the packets sandbox starts from the same lo');
    });

    it('the veth end has a link-local address of each family, no generated one, and static neighbours', () => {
      assert.ok(plan.build.includes(`addr add ${BUILD_V4}/30 dev ${BUILD_VETH}`));
      assert.ok(plan.build.includes(`addr add ${BUILD_LL6}/64 dev ${BUILD_VETH} nodad`));
      assert.ok(plan.build.includes(`link set ${BUILD_VETH} addrgenmode none`));
      assert.ok(plan.build.includes(`neigh replace ${MONITOR_V4} lladdr ${MONITOR_MAC} dev ${BUILD_VETH} nud permanent`));
      assert.ok(plan.build.includes(`neigh replace ${MONITOR_LL6} lladdr ${MONITOR_MAC} dev ${BUILD_VETH} nud permanent`));
      assert.ok(plan.build.indexOf(`link set ${BUILD_VETH} up`) < plan.build.findIndex((l) => l.startsWith('route ')), 'the link is up before its routes');
    });
  });

  describe('monitor namespace', () => {
    const monitorRoutes = routes(plan.monitor);

    it('owns every address (AnyIP local routes on lo), so it answers every destination itself', () => {
      assert.ok(plan.monitor.includes('link set lo up'));
      assert.deepEqual(monitorRoutes.filter((r) => r.endsWith(' dev lo')), ['local 0.0.0.0/0 dev lo', 'local ::/0 dev lo']);
    });

    it('has no route out: every other route leads back to the build over the veth', () => {
      const others = monitorRoutes.filter((r) => !r.endsWith(' dev lo'));
      assert.deepEqual(others, [
        `${BUILD_V4}/32 dev ${MONITOR_VETH} table local`,
        `10.0.0.0/8 via ${BUILD_V4} dev ${MONITOR_VETH} table local`,
        `::/8 via ${BUILD_LL6} dev ${MONITOR_VETH} table local`,
      ]);
      for (const r of others) {
        assert.match(r, new RegExp(` dev ${MONITOR_VETH} `), r);
        const via = / via (\S+)/.exec(r)?.[1];
        if (via) assert.ok([BUILD_V4, BUILD_LL6].includes(via), `${r}: a gateway other than the build`);
        assert.notEqual(destination(r), 'default');
      }
      assert.ok(!plan.monitor.some((l) => /\bdefault\b/.test(l)), 'no default route');
    });

    it('the ways back cover every source the build may pick: its veth address, 10/8 and fd::1', () => {
      // One list per family: a BlockList matches IPv4 addresses against IPv6 subnets too (as ::ffff:a.b.c.d, in ::/8).
      const back = { ipv4: new BlockList(), ipv6: new BlockList() };
      for (const r of monitorRoutes.filter((x) => !x.endsWith(' dev lo'))) {
        const [net, bits] = destination(r).split('/') as [string, string];
        const family = net.includes(':') ? 'ipv6' : 'ipv4';
        back[family].addSubnet(net, Number(bits), family);
      }
      for (const source of [BUILD_V4, '10.0.0.1', '10.255.255.53']) assert.ok(back.ipv4.check(source, 'ipv4'), source);
      // fd::1 is 00fd::1, inside ::/8 (not a ULA): the source the kernel picks towards 2001:db8::/32.
      assert.ok(back.ipv6.check('fd::1', 'ipv6'));
      for (const outside of ['198.51.100.10', '203.0.113.5']) assert.ok(!back.ipv4.check(outside, 'ipv4'), outside);
      for (const outside of ['2001:db8::1', 'fd00::1']) assert.ok(!back.ipv6.check(outside, 'ipv6'), outside);
    });

    it('lifts the ICMP rate limits, per namespace, and turns on no forwarding', () => {
      assert.deepEqual(plan.monitorSysctl, [
        'net.ipv4.icmp_ratelimit=0',
        'net.ipv4.icmp_msgs_per_sec=1000000',
        'net.ipv4.icmp_msgs_burst=1000000',
        'net.ipv6.icmp.ratelimit=0',
      ]);
      assert.ok(!plan.monitorSysctl.some((s) => /forward/.test(s)));
    });

    it('the veth end mirrors the build side: link-local addresses and static neighbours', () => {
      assert.ok(plan.monitor.includes(`addr add ${MONITOR_V4}/30 dev ${MONITOR_VETH}`));
      assert.ok(plan.monitor.includes(`addr add ${MONITOR_LL6}/64 dev ${MONITOR_VETH} nodad`));
      assert.ok(plan.monitor.includes(`neigh replace ${BUILD_V4} lladdr ${BUILD_MAC} dev ${MONITOR_VETH} nud permanent`));
      assert.ok(plan.monitor.includes(`neigh replace ${BUILD_LL6} lladdr ${BUILD_MAC} dev ${MONITOR_VETH} nud permanent`));
    });
  });

  it('logs dropped sends to the NFLOG group the capture listens on', () => {
    assert.equal(plan.nflogGroup, NFLOG_GROUP);
  });

  it('names only the namespaces it was given', () => {
    const other = makePlan({ id: 'x', buildNs: 'netaudit-1.2-3-b', monitorNs: 'netaudit-1.2-3-m' });
    assert.ok(other.create.every((l) => !l.includes(names.buildNs) && !l.includes(names.monitorNs)));
    assert.deepEqual(other.build, plan.build, 'the build lines name no namespace (ip -n does)');
    assert.deepEqual(other.monitor, plan.monitor);
  });
});
