/** UDP header (RFC 768): ports and length. */
import { Cursor, malformed } from './cursor.js';
import type { UdpInfo } from './types.js';

export interface UdpDatagram {
  info: UdpInfo;
  /** Offset of the payload in the frame. */
  payloadOffset: number;
  /** End of the captured payload (the UDP length, or less when the capture cut it). */
  payloadEnd: number;
}

/**
 * Decode the UDP header at `offset`. `end`: end of the captured datagram; `wireLength`: its length on the
 * wire from the IP header (the UDP length may not exceed it; 0 means "take the IP length", as in jumbograms).
 * `firstFragment`: the IP packet is the first fragment of a larger datagram, whose UDP length covers all the
 * fragments; the payload length is then the datagram's, and only the part in this fragment can be read.
 */
export function decodeUdp(buf: Uint8Array, offset: number, end: number, wireLength: number, firstFragment = false): UdpDatagram {
  const what = 'UDP header';
  const c = Cursor.header(buf, offset, end, 8, what);
  const srcPort = c.u16(what);
  const dstPort = c.u16(what);
  let length = c.u16(what);
  if (length === 0) length = wireLength;
  if (length < 8) malformed(`UDP length ${length} below 8`, offset + 4);
  if (length > wireLength && !firstFragment) malformed(`UDP length ${length} beyond the IP payload (${wireLength} bytes)`, offset + 4);
  c.skip(2, what); // checksum
  return {
    info: { srcPort, dstPort, payloadLength: length - 8 },
    payloadOffset: c.offset,
    payloadEnd: Math.min(offset + length, offset + wireLength, end),
  };
}
