/**
 * Findings: plain data with a stable keyword (pkgcheck style), one per attempt plus a few about the build.
 * FINDING_KINDS is the explicit registry of every keyword netaudit emits; a test holds findings() to it.
 *
 * Level of a per-attempt finding: info when policy allows the attempt, error when the build failed
 * (the attempt is why it would break under network-sandbox), warning when it succeeded anyway.
 * Names, addresses and phases come from packets and logs: they are escaped (safeText), never interpreted.
 */
import { classifyAddress } from '../analyze/addr.js';
import { endpoint, exitText } from '../model/format.js';
import type { Attempt, Finding, Level } from '../model/types.js';
import { PROXY_PORTS, serviceAt } from './ports.js';

export interface FindingKind {
  readonly keyword: string;
  /** The most severe level it is emitted at. */
  readonly level: Level;
  /** What it means, one sentence. */
  readonly describe: string;
}

export const FINDING_KINDS: readonly FindingKind[] = [
  { keyword: 'DnsLookup', level: 'error', describe: 'The build resolved a name; there is no resolver inside network-sandbox (lookups fail with EAI_AGAIN).' },
  { keyword: 'ExternalConnect', level: 'error', describe: 'The build opened a TCP connection to an internet address; network-sandbox has no route (ENETUNREACH).' },
  { keyword: 'ExternalDatagram', level: 'error', describe: 'The build sent a UDP datagram to an internet address; network-sandbox fails the send at once.' },
  { keyword: 'MulticastDatagram', level: 'error', describe: 'The build sent UDP to a multicast or broadcast address (service discovery); network-sandbox has no route for it.' },
  { keyword: 'IcmpEcho', level: 'error', describe: 'The build pinged an address outside the sandbox.' },
  {
    keyword: 'HostServiceUnreachable',
    level: 'error',
    describe: "The build reached for a service on the host's loopback (a database, an X server); network-sandbox has its own lo, so the connect is refused.",
  },
  {
    keyword: 'PrivateNetworkConnect',
    level: 'error',
    describe: 'The build reached for a LAN host in 10.0.0.0/8 (or ::/8); network-sandbox puts those ranges on lo, so the connect is refused locally.',
  },
  {
    keyword: 'DistributedCompiler',
    level: 'error',
    describe: 'The build reached for a distributed compiler or compiler cache (distcc, icecream, sccache), which needs the proxy or falls back to local work.',
  },
  {
    keyword: 'ProxyFromEnvironment',
    level: 'error',
    describe: 'The build connected to an HTTP proxy port on loopback or the LAN: an http_proxy inherited from the environment, unreachable under network-sandbox.',
  },
  { keyword: 'AllowedNetworkUse', level: 'info', describe: 'A network attempt Portage permits: an unsandboxed phase, PROPERTIES=test_network or live, or RESTRICT=network-sandbox.' },
  { keyword: 'BuildFailedWithoutNetwork', level: 'info', describe: 'The build failed without any attempt network-sandbox would block: the failure has another cause.' },
  { keyword: 'CaptureIncomplete', level: 'warning', describe: 'The kernel dropped packets or frames could not be decoded: attempts may be missing from the evidence.' },
  // Emitted by the Portage runner (src/runner/ebuild.ts), about the build rather than one attempt.
  { keyword: 'PhaseFailed', level: 'error', describe: 'An ebuild phase that network-sandbox covers failed; the quoted log lines and the attempts of that phase show why.' },
  {
    keyword: 'UnsandboxedPhaseFailed',
    level: 'warning',
    describe: 'A phase Portage runs with the network (pkg_setup, ...) failed: whatever the cause, it is not a network-sandbox breakage.',
  },
  { keyword: 'MetadataError', level: 'error', describe: 'Portage could not read the ebuild (a broken global scope): it was not built.' },
  { keyword: 'FetchFailed', level: 'error', describe: "Fetching the distfiles failed; Portage's fetcher runs outside the sandbox, so this is no network-sandbox question." },
];

