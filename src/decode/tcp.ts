/** TCP header (RFC 9293): ports, sequence numbers, flags, data offset. Options are skipped. */
import { Cursor, malformed } from './cursor.js';
import type { TcpInfo } from './types.js';

export interface TcpSegment {
  info: TcpInfo;
  /** Offset of the payload in the frame (may equal `end`: nothing captured). */
  payloadOffset: number;
}

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

/**
 * Decode the TCP header at `offset`. `end`: end of the captured segment; `wireLength`: the segment's length
 * on the wire (from the IP header), which gives the payload length even when the capture cut it.
 * Only the fixed 20 bytes must be captured: options cut by the snapshot length are not an error.
 */
export function decodeTcp(buf: Uint8Array, offset: number, end: number, wireLength: number): TcpSegment {
  const what = 'TCP header';
  const c = Cursor.header(buf, offset, end, 20, what);
  const srcPort = c.u16(what);
  const dstPort = c.u16(what);
  const seq = c.u32(what);
  const ack = c.u32(what);
  const dataOffset = (c.u8(what) >> 4) * 4;
  if (dataOffset < 20) malformed(`TCP data offset ${dataOffset} below 20`, offset + 12);
  if (dataOffset > wireLength) malformed(`TCP data offset ${dataOffset} beyond the segment (${wireLength} bytes)`, offset + 12);
  const flags = c.u8(what);
  return {
    info: {
      srcPort,
      dstPort,
      seq,
      ack,
      syn: (flags & SYN) !== 0,
      ackFlag: (flags & ACK) !== 0,
      rst: (flags & RST) !== 0,
      fin: (flags & FIN) !== 0,
      payloadLength: wireLength - dataOffset,
    },
    payloadOffset: Math.min(offset + dataOffset, end),
  };
}
