/**
 * The terminal summary, read in five seconds: per build the verdict first, then one line per attempt, the
 * findings with their hints, and the capture statistics. The only module that imports chalk.
 *
 * ```
 * BREAKS  curl -sS http://anything.example.org/  (exit 6, 0.02 s)
 *   dns  anything.example.org A     via 10.255.255.53:53  ×2  refused
 *   dns  anything.example.org AAAA  via 10.255.255.53:53  ×2  refused
 *   DnsLookup: looked up anything.example.org (A) ×2 via 10.255.255.53:53
 *     hint: tests that need the internet must be skipped under network-sandbox
 *   capture: 8 packets, 0 dropped
 * ```
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { endpoint, explanationLines, exitText, fixFor, formatDuration, interfaceQueryLine, observerText, processText, shownAttempt, subjectText, suggestionText, verificationLines, verificationRounds } from '../model/format.js';
import type { Attempt, BuildResult, Finding, Level, Report, Verdict } from '../model/types.js';

export interface TerminalOptions {
  /** Colours on or off; decide with colorEnabled(stream, env) unless the user forced it. */
  readonly color: boolean;
  /** Terminal width: finding messages and hints are wrapped to it. Default: no wrapping. */
  readonly width?: number;
}

/** Verdicts from the most to the least severe, the order of the total line. */
const SEVERITY: readonly Verdict[] = ['breaks', 'tolerates', 'fails-without-network', 'clean'];

/**
 * Whether to colour output written to `stream`: FORCE_COLOR wins when set (`0`/`false` turn colours off, any
 * other value on), then NO_COLOR (set and not empty) and TERM=dumb turn them off; otherwise only a TTY gets them.
 */
