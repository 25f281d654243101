/**
 * IPv6 header (RFC 8200) and the extension header chain: hop-by-hop (0), routing (43), fragment (44),
 * destination options (60), authentication header (51, RFC 4302), and the other (len+1)*8-sized ones
 * (mobility 135, HIP 139, shim6 140). 59 is "no next header". ESP (50) cannot be walked: it ends the chain.
 */
import { readIpv6 } from './addr.js';
import { Cursor, malformed } from './cursor.js';

export interface Ipv6Header {
  src: string;
  dst: string;
  /** Next header after the extension headers: the transport protocol (59: none). */
  protocol: number;
  /** Fragment offset in bytes (0 when unfragmented); only offset 0 holds the transport header. */
  fragmentOffset: number;
  moreFragments: boolean;
  /** Offset of the transport header in the frame (after the extension headers). */
  payloadOffset: number;
  /** End of the captured packet: payload length, or less when the capture cut the packet. */
  payloadEnd: number;
  /** Transport payload length on the wire (payload length minus extension headers). */
  payloadLength: number;
  /** True when the capture holds less than the payload length says. */
  cut: boolean;
}

export const NH_HOP_BY_HOP = 0;
export const NH_ROUTING = 43;
export const NH_FRAGMENT = 44;
export const NH_AH = 51;
export const NH_NONE = 59;
export const NH_DEST_OPTS = 60;
const NH_MOBILITY = 135;
const NH_HIP = 139;
const NH_SHIM6 = 140;

/**
 * Decode the IPv6 header at `offset` and walk its extension headers; `end` is the end of the captured bytes.
 * `quoted`: the header quoted in an ICMPv6 error, whose payload length describes the original packet.
 */
export function decodeIpv6(buf: Uint8Array, offset: number, end: number, quoted = false): Ipv6Header {
  const what = quoted ? 'quoted IPv6 header' : 'IPv6 header';
  const h = Cursor.header(buf, offset, end, 40, what);
  // The fixed header's first two 32-bit rows (RFC 8200 3), then the addresses.
  const row0 = h.u32(what); // version, traffic class, flow label
  const row1 = h.u32(what); // payload length, next header, hop limit
  const version = row0 >>> 28;
  if (version !== 6) malformed(`${what} with version ${version}`, offset);
  let payloadLength = row1 >>> 16;
  let nh = (row1 >>> 8) & 0xff;
  const src = readIpv6(h, what);
  const dst = readIpv6(h, what);
  // 0: a jumbogram or an offload super-packet; quoted: the quote is shorter than the original.
  if (payloadLength === 0 || quoted) payloadLength = end - offset - 40;
  const wireEnd = offset + 40 + payloadLength;
  const stop = Math.min(wireEnd, end);

  let fragmentOffset = 0;
  let moreFragments = false;
  // The chain is variable-length: walk it with a cursor bounded by the captured packet. Each header takes
  // at least 8 bytes, so the walk ends within the packet.
  const c = new Cursor(buf, h.offset, stop);
  walk: while (true) {
    switch (nh) {
      case NH_HOP_BY_HOP:
      case NH_ROUTING:
      case NH_DEST_OPTS:
      case NH_MOBILITY:
      case NH_HIP:
      case NH_SHIM6: {
        c.need(8, 'IPv6 extension header');
        const next = c.u8('IPv6 extension header');
        c.skip((c.u8('IPv6 extension header') + 1) * 8 - 2, 'IPv6 extension header');
        nh = next;
        break;
      }
      case NH_FRAGMENT: {
        c.need(8, 'IPv6 fragment header');
        nh = c.u8('IPv6 fragment header');
        c.skip(1, 'IPv6 fragment header');
        const fo = c.u16('IPv6 fragment header');
        c.skip(4, 'IPv6 fragment header');
        fragmentOffset = fo & 0xfff8;
        moreFragments = (fo & 1) !== 0;
        // A later fragment carries the rest of the payload, not the next header.
        if (fragmentOffset !== 0) break walk;
        break;
      }
      case NH_AH: {
        c.need(8, 'IPv6 authentication header');
        const next = c.u8('IPv6 authentication header');
        c.skip((c.u8('IPv6 authentication header') + 2) * 4 - 2, 'IPv6 authentication header');
        nh = next;
        break;
      }
      default:
        break walk;
    }
  }
  const at = c.offset;
  return {
    src,
    dst,
    protocol: nh,
    fragmentOffset,
    moreFragments,
    payloadOffset: at,
    payloadEnd: stop,
    payloadLength: wireEnd - at,
    cut: wireEnd > end,
  };
}