export type FindingKeyword =
  | 'DnsLookup'
  | 'ExternalConnect'
  | 'ExternalDatagram'
  | 'MulticastDatagram'
  | 'IcmpEcho'
  | 'HostServiceUnreachable'
  | 'PrivateNetworkConnect'
  | 'DistributedCompiler'
  | 'ProxyFromEnvironment'
  | 'AllowedNetworkUse'
  | 'BuildFailedWithoutNetwork'
  | 'CaptureIncomplete'
  | 'PhaseFailed'
  | 'UnsandboxedPhaseFailed'
  | 'FetchFailed'
  | 'MetadataError';

/** How the build ended, as findings need it. */
export interface BuildEnd {
  readonly exitCode: number | null;
  readonly signal?: string | null;
  readonly timedOut?: boolean;
  readonly capture: {
    readonly dropped: number;
    readonly undecodable?: number;
    /** Capture points whose end-of-capture marker never arrived (their last packets may be missing). */
    readonly unfinished?: readonly string[];
  };
}

export function succeeded(end: Pick<BuildEnd, 'exitCode' | 'signal' | 'timedOut'>): boolean {
  return end.exitCode === 0 && !end.signal && !end.timedOut;
}

const KIND_HINTS: Partial<Record<FindingKeyword, string>> = {
  ExternalConnect: 'tests that need the internet: skip or mock them; build-time downloads: add them to SRC_URI',
  ExternalDatagram: 'UDP sends fail at once under network-sandbox: disable the client (metrics, syslog, telemetry) in tests',
  MulticastDatagram: 'multicast/broadcast discovery (LPD, SSDP, mDNS) fails under network-sandbox: disable discovery in tests',
  IcmpEcho: 'tests that ping a host need the network: skip them',
  HostServiceUnreachable: 'the host\'s services are invisible under network-sandbox: start a private instance inside the test on a UNIX socket or a loopback port',
  PrivateNetworkConnect: 'a LAN host: tests must not depend on one; skip them, or run the service inside the test',
  ProxyFromEnvironment: 'http_proxy/https_proxy inherited from the environment (Portage passes them in): unset them for the build',
  BuildFailedWithoutNetwork: 'read the build log: the failure is not about the network',
  CaptureIncomplete: 're-run the audit; if it persists, the capture cannot keep up (heavy loopback traffic) and the verdict may miss attempts',
};

/** Which keyword an attempt gets (first rule that matches). */
export function keywordFor(a: Attempt): FindingKeyword {
  if (a.allowed) return 'AllowedNetworkUse';
  if (a.kind === 'dns') return 'DnsLookup';
  const service = serviceAt(a.port, a.kind);
  if (service?.category === 'distributed-compiler') return 'DistributedCompiler';
  const cls = classifyAddress(a.address);
  const local = a.scope === 'host-local' || cls === 'sandbox-local';
  if (a.kind === 'tcp' && local && a.port !== undefined && PROXY_PORTS.includes(a.port)) return 'ProxyFromEnvironment';
  if (a.scope === 'host-local' || a.kind === 'unix') return 'HostServiceUnreachable';
  if (cls === 'sandbox-local') return 'PrivateNetworkConnect';
  if (a.kind === 'udp') return cls === 'multicast' || cls === 'broadcast' ? 'MulticastDatagram' : 'ExternalDatagram';
  if (a.kind === 'icmp') return 'IcmpEcho';
  return 'ExternalConnect';
}

/**
 * Text from packets or logs made safe for a one-line message: backslash, quotes, controls, DEL and
 * non-ASCII are escaped (\\xHH, \\u{H}); very long text is cut with an ellipsis.
 */
export function safeText(text: string, max = 255): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (c < 0x100) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += `\\u{${c.toString(16)}}`;
    if (out.length > max) return `${out.slice(0, max)}…`;
  }
  return out;
}

const OUTCOME_TEXT: Record<NonNullable<Attempt['outcome']>, string> = {
  unreachable: 'network unreachable under network-sandbox (ENETUNREACH)',
  refused: 'refused (ECONNREFUSED)',
  dropped: 'failed on the spot, as under network-sandbox (no route)',
  unanswered: 'no answer',
};

