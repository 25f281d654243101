/**
 * How a build's parts are written for people, in one place, as pkgcheck's StrReporter.scope_prefix_map is one
 * table shared by every reporter: the subject a build is filed under, an endpoint, how a build ended, the phases
 * in which it was blocked, a duration, a process. Every reporter (src/report/) and the findings (src/verdict/)
 * use these, so the terminal, the pkgcheck lines, JUnit, the diff and the HTML page say the same thing the same
 * way. Where a reporter needs other words on purpose (a table cell, a sentence), that is a named variant here.
 *
 * Pure, no I/O; imports only types, so that verdict/ can use it without importing report/. Values are written
 * as given: escaping (safeText for messages, XML, HTML) is the caller's.
 */
import type { Attempt, BuildResult, InterfaceQuery, ObserverStatus, ProcessEnd, ProcessInfo, Suggestion } from './types.js';

/** The category command builds are filed under: they have no package of their own. */
export const COMMAND_CATEGORY = 'command';

/**
 * Where a build's results belong, in pkgcheck's terms: ebuilds are version scope (category, package, version);
 * command builds are package scope, under the category `command` with the build's name as the package.
 */
export interface Subject {
  readonly category: string;
  readonly package: string;
  /** Absent for command builds (package scope). */
  readonly version?: string;
}

/** The subject of a build: its ebuild's category/package/version, else `command` and its name. */
export function subjectOf(b: Pick<BuildResult, 'kind' | 'name' | 'ebuild'>): Subject {
  if (b.kind === 'ebuild' && b.ebuild) return { category: b.ebuild.category, package: b.ebuild.package, version: b.ebuild.version };
  return { category: COMMAND_CATEGORY, package: b.name };
}

/** `package-version`, or the package alone for command builds (their name). */
export function packageVersion(s: Subject): string {
  return s.version === undefined ? s.package : `${s.package}-${s.version}`;
}

/** What a line about a build starts with: `category/package-version` for ebuilds, the build's name for commands. */
export function subjectText(b: Pick<BuildResult, 'kind' | 'name' | 'ebuild'>): string {
  const s = subjectOf(b);
  return s.version === undefined ? b.name : `${s.category}/${packageVersion(s)}`;
}

/**
 * `192.0.2.1:80`, `[2001:db8::1]:443`, or the bare address (or socket path) when there is no port: the brackets
 * are there to set a port apart from an IPv6 address, so without a port there are none.
 */
