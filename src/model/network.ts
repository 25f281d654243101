/**
 * The fixed facts of the sandbox's network, in one place: interface names, MACs and addresses of the veth
 * pair, Portage's loopback addresses, the NFLOG group and where the end-of-capture markers go.
 *
 * Pure data: no imports, no I/O, so that every stage can take from it. src/sandbox/plan.ts builds the
 * namespaces from it (and draws the whole picture), src/sandbox/sandbox.ts sends the end markers to it,
 * src/sandbox/rules.ts fills the placeholders of bpf/*.nft from it, and src/analyze/ tells the build's
 * packets on the veth from the monitor's by it.
 */

/** The build's veth end. Interfaces live inside their own namespaces, so the names need not be unique. */
export const BUILD_VETH = 'na0';
/** The monitor's veth end. */
export const MONITOR_VETH = 'na1';
/** Locally administered MACs (02:...), "na" in the middle; the neighbour entries are static. */
export const BUILD_MAC = '02:6e:61:00:00:02';
export const MONITOR_MAC = '02:6e:61:00:00:01';

/** The build's IPv4 address on the veth; the monitor's is its default gateway. Both in LINK_V4_PREFIX. */
export const BUILD_V4 = '169.254.1.2';
export const MONITOR_V4 = '169.254.1.1';
export const LINK_V4_PREFIX = 30;
/** The build's IPv6 link-local address on the veth; the monitor's is its default gateway. */
export const BUILD_LL6 = 'fe80::2';
export const MONITOR_LL6 = 'fe80::1';
export const LINK_LL6_PREFIX = 64;

/** The build's own addresses on its veth end: on the veth, packets from these are the build's. */
export const BUILD_ADDRESSES: readonly string[] = [BUILD_V4, BUILD_LL6];

/**
 * What Portage puts on the build's lo besides 127.0.0.1 and ::1 (lib/portage/process.py), as `ip addr`
 * takes it: 10.0.0.1/8 and fd::1/8 (written so, fd::1 is 00fd::1, inside ::/8), to satisfy glibc's
 * AI_ADDRCONFIG. The networks are local on lo; the monitor routes them back to the build.
 */
export const PORTAGE_LO_V4 = '10.0.0.1/8';
export const PORTAGE_LO_V6 = 'fd::1/8';
export const PORTAGE_NET_V4 = '10.0.0.0/8';
export const PORTAGE_NET_V6 = '::/8';

/** The NFLOG group the build namespace's nftables rules log dropped sends to (groups are per namespace). */
export const NFLOG_GROUP = 7;
/**
 * The packets sandbox's captures of lo and of the build's veth end (both ways) are NFLOG groups of the build
 * namespace too, filled by bpf/build.nft (and its intercept variant), not packet sockets: a packet socket's ring
 * costs each run RCU grace periods at its start and at its close. One tcpdump reads all three groups.
 */
export const NFLOG_LO_GROUP = 8;
export const NFLOG_VETH_GROUP = 9;

/** A UDP destination for an end-of-capture marker. */
export interface MarkerTarget {
  readonly address: string;
  readonly port: number;
}

/**
 * Where Sandbox.collect() sends the end-of-capture marker, one datagram per capture point (its payload the
 * sentinel and the point's name: the one NFLOG capture of three points ends when each point's is in).
 * - lo: sent in the build namespace; a DNS-port datagram passes bpf/loopback.bpf.
 * - nflog: sent in the build namespace; any UDP towards the veth is logged (and dropped) by bpf/build.nft.
 *   A documentation address (RFC 5737), never a real host. Only a packets sandbox has NFLOG (and a veth).
 * - veth: sent in the monitor namespace, to the build's address, so it crosses the veth.
 */
export const END_MARKER: { readonly lo: MarkerTarget; readonly nflog: MarkerTarget; readonly veth: MarkerTarget } = {
  lo: { address: '127.0.0.1', port: 53 },
  nflog: { address: '203.0.113.255', port: 53 },
  veth: { address: BUILD_V4, port: 9 },
};

/**
 * Intercept mode (`netaudit run --intercept`, src/sandbox/intercept.ts): the monitor's responder answers DNS
 * with sinkhole addresses and accepts TCP. All from the documentation ranges (RFC 5737, RFC 3849), never a
 * real host: the resolver the build is given (a private /etc/resolv.conf), the sinkhole prefixes (the n-th
 * name asked gets SINKHOLE_V4_PREFIX.n and SINKHOLE_V6_PREFIXn), and the monitor's port every TCP connect is
 * redirected to (bpf/monitor-intercept.nft).
 */
export const INTERCEPT_RESOLVER_V4 = '203.0.113.53';
export const SINKHOLE_V4_PREFIX = '198.51.100';
export const SINKHOLE_V6_PREFIX = '2001:db8:ffff::';
export const INTERCEPT_PORT = 1;
