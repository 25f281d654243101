/**
 * One NFLOG capture, several capture points: the packets sandbox logs its lo, veth and dropped-send packets
 * to three NFLOG groups of the build namespace (bpf/build.nft) and one tcpdump reads all three
 * (`-i nflog:8,9,7`). Each record of its pcap (link type NFLOG) names its group, the "resource ID" of the
 * NFLOG header (network byte order, right after the address family and version bytes); this splits the one
 * file into a file per group, each with the same file header, so that every capture point is read as it
 * would be from a capture of its own. Records keep their order within a group.
 */

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

/** The byte order and layout of a pcap file header, or undefined when `pcap` does not start with one. */
function fileHeader(pcap: Buffer): { readonly le: boolean; readonly linkType: number } | undefined {
  if (pcap.length < 24) return undefined;
  const magicLE = pcap.readUInt32LE(0);
  const le = magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d;
  const magicBE = pcap.readUInt32BE(0);
  if (!le && magicBE !== 0xa1b2c3d4 && magicBE !== 0xa1b23c4d) return undefined;
  return { le, linkType: (le ? pcap.readUInt32LE(20) : pcap.readUInt32BE(20)) & 0x0fffffff };
}

/**
 * Split an NFLOG pcap into a pcap per group of `groups`. A file that is not an NFLOG pcap (or too short to
 * hold a header) gives each group the file as it is when it is empty, and throws otherwise: it cannot be split.
 */
export function splitNflogPcap(pcap: Buffer, groups: readonly number[]): NflogSplit {
  const header = fileHeader(pcap);
  if (!header) {
    if (pcap.length === 0) return { byGroup: new Map(groups.map((g) => [g, pcap])), records: new Map(groups.map((g) => [g, 0])), other: 0, truncated: false };
    throw new Error(`not a pcap file (${pcap.length} bytes)`);
  }
  if (header.linkType !== LINKTYPE.NFLOG) throw new Error(`not an NFLOG capture (link type ${header.linkType})`);
  const parts = new Map<number, Buffer[]>(groups.map((g) => [g, [pcap.subarray(0, 24)]]));
  const u32 = (at: number): number => (header.le ? pcap.readUInt32LE(at) : pcap.readUInt32BE(at));
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