export function endpoint(address: string, port?: number): string {
  if (port === undefined) return address;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** How a build ended, as the exit texts need it. */
export interface Ending {
  readonly exitCode: number | null;
  readonly signal?: string | null;
  readonly timedOut?: boolean;
}

/**
 * The wordings of how a build ended:
 * - `short`, after the verdict in the terminal's header: `exit 6`, `killed by SIGKILL`, `timed out, killed by
 *   SIGKILL` (or `timed out`), `no exit status`.
 * - `status`, a label on its own (JUnit, the HTML details): `exit status 6`, `killed by SIGKILL`, `timed out`,
 *   `no exit status`.
 * - `sentence`, after "the build" in a finding's message: `exited with status 6`, `was killed by SIGKILL`,
 *   `timed out`, `exited with status unknown`.
 */
export type ExitWording = 'short' | 'status' | 'sentence';

const EXIT_WORDINGS: Readonly<
  Record<ExitWording, { readonly code: (n: number) => string; readonly unknown: string; readonly killed: (signal: string) => string; readonly timedOut: (signal?: string) => string }>
> = {
  short: { code: (n) => `exit ${n}`, unknown: 'no exit status', killed: (s) => `killed by ${s}`, timedOut: (s) => (s ? `timed out, killed by ${s}` : 'timed out') },
  status: { code: (n) => `exit status ${n}`, unknown: 'no exit status', killed: (s) => `killed by ${s}`, timedOut: () => 'timed out' },
  sentence: { code: (n) => `exited with status ${n}`, unknown: 'exited with status unknown', killed: (s) => `was killed by ${s}`, timedOut: () => 'timed out' },
};

/** How the build ended, in the given wording (default `short`); a timeout first, then a signal, then the code. */
export function exitText(end: Ending, wording: ExitWording = 'short'): string {
  const w = EXIT_WORDINGS[wording];
  if (end.timedOut) return w.timedOut(end.signal || undefined);
  if (end.signal) return w.killed(end.signal);
  return end.exitCode === null ? w.unknown : w.code(end.exitCode);
}

/** The phases of the attempts that network-sandbox blocks (not allowed), each once, in the order first seen. */
export function blockedPhases(attempts: readonly Pick<Attempt, 'allowed' | 'phase'>[]): string[] {
  const phases: string[] = [];
  for (const a of attempts) if (!a.allowed && a.phase && !phases.includes(a.phase)) phases.push(a.phase);
  return phases;
}

/**
 * The phases a build breaks in: those of its blocked attempts (blockedPhases), then those where it found no
 * network interface but lo (its NoNetworkInterface findings), each once.
 */
export function breakingPhases(b: Pick<BuildResult, 'attempts' | 'findings'>): string[] {
  const phases = blockedPhases(b.attempts);
  for (const f of b.findings) if (f.keyword === 'NoNetworkInterface' && f.phase && !phases.includes(f.phase)) phases.push(f.phase);
  return phases;
}

/** A duration for people: `<0.01 s`, `0.02 s`, `12.5 s`, `2 min 05 s`, `1 h 02 min`. */
export function formatDuration(ms: number): string {
  if (ms < 5) return '<0.01 s';
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/**
 * `curl[4711]`; with `argv`, the command line follows when known: `curl[4711] curl -sS https://example.org/`.
 * comm and argv are the build's text: escaped here (safeText), as every name from a build is where it is shown.
 */
export function processText(p: ProcessInfo, options: { readonly argv?: boolean } = {}): string {
  const id = `${safeText(p.comm)}[${p.pid}]`;
  return options.argv && p.argv ? `${id} ${p.argv.map((a) => safeText(a, SHOWN_MAX)).join(' ')}` : id;
}

/**
 * The attempt with the build's text in it (address, hostname, query type, phase, test) escaped for a text
 * report. The one escaping policy: the model keeps every name as the build gave it (JSON carries any text
 * safely, and a patch needs a test id as it is); whatever shows one to a person, in a terminal, a JUnit or
 * pkgcheck line, a finding's message, escapes it with safeText(): quotes, backslashes, control bytes, odd
 * bytes and non-ASCII as \xHH, \u{H}. (`wanted` is made from raw bytes already in that form, src/analyze/intercept.ts.)
 */
export function shownAttempt<A extends Attempt>(a: A): A {
  return {
    ...a,
    address: safeText(a.address),
    ...(a.hostname !== undefined ? { hostname: safeText(a.hostname) } : {}),
    ...(a.qtype !== undefined ? { qtype: safeText(a.qtype) } : {}),
    ...(a.phase !== undefined ? { phase: safeText(a.phase) } : {}),
    ...(a.test !== undefined ? { test: safeText(a.test, SHOWN_MAX) } : {}),
  };
}

const SIGNALS: Readonly<Record<number, string>> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM' };

/** How a process ended, after its name: `exited with status 1`, `was killed by SIGABRT` (`by signal 42` without a common name). */
export function processEndText(end: Pick<ProcessEnd, 'exitCode' | 'signal'>): string {
  if (end.signal !== undefined) return `was killed by ${SIGNALS[end.signal] ?? `signal ${end.signal}`}`;
  return `exited with status ${end.exitCode ?? 'unknown'}`;
}

/**
 * One interface listing in a line, the build's text escaped: `RTM_GETLINK ×2 by python3[42] in src_test (test t):
 * exited with status 1` (`hello[43], started by it, exited with status 1` when a process it started failed);
 * `no failure after it` when none followed; `allowed (why)` when policy permits it.
 */
export function interfaceQueryLine(q: InterfaceQuery): string {
  const parts = [`${q.request}${q.count > 1 ? ` ×${q.count}` : ''}`];
  if (q.process) parts.push(`by ${processText(q.process)}`);
  if (q.phase !== undefined) parts.push(`in ${safeText(q.phase)}`);
  if (q.test !== undefined) parts.push(`(test ${safeText(q.test, SHOWN_MAX)})`);
  const f = q.failure;
  const failed = f ? (q.process && f.pid === q.process.pid ? processEndText(f) : `${safeText(f.comm)}[${f.pid}], started by it, ${processEndText(f)}`) : '';
  const tail = [failed || 'no failure after it', q.allowed ? `allowed${q.allowedBy ? ` (${q.allowedBy})` : ''}` : ''];
  return `${parts.join(' ')}: ${tail.filter(Boolean).join(', ')}`;
}

/** How much of one name is shown (a test id or an argument may be long; a host name is at most 253). */
const SHOWN_MAX = 1024;

/**
 * The syscall observer of a build in one line: `54 syscall events, 0 lost`, with `— attempts may be
 * missing` after a loss; `not used — why` when it did not run. Undefined for reports made before it existed.
 */
export function observerText(o: ObserverStatus | undefined): string | undefined {
  if (!o) return undefined;
  if (!o.available) return `not used — ${o.missing.join('; ')}`;
  const events = o.events ?? 0;
  const lost = o.lost ?? 0;
  return `${events} syscall event${events === 1 ? '' : 's'}, ${lost} lost${lost > 0 ? ' — attempts may be missing' : ''}`;
}

/** A suggestion's headline: `suggestion (deselect-tests, verified): summary`; the patch is shown apart. */
export function suggestionText(s: Suggestion): string {
  const state = s.verified === true ? ', verified' : s.verified === false ? ', NOT verified' : s.patch ? ', patch' : ', no patch';
  return `suggestion (${s.cause}${state}): ${s.summary}`;
}

/**
 * A suggestion's verification (--verify) as lines, no colour: `verify: TEXT`; when it took more than one round
 * (a verify run named a network failure the patch missed, and the widened patch was verified again), one line
 * per round instead, the last being the suggestion's own state: `verify round 2 (adds ID, ...): verified: TEXT`.
 * `verified`: that line's state, for a reporter's colour.
 */
export function verificationLines(s: Pick<Suggestion, 'verified' | 'verification' | 'rounds'>): { readonly text: string; readonly verified: boolean | undefined }[] {
  if (s.rounds && s.rounds.length > 1) {
    return s.rounds.map((r) => ({
      text: `verify round ${r.round}${r.added.length ? ` (adds ${r.added.join(', ')})` : ''}: ${r.verified ? 'verified' : 'NOT verified'}: ${r.verification}`,
      verified: r.verified,
    }));
  }
  return s.verification ? [{ text: `verify: ${s.verification}`, verified: s.verified }] : [];
}

/** One round of a suggestion's verification as the reporters show it (verificationRounds). */
export interface RoundView {
  readonly round: number;
  /** The tests this round's patch added to the previous round's (none in round 1). */
  readonly added: readonly string[];
  /** The failing tests this round's run named and its patch missed: what the next round added ([] for the last). */
  readonly missed: readonly string[];
  readonly verified: boolean;
  /** `verified` or `not verified`. */
  readonly outcome: string;
  readonly verification: string;
}

/**
 * A suggestion's verification rounds, for the reporters that show each one in their own idiom; [] when it was
 * verified in one run (or not at all): its `verification` says everything then. Each round's `missed` is what
 * the next round added (the verify run named those failing tests; the patch was widened by them).
 */
export function verificationRounds(s: Pick<Suggestion, 'rounds'>): RoundView[] {
  const rounds = s.rounds ?? [];
  if (rounds.length < 2) return [];
  return rounds.map((r, i) => ({
    round: r.round,
    added: r.added,
    missed: rounds[i + 1]?.added ?? [],
    verified: r.verified,
    outcome: r.verified ? 'verified' : 'not verified',
    verification: r.verification,
  }));
}

/**
 * The rounds in one sentence, for texts that are read as prose (a commit message): `Verified in 2 rounds: round 1
 * missed T (added in round 2); round 2 (adds T) verified.`; `Not verified after 3 rounds: ...` when the last round
 * failed. Undefined for a suggestion verified in one run (or not at all).
 */
export function roundsSentence(s: Pick<Suggestion, 'rounds'>): string | undefined {
  const rounds = verificationRounds(s);
  const last = rounds[rounds.length - 1];
  if (!last) return undefined;
  const parts = rounds.map((r) => {
    const adds = r.added.length ? ` (adds ${r.added.join(', ')})` : '';
    if (r.missed.length) return `round ${r.round}${adds} missed ${r.missed.join(', ')} (added in round ${r.round + 1})`;
    return `round ${r.round}${adds} ${r.outcome}`;
  });
  return `${last.verified ? 'Verified in' : 'Not verified after'} ${rounds.length} rounds: ${parts.join('; ')}.`;
}

/** The fix text of a finding about attempt `attempt`: the summaries of the suggestions addressing it. */
export function fixFor(b: Pick<BuildResult, 'suggestions'>, attempt: number | undefined): string | undefined {
  if (attempt === undefined) return undefined;
  const texts = (b.suggestions ?? [])
    .filter((s) => s.attempts?.includes(attempt))
    .map((s) => {
      const n = verificationRounds(s).length;
      return `${s.summary}${s.verified ? (n ? ` (verified in ${n} rounds)` : ' (verified)') : n ? ` (not verified after ${n} rounds)` : ''}`;
    });
  return texts.length ? texts.join(' ') : undefined;
}

/** Where an explained attempt's `wanted` came from, said wherever it is shown apart from the attempt table. */
export const FROM_RERUN = 'from an intercepted rerun';

/**
 * The `explanation` block (--explain) in plain lines, no colour: a head line saying that `wanted` comes from an
 * intercepted rerun (observation, not the verdict), how many attempts it explained and what the rerun cost,
 * then one line per text wanted only in the rerun (it goes further than the faithful run: nothing of it lost).
 * [] when the build has no explanation.
 */
export function explanationLines(b: Pick<BuildResult, 'attempts' | 'explanation'>): string[] {
  const e = b.explanation;
  if (!e) return [];
  if (e.error !== undefined) return [`explanation: none, the intercepted rerun could not be made: ${e.error}`];
  const head =
    `explanation: \`wanted\` comes ${FROM_RERUN} (observation, not a network-sandbox verdict; the verdict is this run's): ` +
    `${e.explained} of ${b.attempts.length} attempt${b.attempts.length === 1 ? '' : 's'} explained; the rerun: ${exitText(e)}, ${formatDuration(e.durationMs)}`;
  const known = new Set(b.attempts.map((a) => a.wanted).filter((w): w is string => w !== undefined));
  const only = e.attempts.filter((a) => a.wanted !== undefined && !known.has(a.wanted));
  const more = only.map(shownAttempt).map((a) => {
    const where = [a.hostname ? `${a.hostname} ` : '', `(${endpoint(a.address, a.port)})`, a.phase ? ` in ${a.phase}` : '', a.process ? ` by ${processText(a.process)}` : ''].join('');
    return `rerun only: wanted ${a.wanted as string}, ${where}`;
  });
  return [head, ...more];
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
