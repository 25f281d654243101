/**
 * Who made each attempt: packets (src/analyze) matched with the observer's syscalls (pure, no I/O).
 *
 * An attempt is matched to the socket calls with the same destination and transport: tcp <- connect (or a
 * sendto/sendmsg with an address: TCP Fast Open) on a TCP socket; udp and dns <- connect/sendto/sendmsg on a UDP
 * socket; icmp <- sendto/sendmsg/connect on an ICMP socket; the destination compared as canonical text, an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it is on the wire. Among those calls the
 * one that made the first packet is the latest that entered before it (give or take the clock skew,
 * `afterMs`): a UDP socket connect()ed long before its first datagram still counts. Its process fills
 * `attempt.process`; `argv` is capped (16 arguments of 256 characters). Text from the build is kept as the
 * build gave it (one policy for every name in the model: reporters escape it when they show it, src/model/format.ts).
 *
 * Socket calls with a destination (connect, sendto, sendmsg to IPv4/IPv6) whose destination and transport
 * match no attempt are returned as unmatched: attempts that never became a packet, or whose packets were
 * missed. bind/listen, exec and AF_UNIX events are never "unmatched" (unixAttempts() covers AF_UNIX).
 */
import { canonicalAddress } from '../decode/addr.js';
import { sinceStartMs, type Attempt } from '../model/types.js';
import type { ObservedProcess, SocketEvent, UnixAttempt } from '../model/events.js';
import type { TracerEvent } from '../model/tracer-events.js';

export const ARGV_MAX_ARGS = 16;
export const ARGV_MAX_CHARS = 256;

export interface AttributeOptions {
  /** Epoch ms when the build started: the origin of attempt.firstAtMs. */
  readonly buildStartMs: number;
  /** Only events of this network namespace (one tracer shared by several builds). */
  readonly netns?: number;
  /**
   * Epoch ms when the build ended: later events are not the build's (netaudit's own end-of-capture marker
   * is sent from inside the build namespace after the build). Default: no limit.
   */
  readonly buildEndMs?: number;
  /**
   * How much later than the attempt's first packet a matching call may appear to be, in ms: firstAtMs is
   * rounded to the millisecond (unless exact) and the two clocks agree to well under a millisecond. Default 2.
   */
  readonly afterMs?: number;
}

/**
 * An attempt with `process` filled by the tracer (with its parent) where a call matched. `process` comes from
 * the tracer alone (packets never carry one): unmatched, it is absent.
 */
export type AttributedAttempt<A extends Attempt = Attempt> = A;

/** The attempt without a `process` (an optional field of every kind, so it stays an attempt of its kind). */
function withoutProcess<A extends Attempt>(attempt: A): A {
  const { process: _ignored, ...rest } = attempt;
  return rest as A;
}

export interface Attribution<A extends Attempt = Attempt> {
  /** The attempts, in their order, with `process` filled where a call matched. */
  readonly attempts: AttributedAttempt<A>[];
  /** Socket calls with an IPv4/IPv6 destination that match no attempt, in time order. */
  readonly unmatched: SocketEvent[];
}

type Transport = 'tcp' | 'udp' | 'icmp';

/** IPv4-mapped IPv6 -> the IPv4 address; everything canonical. */
function wireAddress(address: string): string {
  const c = canonicalAddress(address);
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(c);
  return m ? (m[1] as string) : c;
}

function keyOf(transport: Transport, address: string, port: number | undefined): string {
  return `${transport}|${wireAddress(address)}|${transport === 'icmp' ? '' : (port ?? '')}`;
}

function attemptTransport(a: Attempt): Transport | undefined {
  switch (a.kind) {
    case 'tcp':
      return 'tcp';
    case 'udp':
    case 'dns':
      return 'udp';
    case 'icmp':
      return 'icmp';
    default:
      return undefined;
  }
}

/** The transport a socket call sends on, when it is one that makes packets towards its address. */
function eventTransport(e: SocketEvent): Transport | undefined {
  if (e.family === 'unix' || e.kind === 'bind' || e.kind === 'listen') return undefined;
  if (e.protocol === 'tcp') return 'tcp';
  if (e.protocol === 'udp') return 'udp';
  if (e.protocol === 'icmp') return 'icmp';
  return undefined;
}

/** argv capped for a report: 16 arguments of 256 characters; a cut is marked with '…'. Not escaped (see above). */
export function reportArgv(argv: readonly string[], truncated = false): string[] {
  const out = argv.slice(0, ARGV_MAX_ARGS).map((a) => {
    const chars = [...a];
    return chars.length > ARGV_MAX_CHARS ? `${chars.slice(0, ARGV_MAX_CHARS).join('')}…` : a;
  });
  if (argv.length > ARGV_MAX_ARGS) out.push(`…(+${argv.length - ARGV_MAX_ARGS})`);
  else if (truncated) out.push('…');
  return out;
}

const SOCKET_KINDS: ReadonlySet<string> = new Set<SocketEvent['kind']>(['connect', 'sendto', 'sendmsg', 'bind', 'listen']);

