/**
 * The build listing its network interfaces (pure, no I/O): the tracer's InterfaceEnumEvents folded into
 * `InterfaceQuery` entries, each with its process, phase, test and how that process (or one it started) ended.
 * Under network-sandbox a build's namespace has `lo` only, so a program that looks for another interface
 * (Open MPI's TCP transport, a test that wants a non-loopback address) fails without any blocked attempt.
 *
 * Which requests list interfaces, measured with `strace -f -e trace=sendto,sendmsg,ioctl` in a namespace set
 * up as Portage's (lo up with 127.0.0.1, 10.0.0.1/8, fd::1/8; Debian 12, glibc 2.36, kernel 6.x):
 *   glibc getaddrinfo() with AI_ADDRCONFIG (its __check_pf; curl, getent ahosts, most clients): one RTM_GETADDR
 *     dump (family AF_UNSPEC) on a fresh NETLINK_ROUTE socket, no RTM_GETLINK. On almost every lookup:
 *     NOT a listing.
 *   glibc getifaddrs() (hostname -I; Node's os.networkInterfaces() through libuv, seen on a libuv thread of
 *     node): an RTM_GETLINK dump, then an RTM_GETADDR dump on the same socket.
 *   glibc if_nameindex() (python3 socket.if_nameindex()): one RTM_GETLINK dump.
 *   iproute2 `ip link`: an RTM_GETLINK dump (family AF_PACKET); `ip addr` (`ip -4 addr`): an RTM_GETLINK dump,
 *     then an RTM_GETADDR dump; `ip route`: RTM_GETROUTE (the tracer does not record it: not a listing).
 *   Go's net.Interfaces(): an RTM_GETLINK dump; net.InterfaceAddrs(): an RTM_GETADDR dump, then an RTM_GETLINK
 *     dump (syscall.NetlinkRIB, from Go's source).
 *   Open MPI 4.1.4 (`mpirun --mca btl tcp,self -n 2 ./hello`, Debian's openmpi-bin; mpirun and each rank, in
 *     opal_ifinit): SIOCGIFCONF twice per scan (10, then 20 entries), then SIOCGIFFLAGS, SIOCGIFINDEX,
 *     SIOCGIFADDR, SIOCGIFNETMASK, SIOCGIFMTU, SIOCGIFHWADDR on each name it listed; no netlink. Under the
 *     sandbox it found `lo` only, the ranks exited 1 ("At least one pair of MPI processes are unable to reach
 *     each other"), and so did mpirun. With --mca btl_tcp_if_include lo, or btl self,vader, it passed.
 *   python3 socket.if_nametoindex('eth0'): one SIOCGIFINDEX naming eth0 (ENODEV under the sandbox).
 * So the rule: a listing is an RTM_GETLINK request with NLM_F_DUMP, or SIOCGIFCONF. An RTM_GETADDR dump never
 * counts on its own (a listing of addresses sends an RTM_GETLINK dump next to it, and AI_ADDRCONFIG's does not);
 * ioctls that name one interface (SIOCGIFFLAGS, SIOCGIFINDEX, ...) and RTM_GETLINK without NLM_F_DUMP ask
 * about one interface: they do not count either.
 */
import type { TestSpan } from '../model/evidence.js';
import type { ForkEvent, InterfaceEnumEvent, ProcessExitEvent, TracerEvent } from '../model/tracer-events.js';
import type { InterfaceQuery, Phase, ProcessEnd } from '../model/types.js';
import { processOf } from './attribute.js';
import { PhaseClock } from './phase.js';
import { testSpanAt } from './test-attribution.js';

/** Whether an interface request lists interfaces (the rule of the module comment). */
export function isInterfaceListing(e: Pick<InterfaceEnumEvent, 'method' | 'request' | 'dump'>): boolean {
  if (e.method === 'netlink') return e.request === 'RTM_GETLINK' && e.dump === true;
  return e.request === 'SIOCGIFCONF';
}

export interface InterfaceQueryContext {
  /** Epoch ms when the build started: firstAtMs counts from here. */
  readonly buildStartMs: number;
  /** Only events of this network namespace. */
  readonly netns?: number;
  /** Epoch ms when the build ended: later events are not the build's. */
  readonly buildEndMs?: number;
  /** Ebuild phases (ms since buildStartMs). */
  readonly phases?: readonly Phase[];
  /** Test spans (ms since buildStartMs). */
  readonly tests?: readonly TestSpan[];
}

