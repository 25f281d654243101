/**
 * Findings: plain data with a stable keyword (pkgcheck style), one per attempt plus a few about the build.
 * The keywords come from the registry in src/model/findings.ts; a test holds findings() to it.
 *
 * Level of a per-attempt finding: info when policy allows the attempt, error when the build failed
 * (the attempt is why it would break under network-sandbox), warning when it succeeded anyway.
 * Names, addresses and phases come from packets and logs: they are escaped (safeText), never interpreted.
 */
import { classifyAddress } from '../analyze/addr.js';
import type { EvidenceGaps } from '../analyze/build.js';
import type { BuildEnd } from '../model/evidence.js';
import type { FindingKeyword } from '../model/findings.js';
import { endpoint, exitText, safeText } from '../model/format.js';
import type { Attempt, Finding, InterfaceQuery, Level } from '../model/types.js';
import { ecosystemHint } from './ecosystem.js';
import { queriesMention } from './interfaces.js';
import { PROXY_PORTS, serviceAt, socketService } from './ports.js';

/**
 * How the build ended, as the judges need it: the fields of its end (src/model/evidence.ts BuildEnd) and the
 * gaps of its evidence (src/analyze/build.ts).
 */
export type JudgedEnd = Pick<BuildEnd, 'exitCode'> & Partial<Pick<BuildEnd, 'signal' | 'timedOut'>> & { readonly capture: EvidenceGaps };

export function succeeded(end: Pick<JudgedEnd, 'exitCode' | 'signal' | 'timedOut'>): boolean {
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
      return a.hostname === undefined
        ? `a DNS lookup via ${at}, its name unknown (a resolver that is not libc's failed in connect() before asking; --explain names it)`
        : `looked up ${safeText(a.hostname)} (${safeText(a.qtype ?? '?')}) via ${at}`;
    case 'tcp':
      return `connect to ${at}${svc}${name}`;
    case 'udp': {
      const cls = classifyAddress(a.address);
      const group = cls === 'multicast' ? 'multicast ' : cls === 'broadcast' ? 'broadcast ' : '';
      return `datagram to ${group}${at}${svc}${name}`;
    }
    case 'icmp':
      return `ping ${addr}${name}`;
    case 'unix': {
      const known = socketService(a.address);
      return `connect to UNIX socket ${addr}${known ? ` (${known.service})` : ''}`;
    }
  }
}

/** The one-line message for an attempt. */
export function attemptMessage(a: Attempt): string {
  const times = a.count > 1 ? ` ×${a.count}` : '';
  const phase = a.phase !== undefined ? ` in ${safeText(a.phase)}` : '';
  const test = a.test !== undefined ? ` (test ${safeText(a.test)})` : '';
  const happened = a.outcome
    ? OUTCOME_TEXT[a.outcome]
    : `answered (observation mode, not what network-sandbox does)${a.wanted !== undefined ? `; wanted ${a.wanted}` : ''}`;
  const tail = a.allowed ? `allowed by Portage (${a.allowedBy ?? 'policy'})` : happened;
  return `${what(a)}${times}${phase}${test}: ${tail}`;
}

function attemptFinding(a: Attempt, index: number, failed: boolean): Finding {
  const keyword = keywordFor(a);
  const level: Level = a.allowed ? 'info' : failed ? 'error' : 'warning';
  const hint = a.allowed
    ? undefined
    : (ecosystemHint(a, keyword) ?? defaultHint(a, keyword));
  return {
    keyword,
    level,
    message: attemptMessage(a),
    ...(hint !== undefined ? { hint } : {}),
    attempt: index,
    ...(a.phase !== undefined ? { phase: a.phase } : {}),
    ...(a.test !== undefined ? { test: a.test } : {}),
    ...(a.logLines?.length ? { logLines: [...a.logLines] } : {}),
  };
}

/** The hint of a keyword (or of the attempt's service), whatever suite made it. */
function defaultHint(a: Attempt, keyword: FindingKeyword): string | undefined {
  const service = a.kind === 'unix' ? socketService(a.address) : serviceAt(a.kind === 'dns' ? 53 : a.port, a.kind);
  return keyword === 'ProxyFromEnvironment' || keyword === 'MulticastDatagram' || keyword === 'PrivateNetworkConnect'
      ? KIND_HINTS[keyword]
      : (service?.hint ?? KIND_HINTS[keyword]);
}

function ending(end: JudgedEnd): string {
  return exitText({ ...end, signal: end.signal && safeText(end.signal) }, 'sentence');
}

/** One finding per attempt (already judged by policy: applyPolicy), in attempt order; `attempt` indexes them. */
export function attemptFindings(attempts: readonly Attempt[], end: JudgedEnd): Finding[] {
  const failed = !succeeded(end);
  return attempts.map((a, i) => attemptFinding(a, i, failed));
}

/**
 * BuildFailedWithoutNetwork, when the build failed without an attempt network-sandbox would block; `queries`:
 * its interface listings that the failure is not put down to (src/verdict/interfaces.ts), named in the message.
 */
export function failureWithoutNetwork(attempts: readonly Attempt[], end: JudgedEnd, queries: readonly InterfaceQuery[] = []): Finding[] {
  if (succeeded(end) || attempts.some((a) => !a.allowed)) return [];
  const allowedOnly = attempts.length > 0 ? ' (only attempts Portage allows)' : '';
  return [
    {
      keyword: 'BuildFailedWithoutNetwork',
      level: 'info',
      message: `the build ${ending(end)} without any attempt network-sandbox would block${allowedOnly}${queriesMention(queries)}: the failure has another cause`,
      hint: KIND_HINTS.BuildFailedWithoutNetwork,
    },
  ];
}

/** CaptureIncomplete, when the evidence may miss attempts. */
export function captureFindings(capture: EvidenceGaps): Finding[] {
  const { dropped } = capture;
  const undecodable = capture.undecodable ?? 0;
  const incomplete = capture.incomplete ?? [];
  const lost = capture.tracerLost ?? 0;
  if (dropped === 0 && undecodable === 0 && incomplete.length === 0 && lost === 0 && !capture.tracerIncomplete) return [];
  const parts = [
    dropped > 0 ? `${dropped} packets dropped by the kernel` : '',
    undecodable > 0 ? `${undecodable} frames undecodable` : '',
    incomplete.length ? `no end marker on ${incomplete.join(', ')}` : '',
    lost > 0 ? `${lost} syscall records lost by the observer` : '',
    capture.tracerIncomplete ? 'the observer did not drain in time' : '',
  ].filter(Boolean);
  return [
    {
      keyword: 'CaptureIncomplete',
      level: 'warning',
      message: `capture incomplete: ${parts.join(', ')}: attempts may be missing`,
      hint: KIND_HINTS.CaptureIncomplete,
    },
  ];
}

/** Every finding of a build: per attempt, then the failure without network, then the capture's. */
export function findings(attempts: readonly Attempt[], end: JudgedEnd): Finding[] {
  return [...attemptFindings(attempts, end), ...failureWithoutNetwork(attempts, end), ...captureFindings(end.capture)];
}
