/**
 * IPv4 header (RFC 791): version, header length with options, total length, fragments, protocol, addresses.
 */
import { readIpv4 } from './addr.js';
import { Cursor, malformed } from './cursor.js';

export interface Ipv4Header {
  src: string;
  dst: string;
  /** IP protocol number of the payload. */
  protocol: number;
  /** Header length in bytes (IHL * 4, options included). */
  headerLength: number;
  /** Fragment offset in bytes; only the fragment at offset 0 holds the transport header. */
  fragmentOffset: number;
  moreFragments: boolean;
  /** Offset of the payload (transport header) in the frame. */
  payloadOffset: number;
  /** End of the captured payload: the total length, or less when the capture cut the packet. */
  payloadEnd: number;
  /** Payload length on the wire (total length minus header), whatever the capture kept. */
  payloadLength: number;
  /** True when the capture holds less than the total length says (snapshot length). */
  cut: boolean;
}

/**
 * Decode the IPv4 header at `offset`; `end` is the end of the captured bytes of this packet.
 * `quoted`: the header is the one quoted inside an ICMP error, whose total length describes the original
 * packet, not what was quoted, so it is not checked against the bytes present.
 */
export function decodeIpv4(buf: Uint8Array, offset: number, end: number, quoted = false): Ipv4Header {
  const what = quoted ? 'quoted IPv4 header' : 'IPv4 header';
  const c = Cursor.header(buf, offset, end, 20, what);
  const b0 = c.peekU8(what);
  const version = b0 >> 4;
  if (version !== 4) malformed(`${what} with version ${version}`, offset);
  const headerLength = (b0 & 0x0f) * 4;
  if (headerLength < 20) malformed(`${what} length ${headerLength} below 20`, offset);
  c.need(headerLength, what);
  // The fixed header in its 32-bit rows (RFC 791 3.1), then the addresses.
  const row0 = c.u32(what); // version, IHL, type of service, total length
  const row1 = c.u32(what); // identification, flags, fragment offset
  const row2 = c.u32(what); // time to live, protocol, checksum
  let totalLength = row0 & 0xffff;
  // 0: a segmentation-offload super-packet captured before it was split; take what was captured.
  if (totalLength === 0 || quoted) totalLength = end - offset;
  if (totalLength < headerLength) malformed(`IPv4 total length ${totalLength} below header length ${headerLength}`, offset);
  const frag = row1 & 0xffff;
  const protocol = (row2 >>> 16) & 0xff;
  const src = readIpv4(c, what);
  const dst = readIpv4(c, what);
  c.skip(headerLength - 20, what); // options
  const payloadOffset = c.offset;
  const wireEnd = offset + totalLength;
  return {
    src,
    dst,
    protocol,
    headerLength,
    fragmentOffset: (frag & 0x1fff) * 8,
    moreFragments: (frag & 0x2000) !== 0,
    payloadOffset,
    payloadEnd: Math.min(wireEnd, end),
    payloadLength: totalLength - headerLength,
    cut: wireEnd > end,
  };
}
