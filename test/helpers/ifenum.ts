/**
 * Tracer events of a build that lists its network interfaces, for pure tests: the requests measured with
 * strace (src/analyze/interfaces.ts), forks and exits, and a BuildEvidence around them.
 */
import type { BuildEvidence } from '../../src/model/evidence.js';
import type { ForkEvent, InterfaceEnumEvent, ProcessExitEvent, TracerEvent } from '../../src/model/tracer-events.js';

export const START = 1_700_000_000_000;
export const NETNS = 4026532999;

interface Who {
  readonly pid: number;
  readonly ppid?: number;
  readonly comm?: string;
  readonly argv?: readonly string[];
}

function head(who: Who, atMs: number) {
  return {
    tsMs: START + atMs,
    pid: who.pid,
    tid: who.pid,
    ppid: who.ppid ?? 1,
    comm: who.comm ?? 'python3',
    ...(who.argv ? { argv: who.argv } : {}),
    netns: NETNS,
  };
}

/** A netlink route request (dump by default), as glibc sends it: RTM_GETLINK (getifaddrs, if_nameindex) or RTM_GETADDR. */
export function netlink(who: Who, atMs: number, request: 'RTM_GETLINK' | 'RTM_GETADDR', over: Partial<InterfaceEnumEvent> = {}): InterfaceEnumEvent {
  return { kind: 'interface-enum', ...head(who, atMs), method: 'netlink', syscall: 'sendto', fd: 3, request, dump: true, addressFamily: 0, errno: 0, returned: 20, ...over };
}

/** An interface ioctl: SIOCGIFCONF (a listing) or one naming an interface (SIOCGIFFLAGS lo). */
export function ioctl(who: Who, atMs: number, request: string, interfaceName?: string): InterfaceEnumEvent {
  return { kind: 'interface-enum', ...head(who, atMs), method: 'ioctl', syscall: 'ioctl', fd: 3, request, ...(interfaceName ? { interfaceName } : {}), errno: 0, returned: 0 };
}

/** getifaddrs(): an RTM_GETLINK dump, then an RTM_GETADDR dump on the same socket. */
export function getifaddrs(who: Who, atMs: number): InterfaceEnumEvent[] {
  return [netlink(who, atMs, 'RTM_GETLINK'), netlink(who, atMs + 0.1, 'RTM_GETADDR')];
}

/** glibc getaddrinfo() with AI_ADDRCONFIG (__check_pf): an RTM_GETADDR dump alone. */
export function addrconfig(who: Who, atMs: number): InterfaceEnumEvent {
  return netlink(who, atMs, 'RTM_GETADDR');
}

export function fork(parent: Who, atMs: number, child: number): ForkEvent {
  return { kind: 'fork', ...head(parent, atMs), child };
}

export function exit(who: Who, atMs: number, end: { exitCode?: number; signal?: number }): ProcessExitEvent {
  const status = end.signal ? end.signal : (end.exitCode ?? 0) << 8;
  return { kind: 'exit', ...head(who, atMs), status, ...(end.signal ? { signal: end.signal } : { exitCode: end.exitCode ?? 0 }) };
}

/** A build's evidence with these tracer events and nothing captured. */
export function evidence(events: readonly TracerEvent[], over: Partial<BuildEvidence> & { exitCode?: number | null; signal?: string | null } = {}): BuildEvidence {
  const { exitCode = 0, signal = null, ...rest } = over;
  return {
    end: { exitCode, signal, timedOut: false, interrupted: false, startMs: START, durationMs: 2000 },
    captures: [],
    tracer: { events, netns: NETNS, buildEndMs: START + 2000, lost: 0, complete: true },
    tests: [],
    ...rest,
  };
}