/** A process failed: a non-zero exit code, or a signal. */
function failed(e: ProcessExitEvent): boolean {
  return (e.exitCode !== undefined && e.exitCode !== 0) || (e.signal !== undefined && e.signal !== 0);
}

function endOf(e: ProcessExitEvent): ProcessEnd {
  return {
    pid: e.pid,
    comm: e.comm,
    ...(e.exitCode !== undefined && !e.signal ? { exitCode: e.exitCode } : {}),
    ...(e.signal ? { signal: e.signal } : {}),
  };
}

/**
 * The process tree of the build and how its processes ended: for a query at `atMs` by `pid`, the first failure
 * after it, of that process itself, else of one it started (its children, theirs, ...), in time order.
 */
class ProcessTree {
  readonly #children = new Map<number, Set<number>>();
  readonly #exits = new Map<number, ProcessExitEvent>();

  constructor(events: readonly TracerEvent[]) {
    const link = (parent: number, child: number): void => {
      if (parent === child || parent <= 0) return;
      let set = this.#children.get(parent);
      if (!set) this.#children.set(parent, (set = new Set()));
      set.add(child);
    };
    for (const e of events) {
      if (e.kind === 'fork') link(e.pid, (e as ForkEvent).child);
      else link(e.ppid, e.pid);
      // A pid's last exit counts (a pid reused within one build is rare; its latest end is what followed).
      if (e.kind === 'exit') this.#exits.set(e.pid, e);
    }
  }

  /** The first failure at or after atMs: the process's own, else its descendants' (earliest first). */
  failureAfter(pid: number, atMs: number): ProcessEnd | undefined {
    const own = this.#exits.get(pid);
    if (own && own.tsMs >= atMs && failed(own)) return endOf(own);
    let first: ProcessExitEvent | undefined;
    const seen = new Set<number>([pid]);
    const queue = [...(this.#children.get(pid) ?? [])];
    while (queue.length) {
      const p = queue.shift() as number;
      if (seen.has(p)) continue;
      seen.add(p);
      const end = this.#exits.get(p);
      if (end && end.tsMs >= atMs && failed(end) && (!first || end.tsMs < first.tsMs)) first = end;
      queue.push(...(this.#children.get(p) ?? []));
    }
    return first ? endOf(first) : undefined;
  }
}

/**
 * The build's interface listings, one entry per (process, phase, test, method, request), in the order of
 * their first request; `allowed` is false until src/verdict/ decides with the ebuild's policy.
 */
export function interfaceQueries(events: readonly TracerEvent[], ctx: InterfaceQueryContext): InterfaceQuery[] {
  const mine = events.filter((e) => (ctx.netns === undefined || e.netns === ctx.netns) && (ctx.buildEndMs === undefined || e.tsMs <= ctx.buildEndMs));
  const listings = mine.filter((e): e is InterfaceEnumEvent => e.kind === 'interface-enum' && isInterfaceListing(e)).sort((a, b) => a.tsMs - b.tsMs);
  if (!listings.length) return [];
  const tree = new ProcessTree(mine);
  const clock = new PhaseClock(ctx.phases, ctx.buildStartMs);
  const spans = ctx.tests ?? [];
  const folded = new Map<string, { first: InterfaceEnumEvent; count: number; phase?: string; test?: string }>();
  for (const e of listings) {
    const phase = clock.at(e.tsMs);
    const test = spans.length ? testSpanAt(spans, e.tsMs - ctx.buildStartMs, [e.pid, e.ppid])?.nodeid : undefined;
    const key = JSON.stringify([e.pid, phase ?? null, test ?? null, e.method, e.request]);
    const acc = folded.get(key);
    if (acc) acc.count++;
    else folded.set(key, { first: e, count: 1, ...(phase !== undefined ? { phase } : {}), ...(test !== undefined ? { test } : {}) });
  }
  return [...folded.values()].map(({ first, count, phase, test }) => {
    const failure = tree.failureAfter(first.pid, first.tsMs);
    return {
      method: first.method,
      request: first.request,
      count,
      firstAtMs: Math.max(0, Math.round(first.tsMs - ctx.buildStartMs)),
      ...(phase !== undefined ? { phase } : {}),
      ...(test !== undefined ? { test } : {}),
      process: processOf(first),
      ...(failure ? { failure } : {}),
      allowed: false,
    };
  });
}
