/** TCP header (RFC 9293): ports, sequence numbers, flags, data offset. Options are skipped. */
import { malformed, need, u16At, u32At } from './cursor.js';
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
  need(end, offset, 20, 'TCP header');
  const dataOffset = ((buf[offset + 12] as number) >> 4) * 4;
  if (dataOffset < 20) malformed(`TCP data offset ${dataOffset} below 20`, offset + 12);
  if (dataOffset > wireLength) malformed(`TCP data offset ${dataOffset} beyond the segment (${wireLength} bytes)`, offset + 12);
  const flags = buf[offset + 13] as number;
  return {
    info: {
      srcPort: u16At(buf, offset),
      dstPort: u16At(buf, offset + 2),
      seq: u32At(buf, offset + 4),
      ack: u32At(buf, offset + 8),
      syn: (flags & SYN) !== 0,
      ackFlag: (flags & ACK) !== 0,
      rst: (flags & RST) !== 0,
      fin: (flags & FIN) !== 0,
      payloadLength: wireLength - dataOffset,
    },
    payloadOffset: Math.min(offset + dataOffset, end),
  };
}
