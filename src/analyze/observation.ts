/**
 * The unit between packets and attempts: one try (a connection, a query, a datagram, an echo request, with
 * its retransmits) seen on one capture point and resolved to an outcome. fold.ts folds tries into attempts.
 */
import type { Attempt, Family, SeenOn } from '../model/types.js';

export type Outcome = NonNullable<Attempt['outcome']>;
export type TryKind = 'dns' | 'tcp' | 'udp' | 'icmp';

/** What a try is about; the flow table adds its first timestamp and count. */
export interface TryInit {
  readonly kind: TryKind;
  readonly family: Family;
  /** Canonical destination address (for dns: the resolver). */
  readonly address: string;
  readonly port?: number;
  /** DNS question name, normalized (dns.ts normalizeName). */
  readonly qname?: string;
  readonly qtype?: string;
}

/** A resolved try that is an attempt. */
export interface Observation extends TryInit {
  /** tsMs of the try's first packet. */
  readonly firstTs: number;
  /** Packets that started or repeated the try (SYN retransmits, re-sent queries, ICMP errors quoting it). */
  readonly count: number;
  /** Absent when the destination answered over the veth (a sinkhole/observation mode). */
  readonly outcome?: Outcome;
  /** The capture point, or `syscall` for a try the observer saw as a system call only (syscalls.ts). */
  readonly source: SeenOn;
}
