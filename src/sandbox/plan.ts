/**
 * The namespace plan, parsed first and acted on later (bubblewrap style): plain data saying what to create.
 * Names and addresses come from src/model/network.ts. Two kinds:
 *
 *   faithful  (the verdict, whenever the tracer runs) Portage's own namespace and nothing else:
 *             build netns  lo: 127.0.0.1/8, ::1, 10.0.0.1/8, fd::1/8 (Portage's loopback setup, process.py);
 *             no other link, no route, no rule, no nftables. What a build sees (`ip link`, `ip route`,
 *             if_nameindex(), every errno) is the reference sandbox's; the tracer (src/observe/) sees each
 *             socket call, the DNS questions sent and the names handed to libc, and lo is captured.
 *   packets   (no tracer: no root, no BTF, --no-observe; and --intercept, where the monitor answers)
 *             build netns  Portage's lo as above, plus
 *                          na0: 169.254.1.2/30, fe80::2/64 nodad; default routes v4/v6 via the monitor, so
 *                          external attempts leave as packets that can be captured. The build sees that
 *                          extra interface (the report's `changes` says so: PACKETS_CHANGE).
 *             monitor netns na1: 169.254.1.1/30, fe80::1/64 nodad; it owns every address (AnyIP local routes)
 *                          and answers each packet from the build with ICMP/ICMPv6 "network unreachable"
 *                          from its nftables input chain (bpf/monitor.nft); routes back to 10/8 and ::/8 (fd::1
 *                          is the source the build picks towards 2001:db8::/32); no forwarding, no route out;
 *                          ICMP rate limits lifted.
 *             Neighbour entries are static (nud permanent): no ARP/NDP delay before the first SYN, less noise.
 */
import {
  BUILD_LL6, BUILD_MAC, BUILD_V4, BUILD_VETH, LINK_LL6_PREFIX, LINK_V4_PREFIX, MONITOR_LL6, MONITOR_MAC, MONITOR_V4,
  MONITOR_VETH, NFLOG_GROUP, PORTAGE_LO_V4, PORTAGE_LO_V6, PORTAGE_NET_V4, PORTAGE_NET_V6,
} from '../model/network.js';
import type { RunNames } from './names.js';

/** What the build namespace holds: Portage's namespace alone (`faithful`), or that plus the veth to a monitor (`packets`). */
export type SandboxKind = 'faithful' | 'packets';

/**
 * The report's `changes` line of a build run in a `packets` sandbox: what it saw that network-sandbox does not
 * show (src/runner/command.ts adds it).
 */
export const PACKETS_CHANGE =
  'no syscall tracer: the build namespace had an extra interface (na0, 169.254.1.2/30) and default routes to the monitor that answers for network-sandbox; programs that list interfaces or routes saw them, and UDP sends to external addresses failed with EPERM instead of ENETUNREACH (docs/known-differences.md)';

export interface SandboxPlan {
  readonly names: RunNames;
  readonly kind: SandboxKind;
  /** Intercept mode: the monitor answers (bpf/monitor-intercept.nft, src/sandbox/intercept.ts); kind `packets`. */
  readonly intercept: boolean;
  /**
   * As root: `ip -batch` lines run in the root namespace: create both namespaces (/run/netns) and the veth
   * inside them. Without root the user namespace's launcher makes the namespaces (src/sandbox/userns.ts) and
   * only vethLine() is run, inside the build namespace. Kind `faithful`: the build namespace alone.
   */
  readonly create: readonly string[];
  /** `ip -batch` lines run inside the build namespace. */
  readonly build: readonly string[];
  /** `ip -batch` lines run inside the monitor namespace (none for `faithful`: there is no monitor). */
  readonly monitor: readonly string[];
  /** sysctl -w assignments inside the monitor. */
  readonly monitorSysctl: readonly string[];
  readonly nflogGroup: number;
}

/**
 * The veth pair, made directly inside its two namespaces: `monitor` is a namespace name (/run/netns) or the
 * pid of a process in it. `build`: where the build end goes; omitted, the namespace the command runs in.
 */
