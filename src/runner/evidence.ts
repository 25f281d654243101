/**
 * From raw captures to attempts: read each pcap, cut it at the end-of-capture sentinel, decode, analyze.
 * Pure apart from the optional writing of --pcap files, which the caller does.
 */
import { readPcapBuffer } from '../capture/pcap.js';
import type { CaptureResult } from '../capture/tcpdump.js';
import { decodeFrames } from '../decode/index.js';
import type { DecodedPacket, RawFrame } from '../decode/types.js';
import { analyze, analyzeSyscalls, compareAttempts } from '../analyze/index.js';
import { PhaseClock } from '../analyze/phase.js';
import type { TestSpan } from '../model/evidence.js';
import type { Attempt, CaptureStats, Phase } from '../model/types.js';
import { attribute, unixAttempts } from '../analyze/attribute.js';
import type { SyscallEvent } from '../model/events.js';

/** What the syscall observer saw of one build (src/observe collect()). */
export interface Observed {
  readonly events: readonly SyscallEvent[];
  /** The build namespace's inode: events of other namespaces are not this build's. */
  readonly netns: number;
  /** Epoch ms when the build ended: netaudit's own end marker and later calls are not the build's. */
  readonly buildEndMs: number;
}

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
  context: { sentinel: Buffer; nftLogged?: number; buildStartMs: number; phases?: readonly Phase[]; tests?: readonly TestSpan[]; observed?: Observed },
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
  const ctx = { buildStartMs: context.buildStartMs, phases: context.phases, tests: context.tests };
  const fromPackets = analyze(packets, ctx);
  const attempts = context.observed ? withSyscalls(fromPackets, packets, ctx, context.observed) : fromPackets;
  return { packets, attempts, stats: { packets: total, dropped, undecodable }, incomplete };
}

/**
 * The observer's part: who made each attempt (process), the tries that never became a packet (connects
 * and sends the kernel refused: no route, seenOn `syscall`), and connects to abstract AF_UNIX addresses.
 * attempt.test is then refined by the caller (attributeTests: with the process known, only its tests count).
 */
export function withSyscalls(
  attempts: readonly Attempt[],
  packets: readonly DecodedPacket[],
  ctx: { buildStartMs: number; phases?: readonly Phase[]; tests?: readonly TestSpan[] },
  observed: Observed,
): Attempt[] {
  const options = { buildStartMs: ctx.buildStartMs, netns: observed.netns, buildEndMs: observed.buildEndMs };
  const attributed = attribute(attempts, observed.events, options);
  const syscallOnly = attribute(analyzeSyscalls(attributed.unmatched, packets, ctx), attributed.unmatched, options).attempts;
  const clock = new PhaseClock(ctx.phases, ctx.buildStartMs);
  const unix = unixAttempts(observed.events, options).map((a) => {
    const phase = clock.at(ctx.buildStartMs + a.firstAtMs);
    return phase ? { ...a, phase } : a;
  });
  return [...attributed.attempts, ...syscallOnly, ...unix].sort(compareAttempts);
}

/** What the judges need to know of the evidence's completeness (verdict/findings.ts BuildEnd.capture). */
export function captureEnd(evidence: Evidence, observed?: { readonly lost: number; readonly complete: boolean }) {
  return {
    dropped: evidence.stats.dropped,
    undecodable: evidence.stats.undecodable ?? 0,
    incomplete: evidence.incomplete,
    ...(observed ? { tracerLost: observed.lost, tracerIncomplete: !observed.complete } : {}),
  };
}
