/**
 * ICMP (RFC 792) and ICMPv6 (RFC 4443): echo identifiers, and for errors the quoted offending packet: its
 * IP header and the first bytes of its transport header, which hold the ports (RFC 792 quotes at least 8).
 * Also tells which ICMPv6 types are link chatter (NDP, MLD, router solicitations), never an attempt.
 */
import type { Family } from '../model/types.js';
import { readIpv4, readIpv6 } from './addr.js';
import { Cursor, DecodeError } from './cursor.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import type { IcmpInfo, IpProto, NoiseKind, QuotedPacket } from './types.js';

/** ICMPv4 types whose body quotes the offending packet: unreachable, source quench, redirect, time exceeded, parameter problem. */
function v4QuotesPacket(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/** ICMPv6 error types: unreachable, packet too big, time exceeded, parameter problem. */
function v6QuotesPacket(type: number): boolean {
  return type >= 1 && type <= 4;
}

/** IP protocol number to the name the model uses. */
export function protoName(family: Family, protocol: number): IpProto {
  switch (protocol) {
    case 6:
      return 'tcp';
    case 17:
      return 'udp';
    case 1:
      return family === 4 ? 'icmp' : 'other';
    case 58:
      return family === 6 ? 'icmp6' : 'other';
    default:
      return 'other';
  }
}

/**
 * The noise kind of an ICMP message that is link chatter, or undefined for one worth analysing.
 * ICMPv6: router solicitation 133; router advertisement, neighbour solicitation/advertisement, redirect
 * 134-137; MLD query/report/done 130-132 and MLDv2 report 143. ICMPv4: router solicitation 10,
 * router advertisement 9.
 */
export function icmpNoise(v6: boolean, type: number): NoiseKind | undefined {
  if (v6) {
    if (type === 133) return 'router-solicitation';
    if (type >= 134 && type <= 137) return 'ndp';
    if (type === 130 || type === 131 || type === 132 || type === 143) return 'mld';
    return undefined;
  }
  if (type === 10) return 'router-solicitation';
  if (type === 9) return 'other-ip';
  return undefined;
}

/** Ports from the first 4 bytes of a quoted TCP/UDP header, when they were quoted. */
function withPorts(q: QuotedPacket, buf: Uint8Array, at: number, end: number, fragmentOffset: number): QuotedPacket {
  if ((q.proto === 'tcp' || q.proto === 'udp') && fragmentOffset === 0) {
    const c = new Cursor(buf, at, end);
    if (c.remaining >= 4) {
      q.srcPort = c.u16('quoted ports');
      q.dstPort = c.u16('quoted ports');
    }
  }
  return q;
}

/**
 * The addresses of a quoted IP header whose options or extension headers were not quoted in full, or
 * undefined when even its fixed part is missing.
 */
function quotedAddresses(buf: Uint8Array, offset: number, end: number, v6: boolean): QuotedPacket | undefined {
  const what = v6 ? 'quoted IPv6 header' : 'quoted IPv4 header';
  const c = new Cursor(buf, offset, end);
  if (c.remaining < (v6 ? 40 : 20) || c.peekU8(what) >> 4 !== (v6 ? 6 : 4)) return undefined;
  c.skip(v6 ? 8 : 12, what);
  const read = v6 ? readIpv6 : readIpv4;
  return { family: v6 ? 6 : 4, src: read(c, what), dst: read(c, what), proto: 'other' };
}

/**
 * The packet quoted in an ICMP error body at `offset`, as far as it was quoted; undefined when even its IP
 * header is missing or malformed (the error itself is still reported).
 */
function decodeQuoted(buf: Uint8Array, offset: number, end: number, v6: boolean): QuotedPacket | undefined {
  try {
    if (!v6) {
      const h = decodeIpv4(buf, offset, end, true);
      const q: QuotedPacket = { family: 4, src: h.src, dst: h.dst, proto: protoName(4, h.protocol) };
      return withPorts(q, buf, h.payloadOffset, end, h.fragmentOffset);
    }
    const h = decodeIpv6(buf, offset, end, true);
    const q: QuotedPacket = { family: 6, src: h.src, dst: h.dst, proto: protoName(6, h.protocol) };
    return withPorts(q, buf, h.payloadOffset, end, h.fragmentOffset);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    // A header whose options or extension headers were not quoted in full: the addresses are still there.
    return quotedAddresses(buf, offset, end, v6);
  }
}

/** Decode the ICMP (v6: ICMPv6) message at `offset`; `end` is the end of the captured message. */
export function decodeIcmp(buf: Uint8Array, offset: number, end: number, v6: boolean): IcmpInfo {
  const what = v6 ? 'ICMPv6 header' : 'ICMP header';
  const c = Cursor.header(buf, offset, end, 4, what);
  const type = c.peekU8(what);
  const echo = v6 ? type === 128 || type === 129 : type === 8 || type === 0;
  const quotes = !echo && (v6 ? v6QuotesPacket(type) : v4QuotesPacket(type));
  // Echo messages and errors have 4 more bytes (identifier and sequence, or unused) before their body.
  if (echo) c.need(8, `${v6 ? 'ICMPv6' : 'ICMP'} echo header`);
  else if (quotes) c.need(8, what);
  const code = (c.u32(what) >>> 16) & 0xff; // type, code, checksum
  const info: IcmpInfo = { v6, type, code };
  if (echo) {
    const row1 = c.u32(what); // identifier, sequence number
    info.echo = { id: row1 >>> 16, seq: row1 & 0xffff };
  } else if (quotes) {
    c.skip(4, what); // unused (or MTU, pointer)
    const quoted = decodeQuoted(buf, c.offset, end, v6);
    if (quoted) info.quoted = quoted;
  }
  return info;
}
