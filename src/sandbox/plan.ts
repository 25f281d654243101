/**
 * The namespace plan, parsed first and acted on later (bubblewrap style): plain data saying what to create.
 * Names and addresses come from src/model/network.ts; with today's values:
 *
 *   build netns  lo: 127.0.0.1/8, ::1, 10.0.0.1/8, fd::1/8  (Portage's loopback setup, process.py)
 *                na0: 169.254.1.2/30, fe80::2/64 nodad; default routes v4/v6 via the monitor (route mode
 *                `all`), or (mode `dns`, with the syscall observer) none: only UDP to port 53 is routed to
 *                the monitor, by a policy rule to table 53, so DNS questions still leave their text in the
 *                NFLOG capture while every other external connect or send fails at once with ENETUNREACH,
 *                as under network-sandbox (the observer sees those calls: src/analyze/syscalls.ts).
 *   monitor netns na1: 169.254.1.1/30, fe80::1/64 nodad; it owns every address (AnyIP local routes) and
 *                answers each packet from the build with ICMP/ICMPv6 "network unreachable" from its nftables
 *                input chain (bpf/monitor.nft); routes back to 10/8 and ::/8 (fd::1 is the source the build
 *                picks towards 2001:db8::/32); no forwarding, no route out; ICMP rate limits lifted.
 * Neighbour entries are static (nud permanent): no ARP/NDP delay before the first SYN, less noise.
 */
import {
  BUILD_LL6, BUILD_MAC, BUILD_V4, BUILD_VETH, LINK_LL6_PREFIX, LINK_V4_PREFIX, MONITOR_LL6, MONITOR_MAC, MONITOR_V4,
  MONITOR_VETH, NFLOG_GROUP, PORTAGE_LO_V4, PORTAGE_LO_V6, PORTAGE_NET_V4, PORTAGE_NET_V6,
} from '../model/network.js';
import type { RunNames } from './names.js';

/**
 * How the build namespace reaches the monitor. `all`: default routes (every packet crosses the veth: the
 * only evidence without the observer). `dns`: UDP port 53 only (see above).
 */
export type RouteMode = 'all' | 'dns';

/** The policy routing table of route mode `dns`. */
export const DNS_TABLE = 53;

export interface SandboxPlan {
  readonly names: RunNames;
  readonly routes: RouteMode;
  /** Intercept mode: the monitor answers (bpf/monitor-intercept.nft, src/sandbox/intercept.ts); routes are `all`. */
  readonly intercept: boolean;
  /**
   * As root: `ip -batch` lines run in the root namespace: create both namespaces (/run/netns) and the veth
   * inside them. Without root the user namespace's launcher makes the namespaces (src/sandbox/userns.ts) and
   * only vethLine() is run, inside the build namespace.
   */
  readonly create: readonly string[];
  /** `ip -batch` lines run inside the build namespace. */
  readonly build: readonly string[];
  /** `ip -batch` lines run inside the monitor namespace. */
  readonly monitor: readonly string[];
  /** sysctl -w assignments inside the monitor. */
  readonly monitorSysctl: readonly string[];
  readonly nflogGroup: number;
}

/** `ip -n BUILD -batch` lines that route everything to the monitor (mode `all`; added later on a fallback). */
export function defaultRoutes(): string[] {
  return [`route add default via ${MONITOR_V4} dev ${BUILD_VETH}`, `route add ::/0 via ${MONITOR_LL6} dev ${BUILD_VETH}`];
}

/** Mode `dns`: DNS questions (UDP port 53) routed by policy to table 53 (`-6` does not work in -batch: `from ::/0` selects IPv6). */
function dnsRoutes(): string[] {
  return [
    `route add default via ${MONITOR_V4} dev ${BUILD_VETH} table ${DNS_TABLE}`,
    `route add ::/0 via ${MONITOR_LL6} dev ${BUILD_VETH} table ${DNS_TABLE}`,
    `rule add ipproto udp dport 53 lookup ${DNS_TABLE}`,
    `rule add from ::/0 ipproto udp dport 53 lookup ${DNS_TABLE}`,
  ];
}

/**
 * The veth pair, made directly inside its two namespaces: `monitor` is a namespace name (/run/netns) or the
 * pid of a process in it. `build`: where the build end goes; omitted, the namespace the command runs in.
 */
export function vethLine(monitor: string, build?: string): string {
  return `link add ${BUILD_VETH} address ${BUILD_MAC}${build ? ` netns ${build}` : ''} type veth peer name ${MONITOR_VETH} address ${MONITOR_MAC} netns ${monitor}`;
}

export function makePlan(names: RunNames, routes: RouteMode = 'all', intercept = false): SandboxPlan {
  if (intercept && routes !== 'all') throw new Error('intercept mode needs route mode all: the responder answers what crosses the veth');
  return {
    names,
    routes,
    intercept,
    create: [
      `netns add ${names.buildNs}`,
      `netns add ${names.monitorNs}`,
      vethLine(names.monitorNs, names.buildNs),
    ],
    build: [
      'link set lo up',
      `addr add ${PORTAGE_LO_V4} dev lo`,
      `addr add ${PORTAGE_LO_V6} dev lo nodad`,
      `link set ${BUILD_VETH} addrgenmode none`,
      `link set ${BUILD_VETH} up`,
      `addr add ${BUILD_V4}/${LINK_V4_PREFIX} dev ${BUILD_VETH}`,
      `addr add ${BUILD_LL6}/${LINK_LL6_PREFIX} dev ${BUILD_VETH} nodad`,
      `neigh replace ${MONITOR_V4} lladdr ${MONITOR_MAC} dev ${BUILD_VETH} nud permanent`,
      `neigh replace ${MONITOR_LL6} lladdr ${MONITOR_MAC} dev ${BUILD_VETH} nud permanent`,
      ...(routes === 'all' ? defaultRoutes() : dnsRoutes()),
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
