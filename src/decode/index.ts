/**
 * decodeFrame: one captured frame to a packet, noise, or an undecodable record, through the layers
 * link -> IPv4/IPv6 -> TCP/UDP/ICMP -> DNS. Pure and total: it never throws, whatever the bytes.
 */
import type { CaptureSource } from '../model/types.js';
import { DecodeError } from './cursor.js';
import { decodeDns, isDnsPort } from './dns.js';
import { decodeIcmp, icmpNoise, protoName } from './icmp.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6, NH_NONE } from './ipv6.js';
import { decodeLink } from './link.js';
import { decodeTcp } from './tcp.js';
import type { DecodedPacket, DecodeResult, NoiseKind, RawFrame } from './types.js';
import { decodeUdp } from './udp.js';

export { DecodeError } from './cursor.js';
export { formatIpv4, formatIpv6 } from './addr.js';

const IPPROTO_ICMP = 1;
const IPPROTO_IGMP = 2;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_ICMPV6 = 58;

function noise(kind: NoiseKind): DecodeResult {
  return { kind: 'noise', noise: kind };
}

function decode(linkType: number, frame: RawFrame, source: CaptureSource): DecodeResult {
  const buf = frame.data;
  const link = decodeLink(linkType, buf);
  if (link.kind === 'noise') return link;

  const ip = link.family === 4 ? decodeIpv4(buf, link.offset, link.end) : decodeIpv6(buf, link.offset, link.end);
  // A later fragment has no transport header: the flow is counted from the first one.
  if (ip.fragmentOffset !== 0) return noise('other-ip');
  const protocol = ip.protocol;
  if (link.family === 4 && protocol === IPPROTO_IGMP) return noise('other-ip');
  if (link.family === 6 && protocol === NH_NONE) return noise('other-ip');

  const packet: DecodedPacket = {
    index: frame.index,
    tsMs: frame.tsMs,
    source,
    family: link.family,
    src: ip.src,
    dst: ip.dst,
    proto: protoName(link.family, protocol),
    protoNumber: protocol,
  };
  const at = ip.payloadOffset;
  const end = ip.payloadEnd;
  switch (protocol) {
    case IPPROTO_TCP: {
      const seg = decodeTcp(buf, at, end, ip.payloadLength);
      packet.tcp = seg.info;
      if (seg.info.payloadLength > 0 && seg.payloadOffset < end && isDnsPort(seg.info.srcPort, seg.info.dstPort)) {
        const cut = ip.cut || end - seg.payloadOffset < seg.info.payloadLength;
        const dns = decodeDns(buf.subarray(seg.payloadOffset, end), true, cut);
        if (dns) packet.dns = dns;
      }
      break;
    }
    case IPPROTO_UDP: {
      const dg = decodeUdp(buf, at, end, ip.payloadLength, ip.moreFragments);
      packet.udp = dg.info;
      if (dg.info.payloadLength > 0 && isDnsPort(dg.info.srcPort, dg.info.dstPort)) {
        const cut = dg.payloadEnd - dg.payloadOffset < dg.info.payloadLength;
        const dns = decodeDns(buf.subarray(dg.payloadOffset, dg.payloadEnd), false, cut);
        if (dns) packet.dns = dns;
      }
      break;
    }
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6: {
      const v6 = protocol === IPPROTO_ICMPV6;
      if (v6 !== (link.family === 6)) break; // ICMPv4 inside IPv6 (or the reverse): proto 'other'
      const icmp = decodeIcmp(buf, at, end, v6);
      const chatter = icmpNoise(v6, icmp.type);
      if (chatter) return noise(chatter);
      packet.icmp = icmp;
      break;
    }
    default:
      break;
  }
  return { kind: 'packet', packet };
}

/**
 * Decode one frame of a capture with pcap link type `linkType`, taken at capture point `source`.
 * Never throws: truncated or malformed input gives {kind: 'undecodable', reason}.
 */
export function decodeFrame(linkType: number, frame: RawFrame, source: CaptureSource): DecodeResult {
  try {
    return decode(linkType, frame, source);
  } catch (e) {
    if (e instanceof DecodeError) return { kind: 'undecodable', reason: e.message };
    // A bug in a decoder must not take the audit down; say what happened.
    return { kind: 'undecodable', reason: `decoder error: ${e instanceof Error ? e.message : String(e)}` };
  }
}

export interface DecodedFrames {
  /** The IP packets worth analysing, in frame order. */
  packets: DecodedPacket[];
  /** Frames that could not be decoded (truncated or malformed); decodeFrame() says why, frame by frame. */
  undecodable: number;
}

/** Decode every frame of one capture; link chatter (ARP, NDP, MLD, ...) is left out. Never throws. */
export function decodeFrames(linkType: number, frames: readonly RawFrame[], source: CaptureSource): DecodedFrames {
  const packets: DecodedPacket[] = [];
  let undecodable = 0;
  for (const frame of frames) {
    const r = decodeFrame(linkType, frame, source);
    if (r.kind === 'packet') packets.push(r.packet);
    else if (r.kind === 'undecodable') undecodable++;
  }
  return { packets, undecodable };
}
