/**
 * Edits of ebuild text in the style of ::gentoo, pure: where the global scope ends (the place a new variable
 * goes), adding test ids to EPYTEST_DESELECT (into the existing array, in its style), adding a token to
 * PROPERTIES or RESTRICT. A small reader of bash's top level, enough for ebuilds: quotes, escapes, comments,
 * arrays, line continuations, and if/case/for/while blocks; never a bash interpreter.
 */

/** A top-level statement of the ebuild: its first and last line (0-based, inclusive). */
export interface Statement {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

const FUNCTION_START = /^\s*(?:function\s+)?[A-Za-z_][A-Za-z0-9_+-]*\s*\(\)\s*(?:\{.*)?$/;
const BLOCK_OPEN = /^(?:if|case|for|while|until|select)\b/;
const BLOCK_CLOSE = /^(?:fi|esac|done)\b/;

/** Quote and paren state after a line, carried over from `state`. */
interface Scan {
  quote: '' | "'" | '"';
  parens: number;
  continued: boolean;
}

function scanLine(line: string, state: Scan): Scan {
  let { quote, parens } = state;
  let continued = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = '';
      continue;
    }
    if (c === '\\') {
      if (i === line.length - 1) continued = quote === '';
      i++;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = '';
      continue;
    }
    if (c === '#' && (i === 0 || /\s/.test(line[i - 1] as string))) break;
    if (c === "'" || c === '"') quote = c;
    else if (c === '(') parens++;
    else if (c === ')') parens = Math.max(0, parens - 1);
  }
  return { quote, parens, continued };
}

/**
 * The top-level statements before the first function definition (or to the end), and that function's line
 * (the number of lines when there is none). Comments and blank lines are not statements.
 */
export function globalScope(lines: readonly string[]): { statements: Statement[]; firstFunction: number } {
  const statements: Statement[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      i++;
      continue;
    }
    if (FUNCTION_START.test(line)) return { statements, firstFunction: i };
    const start = i;
    let state: Scan = { quote: '', parens: 0, continued: false };
    let blocks = 0;
    for (;;) {
      const l = lines[i] as string;
      const t = l.trim();
      if (state.quote === '' && state.parens === 0 && !state.continued) {
        if (BLOCK_OPEN.test(t)) blocks++;
        if (BLOCK_CLOSE.test(t)) blocks = Math.max(0, blocks - 1);
      }
      state = scanLine(l, state);
      i++;
      if ((state.quote === '' && state.parens === 0 && !state.continued && blocks === 0) || i >= lines.length) break;
    }
    statements.push({ start, end: i - 1, text: lines.slice(start, i).join('\n') });
  }
  return { statements, firstFunction: lines.length };
}

/** The line after which a new global variable goes: after the last top-level statement before the first function. */
export function insertionLine(lines: readonly string[]): number {
  const { statements } = globalScope(lines);
  const last = statements[statements.length - 1];
  return last ? last.end : -1;
}

/** Insert a block of lines as its own paragraph (a blank line before it) after line `after`. */
function insertParagraph(lines: readonly string[], after: number, block: readonly string[]): string[] {
  const out = [...lines.slice(0, after + 1)];
  if (out.length && (out[out.length - 1] as string).trim() !== '') out.push('');
  out.push(...block);
  const rest = lines.slice(after + 1);
  if (rest.length && (rest[0] as string).trim() !== '') out.push('');
  return [...out, ...rest];
}

/** Shell words of a one-line array body (`a 'b c' "d"`), with their quoting as written. */
function shellWords(body: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (quote) {
      cur += c;
      if (c === quote) quote = '';
    } else if (c === "'" || c === '"') {
      quote = c;
      cur += c;
    } else if (c === '\\') {
      cur += c + (body[i + 1] ?? '');
      i++;
    } else if (/\s/.test(c)) {
      if (cur) words.push(cur);
      cur = '';
    } else if (c === '#' && !cur) {
      break;
    } else cur += c;
  }
  if (cur) words.push(cur);
  return words;
}

