/**
 * analyze: decoded packets of one build -> the attempts it made (pure, no I/O).
 *
 * Each capture point is read in capture order (frame index) by its own flow table (flows.ts, udp.ts,
 * icmp.ts), which matches tries with their answers and keeps those that are attempts; fold.ts folds them
 * into attempts with scope, phase and hostname. O(n log n) in the number of packets.
 *
 * The build's own servers: a refused TCP connect to a loopback port on which the build itself accepted a
 * connection during the run (the lo capture shows the SYN/SYN-ACK) is no attempt at a host service: it is the
 * build's own test server, closed already or not yet listening, or listening on the other family (a client of
 * `localhost` trying ::1 before 127.0.0.1). It is left out, as under network-sandbox it behaves the same.
 * A port the build never served (127.0.0.1:5432 with nothing of the build's there) stays a host-local attempt.
 */
import type { DecodedPacket } from '../decode/types.js';
import type { Attempt, CaptureSource, Phase } from '../model/types.js';
import { AddressBook } from './book.js';
import { AnswerIndex } from './dns.js';
import { fold } from './fold.js';
import { FlowTable, onTcp, type PacketView } from './flows.js';
import { onIcmp } from './icmp.js';
import type { Observation } from './observation.js';
import { PhaseClock } from './phase.js';
import type { TestSpan } from '../model/evidence.js';
import { onUdp } from './udp.js';
import { syscallObservations, type TracedNames } from './syscalls.js';
import type { SocketEvent } from '../model/events.js';

export { compareAttempts } from './fold.js';

export interface AnalyzeContext {
  /** Epoch ms when the build started; attempts' firstAtMs count from here. */
  readonly buildStartMs: number;
  /** firstAtMs to the µs it was measured at (analyzeBuild, to match test spans), not whole ms (the report's). */
  readonly exact?: boolean;
  /** Ebuild phases (ms since buildStartMs) for attempt.phase; none for plain commands. */
  readonly phases?: readonly Phase[];
  /** Test phases from the test runner's log (src/runner/tests.ts), for attempt.test; none when no known runner ran. */
  readonly tests?: readonly TestSpan[];
  /**
   * The build's addresses on its veth end, for telling its packets from the monitor's answers there.
   * Default BUILD_ADDRESSES of src/model/network.ts (169.254.1.2, fe80::2); 10/8 and ::/8 sources always
   * count as the build.
   */
  readonly buildAddresses?: readonly string[];
  /**
   * No capture ran (`netaudit watch`): the tracer's calls are all there is, so the tries the lo capture would
   * see (to 10/8 and ::/8) and TCP connects that succeeded (network-sandbox off) are taken from them too.
   */
  readonly syscallsOnly?: boolean;
}

/** Attempts of one build, folded and sorted (fold.ts); all with allowed: false (verdict/policy.ts decides). */
export function analyze(packets: readonly DecodedPacket[], ctx: AnalyzeContext): Attempt[] {
  if (!Number.isFinite(ctx.buildStartMs)) {
    throw new RangeError(`analyze: buildStartMs must be a finite number of epoch ms (got ${ctx.buildStartMs})`);
  }
  const book = new AddressBook(ctx.buildAddresses);
  const clock = new PhaseClock(ctx.phases, ctx.buildStartMs);
  const answers = AnswerIndex.from(packets, book);
  const observations: Observation[] = [];
  const servedOnLo = new Set<number>();
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
    if (source === 'lo') for (const port of table.servedTcpPorts) servedOnLo.add(port);
  }
  const hostServices = observations.filter(
    (o) => !(o.source === 'lo' && o.kind === 'tcp' && o.outcome === 'refused' && o.port !== undefined && servedOnLo.has(o.port) && book.classOf(o.address) === 'loopback'),
  );
  return fold(hostServices, { buildStartMs: ctx.buildStartMs, clock, answers, book, ...(ctx.tests ? { tests: ctx.tests } : {}), ...(ctx.exact ? { exact: true } : {}) });
}

/**
 * Attempts from socket calls that matched no packet (src/observe attribute()'s `unmatched`), folded as
 * packets are (phase, hostname from the build's DNS answers, one attempt per destination), seenOn `syscall`.
 */
export function analyzeSyscalls(events: readonly SocketEvent[], packets: readonly DecodedPacket[], ctx: AnalyzeContext, names?: TracedNames): Attempt[] {
  const book = new AddressBook(ctx.buildAddresses);
  const observations = syscallObservations(events, book, names, ctx.syscallsOnly ? { syscallsOnly: true } : {});
  if (!observations.length) return [];
  const clock = new PhaseClock(ctx.phases, ctx.buildStartMs);
  return fold(observations, { buildStartMs: ctx.buildStartMs, clock, answers: AnswerIndex.from(packets, book), book, ...(ctx.exact ? { exact: true } : {}) });
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
