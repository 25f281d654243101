import assert from 'node:assert/strict';
import { analyzeBuild } from '../../src/analyze/build.js';
import { interfaceQueries, isInterfaceListing } from '../../src/analyze/interfaces.js';
import { NETNS, START, addrconfig, evidence, exit, fork, getifaddrs, ioctl, netlink } from '../helpers/ifenum.js';

const py = { pid: 42, ppid: 41, comm: 'python3', argv: ['python3', 'check.py', 'fail'] };
const ctx = { buildStartMs: START, netns: NETNS, buildEndMs: START + 2000 };

describe('analyze/interfaces: the build listing its network interfaces', () => {
  it('the rule: RTM_GETLINK dumps and SIOCGIFCONF list interfaces; RTM_GETADDR alone, one-interface requests do not', () => {
    assert.equal(isInterfaceListing(netlink(py, 1, 'RTM_GETLINK')), true);
    assert.equal(isInterfaceListing(ioctl(py, 1, 'SIOCGIFCONF')), true);
    assert.equal(isInterfaceListing(addrconfig(py, 1)), false, "glibc getaddrinfo's AI_ADDRCONFIG check");
    assert.equal(isInterfaceListing(netlink(py, 1, 'RTM_GETLINK', { dump: false })), false, 'ip link show dev X asks about one link');
    assert.equal(isInterfaceListing(ioctl(py, 1, 'SIOCGIFINDEX', 'eth0')), false, 'if_nametoindex');
    assert.equal(isInterfaceListing(ioctl(py, 1, 'SIOCGIFFLAGS', 'lo')), false);
  });

  it("getaddrinfo's RTM_GETADDR dumps, however many, make no query", () => {
    const events = [addrconfig(py, 10), addrconfig(py, 20), addrconfig({ ...py, pid: 43, comm: 'curl' }, 30), exit(py, 40, { exitCode: 1 })];
    assert.deepEqual(interfaceQueries(events, ctx), []);
    assert.deepEqual(analyzeBuild(evidence(events, { exitCode: 1 })).interfaceQueries, []);
  });

  it('getifaddrs is one listing (its RTM_GETADDR is not counted), with process, time, count and the failure of the process', () => {
    const events = [...getifaddrs(py, 12.4), ...getifaddrs(py, 30), exit(py, 50, { exitCode: 1 })];
    const [q, ...more] = interfaceQueries(events, ctx);
    assert.equal(more.length, 0);
    assert.deepEqual(q, {
      method: 'netlink',
      request: 'RTM_GETLINK',
      count: 2,
      firstAtMs: 12,
      process: { pid: 42, ppid: 41, comm: 'python3', argv: ['python3', 'check.py', 'fail'] },
      failure: { pid: 42, comm: 'python3', exitCode: 1 },
      allowed: false,
    });
  });

  it('a process that exits 0 has no failure; nor does one whose end was not seen', () => {
    const ok = interfaceQueries([netlink(py, 5, 'RTM_GETLINK'), exit(py, 9, { exitCode: 0 })], ctx);
    assert.equal(ok[0]?.failure, undefined);
    const unseen = interfaceQueries([netlink(py, 5, 'RTM_GETLINK')], ctx);
    assert.equal(unseen.length, 1);
    assert.equal(unseen[0]?.failure, undefined);
  });

  it('Open MPI: mpirun lists with SIOCGIFCONF, a rank it started (a grandchild) fails: the failure is the rank’s', () => {
    const mpirun = { pid: 100, ppid: 99, comm: 'mpirun', argv: ['mpirun', '--mca', 'btl', 'tcp,self', '-n', '2', './hello'] };
    const orted = { pid: 101, ppid: 100, comm: 'mpirun' };
    const rank = { pid: 102, ppid: 101, comm: 'hello' };
    const events = [
      ioctl(mpirun, 5, 'SIOCGIFCONF'),
      ioctl(mpirun, 5.1, 'SIOCGIFCONF'),
      ioctl(mpirun, 5.2, 'SIOCGIFFLAGS', 'lo'),
      fork(mpirun, 10, 101),
      fork(orted, 11, 102),
      ioctl(rank, 20, 'SIOCGIFCONF'),
      exit(rank, 30, { exitCode: 1 }),
      exit(orted, 31, { exitCode: 0 }),
      exit(mpirun, 32, { exitCode: 1 }),
    ];
    const qs = interfaceQueries(events, ctx);
    assert.equal(qs.length, 2);
    assert.deepEqual(
      qs.map((q) => [q.process?.comm, q.request, q.count, q.failure]),
      [
        ['mpirun', 'SIOCGIFCONF', 2, { pid: 100, comm: 'mpirun', exitCode: 1 }],
        ['hello', 'SIOCGIFCONF', 1, { pid: 102, comm: 'hello', exitCode: 1 }],
      ],
    );
  });

  it('a descendant that failed: found through forks and ppid; killed by a signal counts; a failure before the query does not', () => {
    const parent = { pid: 200, ppid: 1, comm: 'node' };
    const child = { pid: 201, ppid: 200, comm: 'worker' };
    const killed = interfaceQueries([netlink(parent, 5, 'RTM_GETLINK'), exit(child, 9, { signal: 6 }), exit(parent, 10, { exitCode: 0 })], ctx);
    assert.deepEqual(killed[0]?.failure, { pid: 201, comm: 'worker', signal: 6 });
    const before = interfaceQueries([exit(child, 3, { exitCode: 2 }), netlink(parent, 5, 'RTM_GETLINK'), exit(parent, 10, { exitCode: 0 })], ctx);
    assert.equal(before[0]?.failure, undefined);
  });

  it('folded per process, phase and test; other namespaces and events after the build are not the build’s', () => {
    const other = { ...netlink(py, 5, 'RTM_GETLINK'), netns: 1 };
    const late = netlink(py, 2500, 'RTM_GETLINK');
    const phases = [
      { name: 'src_compile', startMs: 0, endMs: 100 },
      { name: 'src_test', startMs: 100, endMs: 1000 },
    ];
    const tests = [{ nodeid: 'tests/test_if.py::test_list', phase: 'call' as const, pid: 42, startMs: 150, endMs: 300 }];
    const events = [other, netlink(py, 50, 'RTM_GETLINK'), netlink(py, 160, 'RTM_GETLINK'), netlink(py, 170, 'RTM_GETLINK'), ioctl(py, 400, 'SIOCGIFCONF'), late];
    const qs = interfaceQueries(events, { ...ctx, phases, tests });
    assert.deepEqual(
      qs.map((q) => [q.phase, q.test, q.request, q.count, q.firstAtMs]),
      [
        ['src_compile', undefined, 'RTM_GETLINK', 1, 50],
        ['src_test', 'tests/test_if.py::test_list', 'RTM_GETLINK', 2, 160],
        ['src_test', undefined, 'SIOCGIFCONF', 1, 400],
      ],
    );
  });

  it('analyzeBuild exposes them (with the evidence’s phases and tests); without a tracer there are none', () => {
    const ev = evidence([...getifaddrs(py, 7), exit(py, 9, { exitCode: 1 })], { exitCode: 1, phases: [{ name: 'src_test', startMs: 0 }] });
    const a = analyzeBuild(ev);
    assert.equal(a.interfaceQueries.length, 1);
    assert.equal(a.interfaceQueries[0]?.phase, 'src_test');
    const { tracer: _none, ...noTracer } = ev;
    assert.deepEqual(analyzeBuild(noTracer).interfaceQueries, []);
  });
});