function unquote(word: string): string {
  return word.replace(/^(['"])(.*)\1$/, '$2');
}

/** A test id as a bash word: bare when it is safe, else in the quoting the array uses (single by default). */
function quoteId(id: string, style: '' | "'" | '"'): string {
  const q = style || (/^[A-Za-z0-9_./:@%+=,-]+$/.test(id) ? '' : "'");
  if (q === "'") return `'${id.replace(/'/g, `'\\''`)}'`;
  if (q === '"') return `"${id.replace(/(["\\$`])/g, '\\$1')}"`;
  return id;
}

export interface DeselectEdit {
  /** The new text (equal to the old one when every id was already there). */
  readonly text: string;
  /** Ids added. */
  readonly added: string[];
  /** Ids already in the array. */
  readonly present: string[];
  /** Whether an existing array was extended (else a new one was added). */
  readonly existing: boolean;
}

const DESELECT_START = /^(\s*)(?:local\s+)?EPYTEST_DESELECT\+?=\(/;

/**
 * Add `ids` to EPYTEST_DESELECT, each with an `# Internet` comment: into the first existing
 * `EPYTEST_DESELECT=(` array (global, or local in python_test), in its indentation and quoting; else a new
 * global array after the last top-level statement before the first function, as ::gentoo ebuilds place it.
 */
export function addDeselect(text: string, ids: readonly string[], comment = 'Internet'): DeselectEdit {
  const eol = text.endsWith('\n');
  const lines = (eol ? text.slice(0, -1) : text).split('\n');
  const startIdx = lines.findIndex((l) => DESELECT_START.test(l));
  const finish = (out: string[]) => out.join('\n') + (eol ? '\n' : '');
  if (startIdx < 0) {
    const added = [...new Set(ids)];
    const block = ['EPYTEST_DESELECT=(', ...added.map((id) => `\t${quoteId(id, '')}  # ${comment}`), ')'];
    return { text: finish(insertParagraph(lines, insertionLine(lines), block)), added, present: [], existing: false };
  }
  const indent = (DESELECT_START.exec(lines[startIdx] as string) as RegExpExecArray)[1] as string;
  // The array's extent.
  let state: Scan = { quote: '', parens: 0, continued: false };
  let end = startIdx;
  for (; end < lines.length; end++) {
    state = scanLine(lines[end] as string, state);
    if (state.parens === 0 && state.quote === '') break;
  }
  end = Math.min(end, lines.length - 1);
  const head = lines[startIdx] as string;
  const open = head.indexOf('(');
  let entries: string[];
  let entryIndent = `${indent}\t`;
  let style: '' | "'" | '"' = '';
  let out: string[];
  if (end === startIdx) {
    // One line: `EPYTEST_DESELECT=( a b )` becomes one entry a line, as the tree writes longer arrays.
    const close = head.lastIndexOf(')');
    entries = shellWords(head.slice(open + 1, close));
    const firstQuoted = entries.find((w) => /^['"]/.test(w));
    style = firstQuoted ? (firstQuoted[0] as "'" | '"') : '';
    const present = ids.filter((id) => entries.map(unquote).includes(id));
    const added = [...new Set(ids.filter((id) => !present.includes(id)))];
    if (!added.length) return { text, added, present, existing: true };
    out = [
      ...lines.slice(0, startIdx),
      `${head.slice(0, open + 1)}`,
      ...entries.map((w) => `${entryIndent}${w}`),
      ...added.map((id) => `${entryIndent}${quoteId(id, style)}  # ${comment}`),
      `${indent})${head.slice(close + 1)}`,
      ...lines.slice(startIdx + 1),
    ];
    return { text: finish(out), added, present, existing: true };
  }
  const inner = lines.slice(startIdx + 1, end);
  const firstEntry = inner.find((l) => l.trim() && !l.trim().startsWith('#'));
  if (firstEntry) {
    entryIndent = (/^\s*/.exec(firstEntry) as RegExpExecArray)[0];
    const c = firstEntry.trim()[0];
    style = c === "'" || c === '"' ? c : '';
  }
  entries = inner.flatMap((l) => shellWords(l)).concat(shellWords(head.slice(open + 1)));
  const closing = lines[end] as string;
  const closeAt = closing.lastIndexOf(')');
  entries = entries.concat(shellWords(closing.slice(0, closeAt)));
  const present = ids.filter((id) => entries.map(unquote).includes(id));
  const added = [...new Set(ids.filter((id) => !present.includes(id)))];
  if (!added.length) return { text, added, present, existing: true };
  const newLines = added.map((id) => `${entryIndent}${quoteId(id, style)}  # ${comment}`);
  if (closing.slice(0, closeAt).trim() === '') {
    out = [...lines.slice(0, end), ...newLines, ...lines.slice(end)];
  } else {
    // `	last_entry )`: the entry keeps its line, the parenthesis gets its own.
    out = [...lines.slice(0, end), closing.slice(0, closeAt).replace(/\s+$/, ''), ...newLines, `${indent})${closing.slice(closeAt + 1)}`, ...lines.slice(end + 1)];
  }
  return { text: finish(out), added, present, existing: true };
}

/** Whether a token is in a variable's value at the top level (outside USE conditionals). */
function hasToken(value: string, token: string): boolean {
  let depth = 0;
  for (const w of value.split(/\s+/).filter(Boolean)) {
    if (w === '(') depth++;
    else if (w === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && w === token) return true;
  }
  return false;
}

export interface TokenEdit {
  readonly text: string;
  /** Per variable: what was done. */
  readonly done: Record<string, 'added' | 'appended' | 'present'>;
}

/**
 * Make `VAR` carry `token` for each [VAR, token], in the global scope: a one-line `VAR="..."` gets the token
 * appended inside its quotes; a longer or unquoted one gets a `VAR+=" token"` line after it; a variable not set
 * globally is added (all new ones together, after the last top-level statement). A token already there
 * unconditionally is left alone.
 */
export function addTokens(text: string, wanted: readonly (readonly [string, string])[]): TokenEdit {
  const eol = text.endsWith('\n');
  let lines = (eol ? text.slice(0, -1) : text).split('\n');
  const done: Record<string, 'added' | 'appended' | 'present'> = {};
  const missing: string[] = [];
  for (const [name, token] of wanted) {
    const { statements } = globalScope(lines);
    const sets = statements.filter((s) => new RegExp(`^${name}\\+?=`).test(s.text));
    if (!sets.length) {
      missing.push(`${name}="${token}"`);
      done[name] = 'added';
      continue;
    }
    const value = sets.map((s) => s.text.replace(new RegExp(`^${name}\\+?=`), '').replace(/^["']|["']$/g, '')).join(' ');
    if (hasToken(value, token)) {
      done[name] = 'present';
      continue;
    }
    const last = sets[sets.length - 1] as Statement;
    const one = /^([A-Z_]+\+?=)"([^"\\$`]*)"(\s*(?:#.*)?)$/.exec(last.text);
    if (last.start === last.end && one) {
      const body = (one[2] as string).replace(/\s+$/, '');
      lines = [...lines.slice(0, last.start), `${one[1]}"${body ? `${body} ` : ''}${token}"${one[3]}`, ...lines.slice(last.end + 1)];
    } else {
      lines = [...lines.slice(0, last.end + 1), `${name}+=" ${token}"`, ...lines.slice(last.end + 1)];
    }
    done[name] = 'appended';
  }
  if (missing.length) lines = insertParagraph(lines, insertionLine(lines), missing);
  return { text: lines.join('\n') + (eol ? '\n' : ''), done };
}

/** Whether the ebuild runs its tests through epytest (so EPYTEST_DESELECT reaches pytest). */
export function usesEpytest(text: string): boolean {
  const code = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .map((l) => l.replace(/\s#.*$/, ''))
    .join('\n');
  return /\bdistutils_enable_tests\s+pytest\b|\bepytest\b|\$\{?EPYTEST_DESELECT/.test(code);
}

export interface OptionEdit {
  /** The new text; undefined when no pytest call could take the option (the caller deselects instead). */
  readonly text?: string;
  /** Where it went: `epytest` (an existing call), `pytest` (the ebuild's own call), `python_test` (a new one). */
  readonly where?: 'epytest' | 'pytest' | 'python_test';
  /** Why not, when text is undefined. */
  readonly problem?: string;
}

const PYTEST_CALL = /(\bepytest\b|\bpython[0-9.]*\s+-m\s+pytest\b|(?:^|[\s;&|(])pytest\b)/;

/**
 * Add a pytest option (`-m "not network"`, `-k "not network"`) to the ebuild's pytest call, as ::gentoo writes it:
 * into every `epytest` call (python_test), else the ebuild's own `python3 -m pytest` / `pytest` call, else a new
 * `python_test() { epytest OPTION; }` when the ebuild runs tests through distutils_enable_tests pytest. A call that
 * already passes the same flag is not changed (the caller deselects instead).
 */
export function addPytestOption(text: string, flag: '-m' | '-k', expr: string): OptionEdit {
  const eol = text.endsWith('\n');
  const lines = (eol ? text.slice(0, -1) : text).split('\n');
  const option = `${flag} "${expr}"`;
  // Quoted text masked (same length, so indexes hold), comments dropped: a call is code, never a string's word.
  const code = (l: string) => l.replace(/"(?:[^"\\]|\\.)*"|'[^']*'/g, (q) => `"${'_'.repeat(q.length - 2)}"`).replace(/(^|\s)#.*$/, '');
  const inFunctions = globalScope(lines).firstFunction;
  const calls = lines.map((l, i) => [i, i >= inFunctions ? PYTEST_CALL.exec(code(l)) : null] as const).filter((x): x is readonly [number, RegExpExecArray] => x[1] !== null && !/\bdistutils_enable_tests\b/.test(lines[x[0]] as string));
  const epy = calls.filter(([, m]) => (m[1] as string).trim() === 'epytest');
  const chosen = epy.length ? epy : calls;
  if (chosen.length) {
    const out = [...lines];
    for (const [i, m] of chosen) {
      const line = out[i] as string;
      const at = m.index + (m[1] as string).length;
      if (new RegExp(`(^|\\s)${flag}(\\s|$)`).test(code(line).slice(at))) return { problem: `the pytest call on line ${i + 1} passes ${flag} already` };
      out[i] = `${line.slice(0, at)} ${option}${line.slice(at)}`;
    }
    return { text: out.join('\n') + (eol ? '\n' : ''), where: epy.length ? 'epytest' : 'pytest' };
  }
  if (/\bdistutils_enable_tests\s+pytest\b/.test(lines.map(code).join('\n'))) {
    const out = [...lines];
    if (out.length && (out[out.length - 1] as string).trim() !== '') out.push('');
    out.push('python_test() {', `\tepytest ${option}`, '}');
    return { text: out.join('\n') + (eol ? '\n' : ''), where: 'python_test' };
  }
  return { problem: 'no pytest call in the ebuild' };
}

/** The eclasses an ebuild inherits (its global `inherit` lines, continuation lines joined). */
export function inherited(lines: readonly string[]): string[] {
  return globalScope(lines)
    .statements.filter((s) => /^inherit\s/.test(s.text))
    .flatMap((s) => s.text.replace(/\\\n/g, ' ').split(/\s+/).slice(1))
    .filter((w) => /^[A-Za-z0-9_-]+$/.test(w));
}

/** The last line of the function defined at line `start`: the same line for a one-liner, else the next `}` alone at the start of a line. */
export function functionEnd(lines: readonly string[], start: number): number {
  if (/\{.*\}\s*$/.test(lines[start] as string)) return start;
  let end = start + 1;
  while (end < lines.length && !/^\}\s*$/.test(lines[end] as string)) end++;
  return Math.min(end, lines.length - 1);
}
