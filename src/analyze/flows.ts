/**
 * Flows on one capture point: tries waiting for an answer, matched in capture order (frame index) with what
 * answers them (SYN-ACK, RST, DNS response, echo reply, an ICMP error quoting them), then resolved into
 * observations by the rules of that capture point. TCP SYN/SYN-ACK/RST matching lives here too.
 */
import type { DecodedPacket } from '../decode/types.js';
import type { CaptureSource, Family } from '../model/types.js';
import type { Observation, Outcome, TryInit, TryKind } from './observation.js';

/** How a try ended. */
export type Resolution = 'served' | 'refused' | 'unreachable' | 'unanswered';


interface Try extends TryInit {
  readonly firstTs: number;
  count: number;
}

interface Flow {
  /** A packet of this flow was captured (not only ICMP errors quoting it). */
  explicit: boolean;
  /** group (DNS id, echo id, or '') -> member (DNS question, or '') -> try. */
  readonly groups: Map<string, Map<string, Try>>;
}

/**
 * Whether a resolved try is an attempt, and with which outcome, on each capture point:
 * - nflog: every logged send is an attempt the sandbox failed on the spot: 'dropped'.
 * - veth: everything the build sends there is external: answered by the destination (only in an
 *   observation mode that answers) -> no outcome; RST -> 'refused'; ICMP error -> 'unreachable' or
 *   'refused' (port unreachable); nothing -> 'unanswered'.
 * - lo: answered -> the build served itself, not an attempt; RST / ICMP error -> 'refused'/'unreachable';
 *   nothing -> an attempt only for a DNS query (the ICMP port unreachable may have been rate-limited);
 *   a SYN or echo request to a local address is always answered unless the build's own listener is slow,
 *   so an unanswered one is not an attempt.
 */
export function attemptOutcome(
  source: CaptureSource,
  kind: TryKind,
  resolution: Resolution,
): { readonly outcome?: Outcome } | null {
  if (source === 'nflog') return { outcome: 'dropped' };
  switch (resolution) {
    case 'served':
      return source === 'veth' ? {} : null;
    case 'refused':
    case 'unreachable':
      return { outcome: resolution };
    case 'unanswered':
      return source === 'veth' || kind === 'dns' ? { outcome: 'unanswered' } : null;
  }
}

export function tupleKey(proto: string, family: Family, src: string, srcPort: number | undefined, dst: string, dstPort: number | undefined): string {
  return `${proto}|${family}|${src}|${srcPort ?? ''}|${dst}|${dstPort ?? ''}`;
}

export class FlowTable {
  readonly #flows = new Map<string, Flow>();
  /** Ports where a TCP handshake on this capture point was accepted: on lo, the build's own servers. */
  readonly servedTcpPorts = new Set<number>();

  constructor(
    readonly source: CaptureSource,
    private readonly out: Observation[],
  ) {}

  /** A packet that starts a try, or repeats one still waiting (a retransmit): counted. */
  send(tuple: string, group: string, member: string, ts: number, init: TryInit): void {
    if (this.source === 'nflog') {
      this.#resolve({ ...init, firstTs: ts, count: 1 }, 'unanswered');
      return;
    }
    let flow = this.#flows.get(tuple);
    if (!flow) this.#flows.set(tuple, (flow = { explicit: true, groups: new Map() }));
    flow.explicit = true;
    let tries = flow.groups.get(group);
    if (!tries) flow.groups.set(group, (tries = new Map()));
    const waiting = tries.get(member);
    if (waiting) waiting.count++;
    else tries.set(member, { ...init, firstTs: ts, count: 1 });
  }

  hasFlow(tuple: string): boolean {
    return this.#flows.has(tuple);
  }

  /** An answer from the destination (tuple as the try's sender wrote it): resolves one group's tries. */
  answer(tuple: string, group: string, resolution: Resolution): void {
    const flow = this.#flows.get(tuple);
    const tries = flow?.groups.get(group);
    if (!flow || !tries) return;
    for (const t of tries.values()) this.#resolve(t, resolution);
    flow.groups.delete(group);
  }

  /**
   * An ICMP error quoting a packet of this flow: resolves every waiting try of the flow. When no packet of
   * the flow was captured (UDP to a port other than 53 on lo: only the ICMP error passes the filter), the
   * quote itself is the evidence: one try per ICMP error. Errors for a flow already answered are ignored.
   */
  icmpError(tuple: string, resolution: Resolution, ts: number, quoted: TryInit | undefined): void {
    const flow = this.#flows.get(tuple);
    if (flow && flow.groups.size > 0) {
      for (const tries of flow.groups.values()) for (const t of tries.values()) this.#resolve(t, resolution);
      flow.groups.clear();
      return;
    }
    if (flow?.explicit || !quoted) return;
    if (!flow) this.#flows.set(tuple, { explicit: false, groups: new Map() });
    this.#resolve({ ...quoted, firstTs: ts, count: 1 }, resolution);
  }

  /** End of capture: whatever still waits was never answered. */
  finish(): void {
    for (const flow of this.#flows.values()) {
      for (const tries of flow.groups.values()) for (const t of tries.values()) this.#resolve(t, 'unanswered');
      flow.groups.clear();
    }
  }

  #resolve(t: Try, resolution: Resolution): void {
    if (resolution === 'served' && t.kind === 'tcp' && t.port !== undefined) this.servedTcpPorts.add(t.port);
    const verdict = attemptOutcome(this.source, t.kind, resolution);
    if (!verdict) return;
    const o: { -readonly [K in keyof Observation]: Observation[K] } = {
      kind: t.kind,
      family: t.family,
      address: t.address,
      firstTs: t.firstTs,
      count: t.count,
      source: this.source,
    };
    if (t.port !== undefined) o.port = t.port;
    if (t.qname !== undefined) o.qname = t.qname;
    if (t.qtype !== undefined) o.qtype = t.qtype;
    if (verdict.outcome !== undefined) o.outcome = verdict.outcome;
    this.out.push(o);
  }
}

/** What one packet looks like to a flow table: canonical addresses, and whether the build sent it. */
export interface PacketView {
  readonly p: DecodedPacket;
  readonly src: string;
  readonly dst: string;
  /** On lo and nflog always true; on the veth, only for sources on the build's side. */
  readonly fromBuild: boolean;
}

/**
 * TCP: a SYN (without ACK) from the build starts a try (repeats with the same 4-tuple are retransmits);
 * SYN-ACK from the destination = served; RST from the destination = refused. Other segments are ignored.
 */
export function onTcp(v: PacketView, table: FlowTable): void {
  const tcp = v.p.tcp;
  if (!tcp) return;
  const { family } = v.p;
  if (tcp.syn && !tcp.ackFlag && !tcp.rst) {
    if (!v.fromBuild) return;
    const tuple = tupleKey('tcp', family, v.src, tcp.srcPort, v.dst, tcp.dstPort);
    table.send(tuple, '', '', v.p.tsMs, { kind: 'tcp', family, address: v.dst, port: tcp.dstPort });
    return;
  }
  const back = tupleKey('tcp', family, v.dst, tcp.dstPort, v.src, tcp.srcPort);
  if (tcp.rst) table.answer(back, '', 'refused');
  else if (tcp.syn && tcp.ackFlag) table.answer(back, '', 'served');
}