export function vethLine(monitor: string, build?: string): string {
  return `link add ${BUILD_VETH} address ${BUILD_MAC}${build ? ` netns ${build}` : ''} type veth peer name ${MONITOR_VETH} address ${MONITOR_MAC} netns ${monitor}`;
}

/** Portage's loopback set-up (lib/portage/process.py): the whole of a faithful build namespace. */
// fd::1 without `nodad`, as Portage's rtnetlink call adds it (no flags): the kernel runs no duplicate address
// detection on a loopback device, so it is usable at once, and `ip addr` shows it as under Portage.
const PORTAGE_LO = ['link set lo up', `addr add ${PORTAGE_LO_V4} dev lo`, `addr add ${PORTAGE_LO_V6} dev lo`];

export function makePlan(names: RunNames, kind: SandboxKind = 'packets', intercept = false): SandboxPlan {
  if (intercept && kind !== 'packets') throw new Error('intercept mode needs the packets sandbox: the responder answers what crosses the veth');
  if (kind === 'faithful') {
    return { names, kind, intercept, create: [`netns add ${names.buildNs}`], build: PORTAGE_LO, monitor: [], monitorSysctl: [], nflogGroup: NFLOG_GROUP };
  }
  return {
    names,
    kind,
    intercept,
    create: [
      `netns add ${names.buildNs}`,
      `netns add ${names.monitorNs}`,
      vethLine(names.monitorNs, names.buildNs),
    ],
    build: [
      ...PORTAGE_LO,
      `link set ${BUILD_VETH} addrgenmode none`,
      `link set ${BUILD_VETH} up`,
      `addr add ${BUILD_V4}/${LINK_V4_PREFIX} dev ${BUILD_VETH}`,
      `addr add ${BUILD_LL6}/${LINK_LL6_PREFIX} dev ${BUILD_VETH} nodad`,
      `neigh replace ${MONITOR_V4} lladdr ${MONITOR_MAC} dev ${BUILD_VETH} nud permanent`,
      `neigh replace ${MONITOR_LL6} lladdr ${MONITOR_MAC} dev ${BUILD_VETH} nud permanent`,
      `route add default via ${MONITOR_V4} dev ${BUILD_VETH}`,
      `route add ::/0 via ${MONITOR_LL6} dev ${BUILD_VETH}`,
    ],
    monitor: [
      'link set lo up',
      `link set ${MONITOR_VETH} addrgenmode none`,
      `link set ${MONITOR_VETH} up`,
      `addr add ${MONITOR_V4}/${LINK_V4_PREFIX} dev ${MONITOR_VETH}`,
      `addr add ${MONITOR_LL6}/${LINK_LL6_PREFIX} dev ${MONITOR_VETH} nodad`,
      `neigh replace ${BUILD_V4} lladdr ${BUILD_MAC} dev ${MONITOR_VETH} nud permanent`,
      `neigh replace ${BUILD_LL6} lladdr ${BUILD_MAC} dev ${MONITOR_VETH} nud permanent`,
      // Every destination is local here; the build's own addresses are routed back over the veth (the local
      // table is consulted first, so the way back must be there too).
      'route add local 0.0.0.0/0 dev lo',
      'route add local ::/0 dev lo',
      `route add ${BUILD_V4}/32 dev ${MONITOR_VETH} table local`,
      `route add ${PORTAGE_NET_V4} via ${BUILD_V4} dev ${MONITOR_VETH} table local`,
      `route add ${PORTAGE_NET_V6} via ${BUILD_LL6} dev ${MONITOR_VETH} table local`,
    ],
    monitorSysctl: [
      'net.ipv4.icmp_ratelimit=0',
      'net.ipv4.icmp_msgs_per_sec=1000000',
      'net.ipv4.icmp_msgs_burst=1000000',
      'net.ipv6.icmp.ratelimit=0',
    ],
    nflogGroup: NFLOG_GROUP,
  };
}

export function netnsPath(name: string): string {
  return `/run/netns/${name}`;
}
