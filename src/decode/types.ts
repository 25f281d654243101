/** Output of the pure decoders: one record per captured frame. No I/O here. */
import type { DnsInfo } from '../model/events.js';
import type { CaptureSource, Family } from '../model/types.js';

export interface TcpInfo {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  syn: boolean;
  ackFlag: boolean;
  rst: boolean;
  fin: boolean;
  payloadLength: number;
}

export interface UdpInfo {
  srcPort: number;
  dstPort: number;
  payloadLength: number;
}

/** The header of the packet quoted inside an ICMP/ICMPv6 error (as much as was quoted). */
export interface QuotedPacket {
  family: Family;
  src: string;
  dst: string;
  /** 'tcp' | 'udp' | 'icmp' | 'icmp6' | 'other' */
  proto: IpProto;
  srcPort?: number;
  dstPort?: number;
}

export interface IcmpInfo {
  /** true for ICMPv6 */
  v6: boolean;
  type: number;
  code: number;
  /** Echo request/reply identifier and sequence. */
  echo?: { id: number; seq: number };
  /** For errors (unreachable, time exceeded, ...): the offending packet. */
  quoted?: QuotedPacket;
}

export type { DnsAnswer, DnsInfo, DnsQuestion } from '../model/events.js';

export type IpProto = 'tcp' | 'udp' | 'icmp' | 'icmp6' | 'other';

/** What a frame turned out to be when it is not an IP packet worth analysing. */
export type NoiseKind = 'arp' | 'ndp' | 'mld' | 'router-solicitation' | 'other-link' | 'other-ip';

export interface DecodedPacket {
  /** 0-based frame number within its capture file. */
  index: number;
  /** Capture timestamp, milliseconds since the epoch (fractional). */
  tsMs: number;
  source: CaptureSource;
  family: Family;
  src: string;
  dst: string;
  proto: IpProto;
  /** IP protocol number (IPv6: after extension headers). */
  protoNumber: number;
  tcp?: TcpInfo;
  udp?: UdpInfo;
  icmp?: IcmpInfo;
  /** Present when a UDP or TCP payload on port 53 decoded as DNS. */
  dns?: DnsInfo;
}

export type DecodeResult =
  | { kind: 'packet'; packet: DecodedPacket }
  | { kind: 'noise'; noise: NoiseKind }
  | { kind: 'undecodable'; reason: string };

/** A raw frame as read from a pcap file. */
export type { RawFrame } from '../model/evidence.js';

/** pcap link-layer types we read. */
export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LINUX_SLL: 113,
  NFLOG: 239,
  LINUX_SLL2: 276,
} as const;
