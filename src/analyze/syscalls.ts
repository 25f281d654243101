/**
 * Tries seen only as system calls (src/observe/): a connect() or a send with a destination that made no
 * packet, or whose packets were missed. With the observer on, the build runs in the faithful sandbox
 * (src/sandbox/plan.ts: Portage's namespace, no route), so a TCP connect or a UDP send to an external
 * address fails in the kernel with ENETUNREACH, as under network-sandbox, and only the observer sees it.
 *
 * Which calls are tries:
 * - TCP connect() (and sendto/sendmsg with an address: TCP Fast Open) that did not succeed;
 * - UDP sendto/sendmsg with an address, and a UDP connect() that failed (a program asking the kernel for a
 *   route: "which source address would I use towards 203.0.113.1?" fails so under network-sandbox too);
 * - ICMP sends (ping sockets).
 * A UDP connect() that succeeded sends nothing and is no try. Destinations on loopback or Portage's
 * 10/8 and ::/8 are left to the lo capture, which sees every such packet.
 *
 * The outcome comes from the errno: ENETUNREACH/EHOSTUNREACH -> unreachable, ECONNREFUSED -> refused,
 * EPERM/EACCES -> dropped (nftables), anything else or no return seen -> no outcome.
 *
 * A UDP try to port 53 is a DNS lookup, with its name, when the tracer says what it asked (`names`), so the
 * name no longer depends on a packet reaching a capture point:
 * - the question sent: the payload of that very send (the tracer reads it from the call: same thread, same
 *   entry time, same destination), decoded as DNS;
 * - a lookup that died before any question existed (a UDP connect() to an external resolver fails with
 *   ENETUNREACH under network-sandbox): the name the same thread last handed to libc's resolver
 *   (getaddrinfo, gethostbyname*) before the connect.
 * Without either it is still a DNS lookup, without a name: a resolver that is not libc's (Go's, c-ares in Node's
 * dns.resolve*, dnspython) connects its UDP socket to the nameserver first, and under network-sandbox that
 * connect() fails before any question exists. The `--explain` rerun names it (src/analyze/explain.ts).
 */
import type { SocketEvent } from '../model/events.js';
import type { DnsQuestionEvent, ResolveEvent } from '../model/tracer-events.js';
import type { AddressBook } from './book.js';
import { normalizeName } from './dns.js';
import type { Observation, Outcome, TryKind } from './observation.js';

const OUTCOME_OF_ERRNO: Record<string, Outcome> = {
  ENETUNREACH: 'unreachable',
  EHOSTUNREACH: 'unreachable',
  ECONNREFUSED: 'refused',
  EPERM: 'dropped',
  EACCES: 'dropped',
};

function tryKind(e: SocketEvent, syscallsOnly: boolean): TryKind | undefined {
  if (e.family === 'unix' || (e.port === undefined && e.protocol !== 'icmp')) return undefined;
  switch (e.protocol) {
    case 'tcp':
      return e.errno === 0 && e.kind === 'connect' && !syscallsOnly ? undefined : 'tcp';
    case 'udp':
      if (e.kind === 'connect' && e.errno === 0) return undefined;
      return 'udp';
    case 'icmp':
      return e.kind === 'connect' ? undefined : 'icmp';
    default:
      return undefined;
  }
}

/** What the tracer saw of names: the DNS questions sent and the names handed to libc's resolver. */
export interface TracedNames {
  readonly questions: readonly DnsQuestionEvent[];
  readonly resolves: readonly ResolveEvent[];
}

/** The question (name, type) a UDP send to port 53 carried, or the name its thread was resolving. */
function dnsName(e: SocketEvent, address: string, book: AddressBook, names: TracedNames): { qname: string; qtype?: string } | undefined {
  const sent = names.questions.find((q) => q.tid === e.tid && Math.abs(q.tsMs - e.tsMs) < 0.001 && q.port === e.port && book.canon(q.address) === address);
  const question = sent?.dns?.questions[0];
  if (question) return { qname: normalizeName(question.name), qtype: question.type };
  if (e.kind !== 'connect') return undefined;
  let resolving: ResolveEvent | undefined;
  for (const r of names.resolves) if (r.tid === e.tid && r.tsMs <= e.tsMs && (!resolving || r.tsMs >= resolving.tsMs)) resolving = r;
  return resolving ? { qname: normalizeName(resolving.name) } : undefined;
}

/** The observations these socket calls stand for (calls that are no try are left out). */
export function syscallObservations(
  events: readonly SocketEvent[],
  book: AddressBook,
  names: TracedNames = { questions: [], resolves: [] },
  options: { readonly syscallsOnly?: boolean } = {},
): Observation[] {
  const out: Observation[] = [];
  const only = options.syscallsOnly === true;
  for (const e of events) {
    if (e.kind !== 'connect' && e.kind !== 'sendto' && e.kind !== 'sendmsg') continue;
    const kind = tryKind(e, only);
    if (!kind || e.family === 'unix') continue;
    // A v6 socket's ::ffff:a.b.c.d is IPv4 on the wire, and is so reported.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(e.address);
    const family = mapped ? 4 : e.family;
    const address = book.canon(mapped ? (mapped[1] as string) : e.address);
    const cls = book.classOf(address);
    // Left to the lo capture, which sees every such packet; without one (syscallsOnly) 10/8 and ::/8 are taken
    // here (a LAN resolver or host without network-sandbox, refused locally under it); loopback never.
    if (cls === 'loopback' || (cls === 'sandbox-local' && !only)) continue;
    const outcome = e.error !== undefined ? OUTCOME_OF_ERRNO[e.error] : undefined;
    const name = kind === 'udp' && e.port === 53 ? dnsName(e, address, book, names) : undefined;
    out.push({
      kind: kind === 'udp' && e.port === 53 ? 'dns' : kind,
      ...(name ? { qname: name.qname, ...(name.qtype !== undefined ? { qtype: name.qtype } : {}) } : {}),
      family,
      address,
      ...(kind !== 'icmp' && e.port !== undefined ? { port: e.port } : {}),
      firstTs: e.tsMs,
      count: 1,
      ...(outcome ? { outcome } : {}),
      source: 'syscall',
    });
  }
  return out;
}
