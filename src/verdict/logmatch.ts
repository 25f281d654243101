/**
 * Evidence from the build log (pure): lines that show a network failure, matched to the attempts they belong
 * to, so a finding quotes cause and effect side by side. Patterns follow what tinderbox's CATCH_ISSUES and
 * Gentoo bug titles look for.
 */
import type { Attempt } from '../model/types.js';

export const NETWORK_ERROR_PATTERNS: readonly RegExp[] = [
  /Could(?: not|n't) resolve (?:host|proxy)/i,
  /Temporary failure in name resolution/i,
  /Name or service not known/i,
  /unable to resolve host/i,
  /No address associated with hostname/i,
  /getaddrinfo\b.*(?:fail|EAI_)/i,
  /\bE(?:AI_AGAIN|AI_NONAME|NOTFOUND|NETUNREACH|HOSTUNREACH|CONNREFUSED)\b/,
  /Network is unreachable/i,
  /No route to host/i,
  /Connection refused/i,
  /Operation not permitted.*(?:send|connect|socket)|(?:send|sendto|sendmsg|connect).*Operation not permitted/i,
  /Failed to connect to/i,
  /Couldn't connect to server/i,
  /(?:Connection|connect) timed out/i,
  /unable to access '.*(?:https?|git):\/\//i,
  /Failed to establish a new connection/i,
  /NewConnectionError|ConnectionError|URLError|socket\.gaierror/,
  /fetch failed/i,
  /dial tcp .*: (?:lookup|connect)/i,
];

/** Strip ANSI colours and Portage's " * " prefixes; keep the text. */
export function cleanLine(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r$/, '').trimEnd();
}

/**
 * NETWORK_ERROR_PATTERNS as two alternations, the case-insensitive ones and the others: one pass of the regex
 * engine over a line instead of one per pattern (the judge runs it over whole build logs, a watch over every
 * package of the machine).
 */
const NETWORK_ERROR_ANY: readonly RegExp[] = [true, false].flatMap((insensitive) => {
  const some = NETWORK_ERROR_PATTERNS.filter((re) => re.flags.includes('i') === insensitive);
  return some.length ? [new RegExp(some.map((re) => `(?:${re.source})`).join('|'), insensitive ? 'i' : '')] : [];
});

export function isNetworkErrorLine(line: string): boolean {
  return NETWORK_ERROR_ANY.some((re) => re.test(line));
}

export interface LogSection {
  /** Phase function (src_test, ...) whose output this is, when known. */
  readonly phase?: string;
  readonly lines: string[];
}

const PHASE_BANNERS: readonly [RegExp, string][] = [
  [/^>>> Unpacking source/, 'src_unpack'],
  [/^>>> Preparing source/, 'src_prepare'],
  [/^>>> Configuring source/, 'src_configure'],
  [/^>>> Compiling source/, 'src_compile'],
  [/^>>> Test phase/, 'src_test'],
  [/^>>> Install /, 'src_install'],
];

/** Split a Portage build log by its phase banners (">>> Test phase: ..."). */
export function sectionsOf(log: string): LogSection[] {
  const sections: LogSection[] = [{ lines: [] }];
  for (const raw of log.split('\n')) {
    const line = cleanLine(raw);
    const banner = PHASE_BANNERS.find(([re]) => re.test(line));
    if (banner) sections.push({ phase: banner[1], lines: [] });
    (sections[sections.length - 1] as LogSection).lines.push(line);
  }
  return sections;
}

const MAX_LINES = 5;

/**
 * Attach network-failure lines to attempts: a line naming an attempt's host name or address goes to that
 * attempt; other network-failure lines go to the non-allowed attempts of the same phase (or, failing that,
 * to all non-allowed attempts when there is only one). Returns new attempt objects.
 */
export function matchLogLines(attempts: readonly Attempt[], log: string): Attempt[] {
  // Nothing to attach lines to: the log is not read (a watch judges every package it sees, most with none).
  if (!attempts.length) return [];
  const out = attempts.map((a) => ({ ...a, logLines: [] as string[] }));
  const add = (i: number, line: string): void => {
    const a = out[i];
    if (a && a.logLines.length < MAX_LINES && !a.logLines.includes(line)) a.logLines.push(line);
  };
  for (const section of sectionsOf(log)) {
    for (const line of section.lines) {
      if (!isNetworkErrorLine(line)) continue;
      const text = line.trim();
      const named = out.map((a, i) => ({ a, i })).filter(({ a }) => (a.hostname && line.includes(a.hostname)) || lineHasAddress(line, a.address));
      if (named.length) {
        for (const { i } of named) add(i, text);
        continue;
      }
      const samePhase = out.map((a, i) => ({ a, i })).filter(({ a }) => !a.allowed && section.phase !== undefined && a.phase === section.phase);
      const candidates = samePhase.length ? samePhase : out.map((a, i) => ({ a, i })).filter(({ a }) => !a.allowed);
      if (samePhase.length || candidates.length === 1) for (const { i } of candidates) add(i, text);
    }
  }
  return out.map((a) => {
    if (a.logLines.length) return a;
    const { logLines: _none, ...rest } = a;
    return rest;
  });
}

/** Whether the line names the address as a whole (203.0.113.3 is not in 203.0.113.30 or 1203.0.113.3). */
export function lineHasAddress(line: string, address: string): boolean {
  const part = address.includes(':') ? /[0-9A-Fa-f:]/ : /[0-9]/;
  for (let at = line.indexOf(address); at >= 0; at = line.indexOf(address, at + 1)) {
    const before = line[at - 1] ?? ' ';
    const after = line.slice(at + address.length, at + address.length + 2);
    const joinsBefore = part.test(before) || (before === '.' && !address.includes(':'));
    const joinsAfter = part.test(after[0] ?? ' ') || (after[0] === '.' && /[0-9]/.test(after[1] ?? ''));
    if (!joinsBefore && !joinsAfter) return true;
  }
  return false;
}

/**
 * has_version/best_version answer from the package database (${EROOT}/var/db/pkg). A host that is not Gentoo
 * has none, so every query says "not installed" (has_version returns 1, best_version prints nothing) and a
 * phase that needs the answer dies on it. Recognised in Portage's die block: the quoted code calls one of
 * these queries (`has_version ... || die`), or the die message is the one ::gentoo's Python eclasses give when
 * no implementation passes their has_version check (python-any-r1 python_setup).
 */
const PACKAGE_QUERY_CODE = /\b(?:has_version|best_version|python_has_version|python_is_installed)\b/;
const PACKAGE_QUERY_DIE = /No supported Python implementation installed|No Python implementation found for the build/;

/** The die block's lines that show a phase died on a package query ([] when it did not). */
export function packageQueryDeath(log: string): string[] {
  const lines = log.split('\n').map(cleanLine);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (!/ERROR: .* failed \(/.test(line)) continue;
    // The block: the die message, the call stack, "The specific snippet of code:", up to Portage's support text.
    let snippet = false;
    for (let j = i + 1; j < lines.length && j < i + 40; j++) {
      const l = lines[j] as string;
      if (/If you need support, post the output|The complete build log is located/.test(l) || / ERROR: .* failed \(/.test(l)) break;
      if (/The specific snippet of code:/.test(l)) {
        snippet = true;
        continue;
      }
      const text = l.replace(/^\s*\*\s?/, '').trim();
      if (snippet ? PACKAGE_QUERY_CODE.test(text) : PACKAGE_QUERY_DIE.test(text)) out.push(text);
    }
    if (out.length) return [line.trim(), ...out];
  }
  return [];
}
