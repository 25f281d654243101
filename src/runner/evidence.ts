/**
 * From raw captures to attempts: read each pcap, cut it at the end-of-capture sentinel, decode, analyze.
 * Pure apart from the optional writing of --pcap files, which the caller does.
 */
import { readPcapBuffer } from '../capture/pcap.js';
import type { CaptureResult } from '../capture/tcpdump.js';
import { decodeFrames } from '../decode/index.js';
import type { DecodedPacket, RawFrame } from '../decode/types.js';
import { analyze } from '../analyze/index.js';
import type { TestSpan } from '../analyze/tests.js';
import type { Attempt, CaptureStats, Phase } from '../model/types.js';

export interface Evidence {
  readonly packets: DecodedPacket[];
  readonly attempts: Attempt[];
  readonly stats: CaptureStats;
  /** Capture points where the end marker never arrived. */
  readonly incomplete: string[];
}

/** Frames before the first one holding the sentinel: what the build produced. */
export function framesBeforeSentinel(frames: readonly RawFrame[], sentinel: Buffer): RawFrame[] {
  const out: RawFrame[] = [];
  for (const f of frames) {
    if (Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength).includes(sentinel)) break;
    out.push(f);
  }
  return out;
}

export async function evidenceFrom(
  captures: readonly CaptureResult[],
  context: { sentinel: Buffer; nftLogged?: number; buildStartMs: number; phases?: readonly Phase[]; tests?: readonly TestSpan[] },
): Promise<Evidence> {
  const packets: DecodedPacket[] = [];
  let total = 0;
  let dropped = 0;
  let undecodable = 0;
  const incomplete: string[] = [];
  for (const c of captures) {
    const pcap = await readPcapBuffer(c.pcap);
    const frames = framesBeforeSentinel(pcap.frames, context.sentinel);
    if (c.incomplete || pcap.incomplete) incomplete.push(c.source);
    const decoded = decodeFrames(pcap.linkType, frames, c.source);
    packets.push(...decoded.packets);
    total += frames.length;
    undecodable += decoded.undecodable;
    dropped += c.droppedByKernel;
    if (c.source === 'nflog' && context.nftLogged !== undefined && context.nftLogged > frames.length) {
      // nftables dropped more sends than NFLOG delivered to tcpdump: the difference was lost on the way.
      dropped += context.nftLogged - frames.length;
    }
  }
  packets.sort((a, b) => a.tsMs - b.tsMs);
  const attempts = analyze(packets, { buildStartMs: context.buildStartMs, phases: context.phases, tests: context.tests });
  return { packets, attempts, stats: { packets: total, dropped, undecodable }, incomplete };
}
