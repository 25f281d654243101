/**
 * ICMP and ICMPv6: echo requests are tries (one per identifier, each request counted); echo replies answer
 * them; errors (destination unreachable, time exceeded, parameter problem) answer the packet they quote.
 * Errors are answers, never attempts themselves; packet-too-big is not a failure and is ignored.
 */
import type { IcmpInfo } from '../decode/types.js';
import type { AddressBook } from './book.js';
import { tupleKey, type FlowTable, type PacketView, type Resolution } from './flows.js';
import type { TryInit } from './observation.js';

/** ICMP echo request (8) / ICMPv6 echo request (128). */
export function isEchoRequest(icmp: IcmpInfo): boolean {
  return icmp.v6 ? icmp.type === 128 : icmp.type === 8;
}

export function isEchoReply(icmp: IcmpInfo): boolean {
  return icmp.v6 ? icmp.type === 129 : icmp.type === 0;
}

/** An error that makes the quoted packet's sender fail: v4 types 3, 11, 12; v6 types 1, 3, 4. */
export function isIcmpError(icmp: IcmpInfo): boolean {
  return icmp.v6 ? icmp.type === 1 || icmp.type === 3 || icmp.type === 4 : icmp.type === 3 || icmp.type === 11 || icmp.type === 12;
}

/** Port (or protocol) unreachable is a refusal (ECONNREFUSED); every other error is unreachable. */
export function icmpErrorResolution(icmp: IcmpInfo): Resolution {
  const refused = icmp.v6 ? icmp.type === 1 && icmp.code === 4 : icmp.type === 3 && (icmp.code === 3 || icmp.code === 2);
  return refused ? 'refused' : 'unreachable';
}

export function onIcmp(v: PacketView, table: FlowTable, book: AddressBook): void {
  const icmp = v.p.icmp;
  if (!icmp) return;
  const { family, tsMs } = v.p;
  if (isEchoRequest(icmp)) {
    if (!v.fromBuild) return;
    const tuple = tupleKey('icmp', family, v.src, undefined, v.dst, undefined);
    table.send(tuple, `echo:${icmp.echo?.id ?? ''}`, '', tsMs, { kind: 'icmp', family, address: v.dst });
    return;
  }
  if (isEchoReply(icmp)) {
    if (table.source === 'nflog') return;
    table.answer(tupleKey('icmp', family, v.dst, undefined, v.src, undefined), `echo:${icmp.echo?.id ?? ''}`, 'served');
    return;
  }
  const q = icmp.quoted;
  if (!isIcmpError(icmp) || !q || table.source === 'nflog') return;
  const src = book.canon(q.src);
  const dst = book.canon(q.dst);
  // On the veth, only errors about the build's own packets (the monitor answering it) count.
  if (table.source === 'veth' && !book.isBuildSide(src)) return;
  let tuple: string;
  let quoted: TryInit | undefined;
  if (q.proto === 'tcp' || q.proto === 'udp') {
    if (q.srcPort === undefined || q.dstPort === undefined) return;
    tuple = tupleKey(q.proto, q.family, src, q.srcPort, dst, q.dstPort);
    quoted = { kind: q.proto, family: q.family, address: dst, port: q.dstPort };
  } else if (q.proto === 'icmp' || q.proto === 'icmp6') {
    tuple = tupleKey('icmp', q.family, src, undefined, dst, undefined);
    quoted = { kind: 'icmp', family: q.family, address: dst };
  } else {
    return;
  }
  table.icmpError(tuple, icmpErrorResolution(icmp), tsMs, quoted);
}
