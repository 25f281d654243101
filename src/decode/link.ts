/**
 * Link layers: find the IP packet inside a captured frame.
 *
 * Ethernet (with 802.1Q / 802.1ad tags), Linux cooked v1 (SLL) and v2 (SLL2), raw IP, BSD/Linux loopback
 * (NULL, LOOP) and NFLOG, the format of tcpdump -i nflog:N. Anything that is not IPv4/IPv6 is noise: ARP, or
 * 'other-link' for every other ethertype. Truncated or malformed headers throw a DecodeError.
 */
import type { Family } from '../model/types.js';
import { LINKTYPE, type NoiseKind } from './types.js';
import { DecodeError, malformed, need, u16At, u16LeAt, u32At, u32LeAt } from './cursor.js';

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

/** Classify an ethertype (also the protocol field of SLL/SLL2) whose payload starts at `offset`. */
function byEthertype(type: number, offset: number, end: number): LinkPayload {
  switch (type) {
    case ETHERTYPE_IPV4:
      return ip(4, offset, end);
    case ETHERTYPE_IPV6:
      return ip(6, offset, end);
    case ETHERTYPE_ARP:
    case ETHERTYPE_RARP:
      return ARP;
    default:
      return OTHER_LINK;
  }
}

/** IP version from the first nibble, for link types that carry no protocol field. */
function byVersion(buf: Uint8Array, offset: number, end: number): LinkPayload {
  need(end, offset, 1, 'IP header');
  const version = (buf[offset] as number) >> 4;
  if (version === 4) return ip(4, offset, end);
  if (version === 6) return ip(6, offset, end);
  return malformed(`IP version ${version} is neither 4 nor 6`, offset);
}

function ethernet(buf: Uint8Array): LinkPayload {
  const end = buf.length;
  need(end, 0, 14, 'Ethernet header');
  let at = 12;
  let type = u16At(buf, at);
  // Up to two VLAN tags (802.1Q, 802.1ad Q-in-Q): 2 bytes TCI, then the next ethertype.
  for (let tags = 0; tags < 2 && (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD); tags++) {
    need(end, at + 2, 4, 'VLAN tag');
    at += 4;
    type = u16At(buf, at);
  }
  return byEthertype(type, at + 2, end);
}

/** Linux cooked capture v1: type, ARPHRD, address length, 8 address bytes, protocol. */
function sll(buf: Uint8Array): LinkPayload {
  need(buf.length, 0, 16, 'Linux cooked (SLL) header');
  return byEthertype(u16At(buf, 14), 16, buf.length);
}

/** Linux cooked capture v2: protocol, reserved, ifindex, ARPHRD, packet type, address length, 8 address bytes. */
function sll2(buf: Uint8Array): LinkPayload {
  need(buf.length, 0, 20, 'Linux cooked (SLL2) header');
  return byEthertype(u16At(buf, 0), 20, buf.length);
}

/** BSD loopback: a 4-byte address family, in the capturing host's byte order (NULL) or network order (LOOP). */
function loopback(buf: Uint8Array, hostOrder: boolean): LinkPayload {
  need(buf.length, 0, 4, 'loopback header');
  let family = hostOrder ? u32LeAt(buf, 0) : u32At(buf, 0);
  // Written on a big-endian host: the family lands in the high bytes when read as little-endian.
  if (hostOrder && family > 0xffff) family = u32At(buf, 0);
  switch (family) {
    case 2: // AF_INET everywhere
      return ip(4, 4, buf.length);
    case 10: // AF_INET6 on Linux
    case 24: // NetBSD, OpenBSD
    case 28: // FreeBSD
    case 30: // macOS
      return ip(6, 4, buf.length);
    default:
      return OTHER_LINK;
  }
}

/**
 * NFLOG: {family u8, version u8, resource_id u16 BE}, then TLVs {length u16, type u16} in the capturing host's
 * byte order (little-endian on x86), each padded to 4 bytes; the length counts the 4-byte TLV header.
 * The byte order is read from the first TLV: its type is small (NFULA_* < 32), so a swapped read shows.
 */
function nflog(buf: Uint8Array): LinkPayload {
  const end = buf.length;
  need(end, 0, 4, 'NFLOG header');
  const family = buf[0] as number;
  const version = buf[1] as number;
  if (version !== 0) malformed(`unsupported NFLOG version ${version}`, 1);
  let le = true;
  if (end >= 8) {
    const leType = u16LeAt(buf, 6) & NLA_TYPE_MASK;
    const beType = u16At(buf, 6) & NLA_TYPE_MASK;
    if (leType > 0xff && beType <= 0xff) le = false;
  }
  let at = 4;
  while (at < end) {
    need(end, at, 4, 'NFLOG TLV header');
    const length = le ? u16LeAt(buf, at) : u16At(buf, at);
    const type = (le ? u16LeAt(buf, at + 2) : u16At(buf, at + 2)) & NLA_TYPE_MASK;
    if (length < 4) malformed(`bad NFLOG TLV length ${length}`, at);
    if (type === NFULA_PAYLOAD) {
      // The payload may have been cut by the snapshot length: take what was captured.
      const start = at + 4;
      const stop = Math.min(at + length, end);
      if (family === 2) return ip(4, start, stop);
      if (family === 10) return ip(6, start, stop);
      return byVersion(buf, start, stop);
    }
    at += (length + 3) & ~3;
  }
  throw new DecodeError(`NFLOG record without a payload TLV at offset ${at}`, at);
}

/** Find the network-layer packet in `buf`, a frame of pcap link type `linkType`. */
export function decodeLink(linkType: number, buf: Uint8Array): LinkPayload {
  switch (linkType) {
    case LINKTYPE.ETHERNET:
      return ethernet(buf);
    case LINKTYPE.LINUX_SLL:
      return sll(buf);
    case LINKTYPE.LINUX_SLL2:
      return sll2(buf);
    case LINKTYPE.RAW:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      return byVersion(buf, 0, buf.length);
    case LINKTYPE.NULL:
      return loopback(buf, true);
    case LINKTYPE_LOOP:
      return loopback(buf, false);
    case LINKTYPE.NFLOG:
      return nflog(buf);
    default:
      throw new DecodeError(`unsupported link type ${linkType}`, 0);
  }
}