/** A socket call (connect, send, bind, listen), not one of the tracer's other events (exec, DNS question, resolve, ...). */
export function isSocketEvent(e: TracerEvent): e is SocketEvent {
  return SOCKET_KINDS.has(e.kind);
}

/** The `process` of an attempt made by this event's process. */
export function processOf(e: TracerEvent): ObservedProcess {
  return {
    pid: e.pid,
    ppid: e.ppid,
    comm: e.comm,
    ...(e.argv ? { argv: reportArgv(e.argv, e.argvTruncated) } : {}),
  };
}

export function attribute<A extends Attempt>(attempts: readonly A[], events: readonly TracerEvent[], options: AttributeOptions): Attribution<A> {
  const afterMs = options.afterMs ?? 2;
  const byKey = new Map<string, SocketEvent[]>();
  const candidates: { e: SocketEvent; key: string }[] = [];
  for (const e of events) {
    if (!isSocketEvent(e)) continue;
    if (options.netns !== undefined && e.netns !== options.netns) continue;
    if (options.buildEndMs !== undefined && e.tsMs > options.buildEndMs) continue;
    const t = eventTransport(e);
    if (!t) continue;
    const key = keyOf(t, e.address, e.port);
    candidates.push({ e, key });
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push(e);
  }
  for (const list of byKey.values()) list.sort((x, y) => x.tsMs - y.tsMs);

  const attemptKeys = new Set<string>();
  const out = attempts.map((attempt): AttributedAttempt<A> => {
    const a = withoutProcess(attempt);
    const t = attemptTransport(attempt);
    if (!t) return a;
    const key = keyOf(t, a.address, a.port);
    attemptKeys.add(key);
    const list = byKey.get(key);
    if (!list?.length) return a;
    const firstPacket = options.buildStartMs + a.firstAtMs;
    // The latest call that entered before the first packet (within afterMs); binary search on time.
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((list[mid] as SocketEvent).tsMs <= firstPacket + afterMs) lo = mid + 1;
      else hi = mid;
    }
    const match = list[lo - 1];
    return match ? { ...a, process: processOf(match) } : a;
  });

  const unmatched = candidates
    .filter(({ key }) => !attemptKeys.has(key))
    .map(({ e }) => e)
    .sort((x, y) => x.tsMs - y.tsMs);
  return { attempts: out, unmatched };
}

export interface UnixAttemptOptions {
  readonly buildStartMs: number;
  /** firstAtMs to the µs (sinceStartMs), not rounded to whole ms. */
  readonly exact?: boolean;
  readonly netns?: number;
  /** As in attribute(): later events are not the build's. */
  readonly buildEndMs?: number;
}

/**
 * Connects to abstract AF_UNIX addresses (X11's @/tmp/.X11-unix/X0, D-Bus's @/tmp/dbus-...) as `unix`
 * attempts, one per address (count = connects, firstAtMs of the first, its process). Abstract addresses
 * belong to a network namespace: under network-sandbox the host's are out of reach, and such a connect
 * fails (ECONNREFUSED). Not attempts: connects that succeeded or went to an address bound inside the
 * build's namespace (the build's own server, which works under network-sandbox too), and filesystem
 * sockets (they cross namespaces: network-sandbox leaves them working).
 */
export function unixAttempts(events: readonly TracerEvent[], options: UnixAttemptOptions): UnixAttempt[] {
  const mine = events.filter(
    (e): e is SocketEvent =>
      isSocketEvent(e) && (options.netns === undefined || e.netns === options.netns) && (options.buildEndMs === undefined || e.tsMs <= options.buildEndMs),
  );
  const bound = new Set(mine.filter((e) => e.family === 'unix' && e.abstract && (e.kind === 'bind' || e.kind === 'listen') && e.errno === 0).map((e) => e.address));
  const byAddress = new Map<string, { first: SocketEvent; count: number; refused: boolean }>();
  for (const e of [...mine].sort((x, y) => x.tsMs - y.tsMs)) {
    if (e.kind !== 'connect' || e.family !== 'unix' || !e.abstract) continue;
    if (e.errno === 0 || bound.has(e.address)) continue;
    const acc = byAddress.get(e.address);
    if (acc) {
      acc.count++;
      acc.refused ||= e.error === 'ECONNREFUSED';
    } else {
      byAddress.set(e.address, { first: e, count: 1, refused: e.error === 'ECONNREFUSED' });
    }
  }
  return [...byAddress.values()].map(({ first, count, refused }) => ({
    kind: 'unix',
    scope: 'host-local',
    address: first.address,
    count,
    firstAtMs: options.exact ? sinceStartMs(first.tsMs, options.buildStartMs) : Math.max(0, Math.round(first.tsMs - options.buildStartMs)),
    ...(refused ? { outcome: 'refused' as const } : {}),
    seenOn: ['syscall' as const],
    process: processOf(first),
    allowed: false,
  }));
}
