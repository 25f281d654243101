/**
 * What the compiled tracer (bpf/netaudit-tracer, read by src/decode/tracer.ts) reports, beyond the socket
 * and exec events (SocketEvent, ExecEvent of ./events.ts, reused as they are).
 * Types only: the decoder is pure and lives in decode/.
 */
import type { DnsInfo, ExecEvent, SocketEvent, SocketSyscall } from './events.js';

/** The syscalls the tracer names: the socket calls, and write/ioctl (DNS payloads, interface requests). */
export type TracerSyscall = SocketSyscall | 'write' | 'ioctl';

/** Fields every tracer event has (as in ./types.ts EventBase, plus the thread). */
export interface TracerEventBase {
  /** Epoch milliseconds (CLOCK_REALTIME, the clock of pcap timestamps), with microsecond precision. */
  readonly tsMs: number;
  readonly pid: number;
  readonly tid: number;
  readonly ppid: number;
  /** comm at the time of the event. Raw text (odd bytes kept as U+0000-U+00FF): escape before showing. */
  readonly comm: string;
  /** argv of the exec that started the process (inherited over fork), when the tracer saw that exec. */
  readonly argv?: readonly string[];
  readonly argvTruncated?: boolean;
  /** Inode of the network namespace. */
  readonly netns: number;
}

/** What the call returned, once its return was read (absent: still running at stop, or its record lost). */
export interface CallOutcome {
  /** errno (0 on success). */
  readonly errno?: number;
  /** Symbolic errno ('ENETUNREACH') when errno is known and not 0. */
  readonly error?: string;
  /** The call's return value when it succeeded (bytes sent, messages sent for sendmmsg). */
  readonly returned?: number;
  /** Microseconds in the call. */
  readonly blockedUs?: number;
}

/**
 * A UDP datagram sent to port 53, read from the send call itself (sendto/sendmsg with an address, or
 * send/write/sendmsg/sendmmsg on a connected socket): the question exists even when no packet ever does.
 */
export interface DnsQuestionEvent extends TracerEventBase, CallOutcome {
  readonly kind: 'dns-question';
  readonly syscall: TracerSyscall;
  readonly fd: number;
  readonly family: 4 | 6;
  /** Destination (IPv4 dotted quad or RFC 5952 IPv6). */
  readonly address: string;
  readonly port: number;
  /** True when the destination is the connected socket's peer (the call named none). */
  readonly toPeer: boolean;
  /** sendmmsg: index of the message in the call (0 otherwise). */
  readonly index: number;
  /** The payload's real length; `payload` holds at most the tracer's cap (512 bytes). */
  readonly length: number;
  readonly payload: Uint8Array;
  readonly truncated: boolean;
  /** The payload decoded as DNS (undefined when it is not a DNS message). */
  readonly dns: DnsInfo | undefined;
}

/** The libc resolver functions the tracer has uprobes on. */
export type ResolverFunction = 'getaddrinfo' | 'gethostbyname' | 'gethostbyname2' | 'gethostbyname_r' | 'gethostbyname2_r';

/** A name handed to libc's resolver (uprobe at the function's entry): seen even when no packet is ever sent. */
export interface ResolveEvent extends TracerEventBase {
  readonly kind: 'resolve';
  readonly function: ResolverFunction;
  /** The name as passed. Raw text: escape before showing. */
  readonly name: string;
  /** The name was cut at the tracer's cap (255 bytes). */
  readonly truncated: boolean;
}

/** The build enumerating network interfaces: a netlink route dump request, or a SIOCGIF* ioctl. */
export interface InterfaceEnumEvent extends TracerEventBase, CallOutcome {
  readonly kind: 'interface-enum';
  readonly method: 'netlink' | 'ioctl';
  readonly syscall: TracerSyscall;
  readonly fd: number;
  /** 'RTM_GETLINK', 'RTM_GETADDR'; 'SIOCGIFCONF', 'SIOCGIFINDEX', ... ; or the number in hex. */
  readonly request: string;
  /** netlink: NLM_F_DUMP was set (every interface, not one). */
  readonly dump?: boolean;
  /** netlink: the address family asked for (0 any, 2 IPv4, 10 IPv6, 17 AF_PACKET). */
  readonly addressFamily?: number;
  /** ioctl other than SIOCGIFCONF: the interface named (ifr_name). Raw text. */
  readonly interfaceName?: string;
}

/** A new process (fork/clone without CLONE_THREAD): `child` starts with pid's argv until it execs. */
export interface ForkEvent extends TracerEventBase {
  readonly kind: 'fork';
  readonly child: number;
}

/** A process ended (its last thread). */
export interface ProcessExitEvent extends TracerEventBase {
  readonly kind: 'exit';
  /** The wait status its parent sees. */
  readonly status: number;
  /** Exit code, when it exited (status >> 8). */
  readonly exitCode?: number;
  /** The signal that killed it, when one did. */
  readonly signal?: number;
}

export type TracerEvent = SocketEvent | ExecEvent | DnsQuestionEvent | ResolveEvent | InterfaceEnumEvent | ForkEvent | ProcessExitEvent;
export type TracerEventKind = TracerEvent['kind'];

/** Records the kernel could not hand over (ring buffer full), counted per record kind since the start. */
export interface TracerLoss {
  /** 'connect', 'sendto', 'sendmsg', 'sendmmsg', 'bind', 'listen' (calls), 'ret', 'exec', 'fork', 'exit', 'dns', 'resolve', 'ifenum'. */
  readonly byRecord: Readonly<Record<string, number>>;
  readonly total: number;
  /** Lines the loader had printed (events) when it counted. */
  readonly records: number;
}

/** The loader's first line: every program attached. */
export interface TracerReady {
  readonly kind: 'ready';
  readonly version: number;
  readonly loadMs: number;
  readonly attachMs: number;
  /** From the loader's main() to ready (netaudit adds its own spawn time). */
  readonly startMs: number;
  readonly probes: readonly string[];
  /** Probes that could not be attached (a libc without the function), with why. */
  readonly missing: readonly { readonly probe: string; readonly error: string }[];
  /** The libc the uprobes sit on (absent with --no-libc). */
  readonly libc?: string;
  /** 'minimal': the build's cut-down BTF for this kernel; 'kernel': the whole kernel BTF. */
  readonly btf: string;
  readonly ringKiB: number;
  readonly argvMax: number;
  readonly dnsMax: number;
  readonly nameMax: number;
}

/** The answer to `sync ID`: every event before it has been read. */
export interface TracerSync {
  readonly kind: 'sync';
  readonly id: string;
  readonly loss: TracerLoss;
}

/** The loader's last line (EOF on its stdin, or a signal): every event before it has been read. */
export interface TracerStop {
  readonly kind: 'stop';
  readonly reason: 'eof' | 'signal';
  readonly loss: TracerLoss;
}

export interface TracerAck {
  readonly kind: 'ack';
  readonly command: 'watch' | 'unwatch';
  readonly netns: number;
}

export interface TracerError {
  readonly kind: 'error';
  readonly message: string;
}

export type TracerControl = TracerReady | TracerSync | TracerStop | TracerAck | TracerError;