function what(a: Attempt): string {
  const addr = safeText(a.address);
  const at = endpoint(addr, a.port);
  const service = a.kind === 'dns' ? undefined : serviceAt(a.port, a.kind);
  const svc = service ? ` (${service.service})` : '';
  const name = a.hostname !== undefined ? ` for ${safeText(a.hostname)}` : '';
  switch (a.kind) {
    case 'dns':
      return `looked up ${safeText(a.hostname ?? '?')} (${safeText(a.qtype ?? '?')}) via ${at}`;
    case 'tcp':
      return `connect to ${at}${svc}${name}`;
    case 'udp': {
      const cls = classifyAddress(a.address);
      const group = cls === 'multicast' ? 'multicast ' : cls === 'broadcast' ? 'broadcast ' : '';
      return `datagram to ${group}${at}${svc}${name}`;
    }
    case 'icmp':
      return `ping ${addr}${name}`;
    case 'unix':
      return `connect to UNIX socket ${addr}`;
  }
}

/** The one-line message for an attempt. */
export function attemptMessage(a: Attempt): string {
  const times = a.count > 1 ? ` ×${a.count}` : '';
  const phase = a.phase !== undefined ? ` in ${safeText(a.phase)}` : '';
  const happened = a.outcome ? OUTCOME_TEXT[a.outcome] : 'answered (observation mode, not what network-sandbox does)';
  const tail = a.allowed ? `allowed by Portage (${a.allowedBy ?? 'policy'})` : happened;
  return `${what(a)}${times}${phase}: ${tail}`;
}

function attemptFinding(a: Attempt, index: number, failed: boolean): Finding {
  const keyword = keywordFor(a);
  const level: Level = a.allowed ? 'info' : failed ? 'error' : 'warning';
  const service = serviceAt(a.kind === 'dns' ? 53 : a.port, a.kind);
  const hint = a.allowed
    ? undefined
    : keyword === 'ProxyFromEnvironment' || keyword === 'MulticastDatagram' || keyword === 'PrivateNetworkConnect'
      ? KIND_HINTS[keyword]
      : (service?.hint ?? KIND_HINTS[keyword]);
  return {
    keyword,
    level,
    message: attemptMessage(a),
    ...(hint !== undefined ? { hint } : {}),
    attempt: index,
    ...(a.phase !== undefined ? { phase: a.phase } : {}),
    ...(a.logLines?.length ? { logLines: [...a.logLines] } : {}),
  };
}

function ending(end: BuildEnd): string {
  return exitText({ ...end, signal: end.signal && safeText(end.signal) }, 'sentence');
}

/** Findings for attempts already judged by policy (applyPolicy), in attempt order, then build-level ones. */
export function findings(attempts: readonly Attempt[], end: BuildEnd): Finding[] {
  const failed = !succeeded(end);
  const out = attempts.map((a, i) => attemptFinding(a, i, failed));
  if (failed && !attempts.some((a) => !a.allowed)) {
    const allowedOnly = attempts.length > 0 ? ' (only attempts Portage allows)' : '';
    out.push({
      keyword: 'BuildFailedWithoutNetwork',
      level: 'info',
      message: `the build ${ending(end)} without any attempt network-sandbox would block${allowedOnly}: the failure has another cause`,
      hint: KIND_HINTS.BuildFailedWithoutNetwork,
    });
  }
  const dropped = end.capture.dropped;
  const undecodable = end.capture.undecodable ?? 0;
  const unfinished = end.capture.unfinished ?? [];
  if (dropped > 0 || undecodable > 0 || unfinished.length > 0) {
    const parts = [
      dropped > 0 ? `${dropped} packets dropped by the kernel` : '',
      undecodable > 0 ? `${undecodable} frames undecodable` : '',
      unfinished.length ? `no end marker on ${unfinished.join(', ')}` : '',
    ].filter(Boolean);
    out.push({
      keyword: 'CaptureIncomplete',
      level: 'warning',
      message: `capture incomplete: ${parts.join(', ')}: attempts may be missing`,
      hint: KIND_HINTS.CaptureIncomplete,
    });
  }
  return out;
}
