/**
 * analyze: decoded packets of one build -> the attempts it made (pure, no I/O).
 *
 * Each capture point is read in capture order (frame index) by its own flow table (flows.ts, udp.ts,
 * icmp.ts), which matches tries with their answers and keeps those that are attempts; fold.ts folds them
 * into attempts with scope, phase and hostname. O(n log n) in the number of packets.
 */
import type { DecodedPacket } from '../decode/types.js';
import type { Attempt, CaptureSource } from '../model/types.js';
import { AddressBook } from './book.js';
import { AnswerIndex } from './dns.js';
import { fold } from './fold.js';
import { FlowTable, onTcp, type PacketView } from './flows.js';
import { onIcmp } from './icmp.js';
import type { Observation } from './observation.js';
import { PhaseClock, type PhaseInterval } from './phase.js';
import { onUdp } from './udp.js';

export type { PhaseInterval } from './phase.js';
export { compareAttempts } from './fold.js';

export interface AnalyzeContext {
  /** Epoch ms when the build started; attempts' firstAtMs count from here. */
  readonly buildStartMs: number;
  /** Ebuild phases (epoch ms) for attempt.phase; none for plain commands. */
  readonly phases?: readonly PhaseInterval[];
  /**
   * The build's addresses on its veth end, for telling its packets from the monitor's answers there.
   * Default BUILD_ADDRESSES of src/sandbox/constants.ts (169.254.1.2, fe80::2); 10/8 and ::/8 sources always
   * count as the build.
   */
  readonly buildAddresses?: readonly string[];
}

/** Attempts of one build, folded and sorted (fold.ts); all with allowed: false (verdict/policy.ts decides). */
export function analyze(packets: readonly DecodedPacket[], ctx: AnalyzeContext): Attempt[] {
  if (!Number.isFinite(ctx.buildStartMs)) {
    throw new RangeError(`analyze: buildStartMs must be a finite number of epoch ms (got ${ctx.buildStartMs})`);
  }
  const book = new AddressBook(ctx.buildAddresses);
  const clock = new PhaseClock(ctx.phases);
  const answers = AnswerIndex.from(packets, book);
  const observations: Observation[] = [];
  for (const [source, list] of bySource(packets)) {
    const table = new FlowTable(source, observations);
    for (const p of list) {
      const src = book.canon(p.src);
      const view: PacketView = { p, src, dst: book.canon(p.dst), fromBuild: source !== 'veth' || book.isBuildSide(src) };
      if (p.proto === 'tcp') onTcp(view, table);
      else if (p.proto === 'udp') onUdp(view, table);
      else if (p.proto === 'icmp' || p.proto === 'icmp6') onIcmp(view, table, book);
    }
    table.finish();
  }
  return fold(observations, { buildStartMs: ctx.buildStartMs, clock, answers, book });
}

/** Packets per capture point (in a fixed order), each in capture order: frame index, then timestamp. */
function bySource(packets: readonly DecodedPacket[]): [CaptureSource, DecodedPacket[]][] {
  const groups = new Map<CaptureSource, DecodedPacket[]>();
  for (const p of packets) {
    let list = groups.get(p.source);
    if (!list) groups.set(p.source, (list = []));
    list.push(p);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([source, list]) => [source, list.sort((x, y) => x.index - y.index || x.tsMs - y.tsMs)]);
}
