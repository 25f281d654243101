/**
 * One NFLOG capture, several capture points: the packets sandbox logs its lo, veth and dropped-send packets
 * to three NFLOG groups of the build namespace (bpf/build.nft) and one tcpdump reads all three
 * (`-i nflog:8,9,7`). Each record of its pcap (link type NFLOG) names its group, the "resource ID" of the
 * NFLOG header (network byte order, right after the address family and version bytes); this splits the one
 * file into a file per group, each with the same file header, so that every capture point is read as it
 * would be from a capture of its own. Records keep their order within a group.
 */

import { checkHeader } from '../decode/pcap.js';
import { LINKTYPE } from '../decode/types.js';

export interface NflogSplit {
  /** A pcap per group asked for (an empty one, header only, for a group without records). */
  readonly byGroup: ReadonlyMap<number, Buffer>;
  /** The records of each group asked for. */
  readonly records: ReadonlyMap<number, number>;
  /** Records of no group asked for (should be none). */
  readonly other: number;
  /** The file ended inside a record (that record is left out): the capture was cut short. */
  readonly truncated: boolean;
}

/**
 * Split an NFLOG pcap into a pcap per group of `groups`. An empty capture (tcpdump wrote nothing) gives each
 * group the empty file; anything else that is not an NFLOG pcap throws (E_BAD_PCAP, or naming its link type).
 */
export function splitNflogPcap(pcap: Buffer, groups: readonly number[]): NflogSplit {
  if (pcap.length === 0) return { byGroup: new Map(groups.map((g) => [g, pcap])), records: new Map(groups.map((g) => [g, 0])), other: 0, truncated: false };
  const { littleEndian } = checkHeader(pcap, 'the NFLOG capture');
  const u32 = (at: number): number => (littleEndian ? pcap.readUInt32LE(at) : pcap.readUInt32BE(at));
  const linkType = u32(20) & 0x0fffffff;
  if (linkType !== LINKTYPE.NFLOG) throw new Error(`not an NFLOG capture (link type ${linkType})`);
  const parts = new Map<number, Buffer[]>(groups.map((g) => [g, [pcap.subarray(0, 24)]]));
  let other = 0;
  let at = 24;
  while (at + 16 <= pcap.length) {
    const end = at + 16 + u32(at + 8);
    if (end > pcap.length) break;
    // The NFLOG header: family (1 byte), version (1 byte), resource ID (2 bytes, network order).
    const group = end - at >= 16 + 4 ? pcap.readUInt16BE(at + 16 + 2) : -1;
    const part = parts.get(group);
    if (part) part.push(pcap.subarray(at, end));
    else other++;
    at = end;
  }
  return {
    byGroup: new Map([...parts].map(([g, bufs]) => [g, Buffer.concat(bufs)])),
    records: new Map([...parts].map(([g, bufs]) => [g, bufs.length - 1])),
    other,
    truncated: at !== pcap.length,
  };
}