export function colorEnabled(stream: { readonly isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** The human summary of a report, ending with a newline. */
export function renderTerminal(report: Report, options: TerminalOptions): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const width = options.width !== undefined && options.width >= 40 ? options.width : undefined;
  const blocks = report.builds.map((b) => renderBuild(b, c, width).join('\n'));
  let text = blocks.join(report.builds.length > 1 ? '\n\n' : '\n');
  if (report.builds.length > 1) text += `\n\n${totalLine(report, c)}`;
  else if (report.builds.length === 0) text = c.dim('no builds');
  return `${text}\n`;
}

function renderBuild(b: BuildResult, c: ChalkInstance, width: number | undefined): string[] {
  // An intercepted run answered the build: its verdict is an observation, so the header leads with that and
  // names the verdict only as judged (the JSON keeps `verdict` as computed, with `intercepted: true`).
  const label = b.intercepted
    ? `${c.cyan.bold('INTERCEPTED')} ${c.cyan(`(observation, not a network-sandbox verdict; as judged: ${b.verdict})`)}`
    : verdictLabel(b.verdict, c);
  const lines = [`${label}  ${c.bold(b.name)}  ${c.dim(`(${exitText(b)}, ${formatDuration(b.durationMs)})`)}`];
  lines.push(...attemptLines(b.attempts, c));
  // The build listing its network interfaces (only lo under network-sandbox): one line each, after the attempts.
  for (const q of b.interfaceQueries ?? []) lines.push(...wrap(`interfaces  ${interfaceQueryLine(q)}`, '  ', '    ', width).map((l) => (q.failure && !q.allowed ? l.replace(/^ {2}interfaces/, `  ${c.red('interfaces')}`) : l)));
  for (const f of b.findings) lines.push(...findingLines(f, c, width));
  // --explain: the `wanted` column above came from an intercepted rerun; say so, and what only the rerun saw.
  explanationLines(b).forEach((l, i) => lines.push(...wrap(l, i === 0 ? '  ' : '    ', i === 0 ? '    ' : '      ', width).map((w) => c.cyan(w))));
  for (const sg of b.suggestions ?? []) {
    lines.push(...wrap(oneLine(suggestionText(sg)), '  ', '    ', width).map((l, i) => (i === 0 ? l.replace(/^ {2}suggestion/, `  ${c.green('suggestion')}`) : l)));
    for (const v of verificationLines(sg)) lines.push(...wrap(oneLine(v.text), '    ', '      ', width).map((l) => (v.verified ? c.green(l) : c.yellow(l))));
    for (const l of (sg.patch ?? '').replace(/\n$/, '').split('\n').filter(Boolean)) lines.push(`    ${l.startsWith('+') ? c.green(l) : l.startsWith('-') ? c.red(l) : c.dim(l)}`);
  }
  for (const change of b.changes ?? []) lines.push(...wrap(`note: ${change}`, '  ', '    ', width).map((l) => c.dim(l)));
  lines.push(captureLine(b, c));
  lines.push(...observerLines(b, c));
  return lines;
}

function verdictLabel(v: Verdict, c: ChalkInstance): string {
  return verdictPaint(v, c)(v.toUpperCase());
}

/**
 * The verdict as every terminal output names it, `BREAKS`, in its colour when `color` (decide with
 * colorEnabled): for lines written elsewhere (report/ebuild-lines.ts), so that no other module writes colours.
 */
export function verdictText(v: Verdict, color: boolean): string {
  return verdictLabel(v, new Chalk({ level: color ? 1 : 0 }));
}

/** clean green, tolerates yellow, breaks red bold, fails-without-network magenta. */
function verdictPaint(v: Verdict, c: ChalkInstance): (s: string) => string {
  switch (v) {
    case 'clean':
      return c.green;
    case 'tolerates':
      return c.yellow;
    case 'breaks':
      return c.red.bold;
    case 'fails-without-network':
      return c.magenta;
  }
}

/** A table cell: plain text (measured for alignment) and how to colour it; empty when not known. */
interface Cell {
  text: string;
  paint?: (s: string) => string;
}

/**
 * One row per attempt, in columns: kind, what, where, ×count, phase, test, process, outcome, allowed. Columns empty in
 * every row are left out; the others are aligned.
 */
function attemptLines(attempts: readonly Attempt[], c: ChalkInstance): string[] {
  const rows = attempts.map((a) => attemptRow(shownAttempt(a), c));
  const columns = (rows[0] ?? []).map((_, i) => i).filter((i) => rows.some((r) => r[i]?.text));
  const widths = columns.map((i) => Math.max(...rows.map((r) => r[i]?.text.length ?? 0)));
  return rows.map((row) => {
    const parts = columns.map((i, k) => {
      const cell = row[i] ?? { text: '' };
      const padded = cell.text.padEnd(widths[k] ?? 0);
      return cell.paint && cell.text ? cell.paint(cell.text) + padded.slice(cell.text.length) : padded;
    });
    return `  ${parts.join('  ')}`.trimEnd();
  });
}

function attemptRow(a: Attempt, c: ChalkInstance): Cell[] {
  return [
    { text: a.kind },
    { text: what(a) },
    { text: where(a) },
    { text: a.wanted !== undefined ? `wanted ${a.wanted}` : '', paint: c.cyan },
    { text: `×${a.count}`, paint: c.bold },
    { text: a.phase ? `in ${a.phase}` : '' },
    { text: a.test ? `test ${a.test}` : '' },
    { text: a.process ? `by ${processText(a.process)}` : '' },
    { text: a.outcome ?? '', paint: a.allowed ? c.dim : c.red },
    { text: a.allowed ? (a.allowedBy ? `allowed (${a.allowedBy})` : 'allowed') : '', paint: c.green },
  ];
}

/** What was wanted: the DNS name and type, the destination, the echo target, the socket path. */
function what(a: Attempt): string {
  const name = a.hostname ? ` (${a.hostname})` : '';
  switch (a.kind) {
    case 'dns':
      return [a.hostname ?? '(unknown name)', a.qtype].filter(Boolean).join(' ');
    case 'icmp':
      return `echo ${a.address}${name}`;
    case 'unix':
      return a.address;
    default:
      return `${endpoint(a.address, a.port)}${name}`;
  }
}

/** Where it went: the resolver for DNS, the scope otherwise. */
function where(a: Attempt): string {
  return a.kind === 'dns' ? `via ${endpoint(a.address, a.port)}` : a.scope;
}

function levelPaint(level: Level, c: ChalkInstance): (s: string) => string {
  switch (level) {
    case 'error':
      return c.red;
    case 'warning':
      return c.yellow;
    case 'style':
      return c.cyan;
    case 'info':
      return c.blue;
  }
}

function findingLines(f: Finding, c: ChalkInstance, width: number | undefined): string[] {
  const lines = wrap(`${f.keyword}: ${oneLine(f.message)}`, '  ', '    ', width);
  // The keyword starts the first line, after the indent: colour it by level.
  const first = lines[0] ?? '';
  lines[0] = `  ${levelPaint(f.level, c)(f.keyword)}${first.slice(2 + f.keyword.length)}`;
  if (f.hint) lines.push(...wrap(`hint: ${oneLine(f.hint)}`, '    ', '      ', width).map((l) => c.dim(l)));
  return lines;
}

function captureLine(b: BuildResult, c: ChalkInstance): string {
  const { packets, dropped, undecodable, files } = b.capture;
  let text = `  capture: ${packets} packet${packets === 1 ? '' : 's'}, `;
  text += dropped > 0 ? c.yellow.bold(`${dropped} dropped by the kernel — attempts may be missing`) : `${dropped} dropped`;
  if (undecodable) text += `, ${c.yellow(`${undecodable} undecodable`)}`;
  if (files?.length) text += `, kept in ${files.join(' ')}`;
  return text;
}

/** The syscall observer (observerText): highlighted when it lost records; dim when it did not run; its notes. */
function observerLines(b: BuildResult, c: ChalkInstance): string[] {
  const text = observerText(b.observer);
  if (!b.observer || text === undefined) return [];
  if (!b.observer.available) return [c.dim(`  observer: ${oneLine(text)}`)];
  const lost = b.observer.lost ?? 0;
  const line = lost > 0 ? text.replace(/\d+ lost.*$/, (m) => c.yellow.bold(m)) : text;
  return [`  observer: ${line}`, ...(b.observer.notes ?? []).map((n) => c.dim(`    note: ${oneLine(n)}`))];
}

function totalLine(report: Report, c: ChalkInstance): string {
  const n = report.builds.length;
  const parts = SEVERITY.map((v) => {
    const count = report.summary[v];
    const text = `${count} ${v}`;
    return count ? verdictPaint(v, c)(text) : c.dim(text);
  });
  return `${c.bold(`${n} builds:`)} ${parts.join(', ')}`;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

/** Word-wrap `text` to `width`: the first line indented by `first`, the rest by `rest`. No width: one line. */
function wrap(text: string, first: string, rest: string, width: number | undefined): string[] {
  if (width === undefined || first.length + text.length <= width) return [first + text];
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(' ')) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = rest + word;
    } else {
      line += (empty ? '' : ' ') + word;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}

/**
 * pkgcheck's Str reporter style, one line per finding: `category/package-version: Keyword: message` for ebuild
 * builds, `name: Keyword: message` for commands; a suggestion verified in several rounds (--verify) adds one line
 * per round after the build's findings: `cat/PF: verify round 2 of 2 (deselect-tests, adds ID): verified: TEXT`.
 * Ends with a newline unless there are no lines.
 */
export function renderPkgcheckLines(report: Report): string {
  const lines: string[] = [];
  for (const b of report.builds) {
    const subject = subjectText(b);
    for (const f of b.findings) {
      const fix = fixFor(b, f.attempt);
      lines.push(`${subject}: ${f.keyword}: ${oneLine(f.message)}${fix ? ` (fix: ${oneLine(fix)})` : ''}`);
    }
    // A verification that took several rounds (--verify widened the patch): one line per round, after the findings.
    for (const s of b.suggestions ?? []) {
      const rounds = verificationRounds(s);
      for (const r of rounds) {
        const adds = r.added.length ? `, adds ${r.added.join(', ')}` : '';
        lines.push(`${subject}: verify round ${r.round} of ${rounds.length} (${s.cause}${adds}): ${r.outcome}: ${oneLine(r.verification)}`);
      }
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
