/**
 * Link layers: find the IP packet inside a captured frame.
 *
 * Ethernet (with 802.1Q / 802.1ad tags), Linux cooked v1 (SLL) and v2 (SLL2), raw IP, BSD/Linux loopback
 * (NULL, LOOP) and NFLOG, the format of tcpdump -i nflog:N. Anything that is not IPv4/IPv6 is noise: ARP, or
 * 'other-link' for every other ethertype. Truncated or malformed headers throw a DecodeError.
 */
import type { Family } from '../model/types.js';
import { LINKTYPE, type NoiseKind } from './types.js';
import { Cursor, DecodeError, malformed } from './cursor.js';

/** Where the network-layer packet sits in the frame, or why there is none. */
export type LinkPayload =
  | {
      kind: 'ip';
      /** From the link header (ethertype, SLL protocol, NFLOG family) or, when it has none, the IP version. */
      family: Family;
      /** Offset of the IP header in the frame. */
      offset: number;
      /** End of the bytes that belong to the IP packet (NFLOG: end of the payload TLV). */
      end: number;
    }
  | { kind: 'noise'; noise: NoiseKind };

/** Link types decodeLink understands. LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229) are raw IP as well. */
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_RARP = 0x8035;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;
const ETHERTYPE_IPV6 = 0x86dd;

/** NFULA_PAYLOAD: the TLV that holds the logged packet. */
const NFULA_PAYLOAD = 9;
/** NLA_F_NESTED and NLA_F_NET_BYTEORDER share the TLV type field. */
const NLA_TYPE_MASK = 0x3fff;

function ip(family: Family, offset: number, end: number): LinkPayload {
  return { kind: 'ip', family, offset, end };
}

const ARP: LinkPayload = { kind: 'noise', noise: 'arp' };
const OTHER_LINK: LinkPayload = { kind: 'noise', noise: 'other-link' };

/** The same 16-bit (32-bit) field in the other byte order: for fields in the capturing host's order. */
function swap16(x: number): number {
  return ((x & 0xff) << 8) | (x >> 8);
}

function swap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/** Classify an ethertype (also the protocol field of SLL/SLL2) whose payload starts at the cursor. */
function byEthertype(type: number, c: Cursor): LinkPayload {
  switch (type) {
    case ETHERTYPE_IPV4:
      return ip(4, c.offset, c.end);
    case ETHERTYPE_IPV6:
      return ip(6, c.offset, c.end);
    case ETHERTYPE_ARP:
    case ETHERTYPE_RARP:
      return ARP;
    default:
      return OTHER_LINK;
  }
}

/** IP version from the first nibble, for link types that carry no protocol field. */
function byVersion(c: Cursor): LinkPayload {
  const version = c.peekU8('IP header') >> 4;
  if (version === 4) return ip(4, c.offset, c.end);
  if (version === 6) return ip(6, c.offset, c.end);
  return malformed(`IP version ${version} is neither 4 nor 6`, c.offset);
}

function ethernet(c: Cursor): LinkPayload {
  const what = 'Ethernet header';
  c.need(14, what);
  c.skip(12, what); // destination and source MAC
  let type = c.u16(what);
  // Up to two VLAN tags (802.1Q, 802.1ad Q-in-Q): 2 bytes TCI, then the next ethertype.
  for (let tags = 0; tags < 2 && (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD); tags++) {
    c.need(4, 'VLAN tag');
    c.skip(2, 'VLAN tag');
    type = c.u16('VLAN tag');
  }
  return byEthertype(type, c);
}

/** Linux cooked capture v1: type, ARPHRD, address length, 8 address bytes, protocol. */
function sll(c: Cursor): LinkPayload {
  const what = 'Linux cooked (SLL) header';
  c.need(16, what);
  c.skip(14, what);
  return byEthertype(c.u16(what), c);
}

/** Linux cooked capture v2: protocol, reserved, ifindex, ARPHRD, packet type, address length, 8 address bytes. */
function sll2(c: Cursor): LinkPayload {
  const what = 'Linux cooked (SLL2) header';
  c.need(20, what);
  const type = c.u16(what);
  c.skip(18, what);
  return byEthertype(type, c);
}

/** BSD loopback: a 4-byte address family, in the capturing host's byte order (NULL) or network order (LOOP). */
function loopback(c: Cursor, hostOrder: boolean): LinkPayload {
  const raw = c.u32('loopback header');
  let family = hostOrder ? swap32(raw) : raw;
  // Written on a big-endian host: the family lands in the high bytes when read as little-endian.
  if (hostOrder && family > 0xffff) family = raw;
  switch (family) {
    case 2: // AF_INET everywhere
      return ip(4, c.offset, c.end);
    case 10: // AF_INET6 on Linux
    case 24: // NetBSD, OpenBSD
    case 28: // FreeBSD
    case 30: // macOS
      return ip(6, c.offset, c.end);
    default:
      return OTHER_LINK;
  }
}

/**
 * NFLOG: {family u8, version u8, resource_id u16 BE}, then TLVs {length u16, type u16} in the capturing host's
 * byte order (little-endian on x86), each padded to 4 bytes; the length counts the 4-byte TLV header.
 * The byte order is read from the first TLV: its type is small (NFULA_* < 32), so a swapped read shows.
 */
function nflog(c: Cursor): LinkPayload {
  const what = 'NFLOG header';
  c.need(4, what);
  const family = c.u8(what);
  const version = c.u8(what);
  if (version !== 0) malformed(`unsupported NFLOG version ${version}`, 1);
  c.skip(2, what); // resource id
  let le: boolean | undefined;
  while (c.remaining > 0) {
    const at = c.offset;
    c.need(4, 'NFLOG TLV header');
    let length = c.u16('NFLOG TLV header');
    let type = c.u16('NFLOG TLV header');
    le ??= !((swap16(type) & NLA_TYPE_MASK) > 0xff && (type & NLA_TYPE_MASK) <= 0xff);
    if (le) {
      length = swap16(length);
      type = swap16(type);
    }
    if (length < 4) malformed(`bad NFLOG TLV length ${length}`, at);
    if ((type & NLA_TYPE_MASK) === NFULA_PAYLOAD) {
      // The payload may have been cut by the snapshot length: take what was captured.
      const start = c.offset;
      const stop = Math.min(at + length, c.end);
      if (family === 2) return ip(4, start, stop);
      if (family === 10) return ip(6, start, stop);
      return byVersion(new Cursor(c.buf, start, stop));
    }
    // On to the next TLV, unchecked: a length beyond the capture ends the walk (no payload TLV).
    c.offset = at + ((length + 3) & ~3);
  }
  throw new DecodeError(`NFLOG record without a payload TLV at offset ${c.offset}`, c.offset);
}

/** Find the network-layer packet in `buf`, a frame of pcap link type `linkType`. */
export function decodeLink(linkType: number, buf: Uint8Array): LinkPayload {
  const c = new Cursor(buf);
  switch (linkType) {
    case LINKTYPE.ETHERNET:
      return ethernet(c);
    case LINKTYPE.LINUX_SLL:
      return sll(c);
    case LINKTYPE.LINUX_SLL2:
      return sll2(c);
    case LINKTYPE.RAW:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      return byVersion(c);
    case LINKTYPE.NULL:
      return loopback(c, true);
    case LINKTYPE_LOOP:
      return loopback(c, false);
    case LINKTYPE.NFLOG:
      return nflog(c);
    default:
      throw new DecodeError(`unsupported link type ${linkType}`, 0);
  }
}
