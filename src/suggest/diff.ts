/**
 * Unified diffs of whole texts, and applying them back: pure, no I/O. Enough for ebuilds (a few hundred lines):
 * a longest-common-subsequence of lines, hunks with three lines of context, `--- a/PATH` / `+++ b/PATH` headers
 * as git writes them (so `git apply` and `patch -p1` take the patch in the repository's top directory).
 */

export const CONTEXT = 3;

type Op = { readonly op: ' ' | '-' | '+'; readonly line: string };

/** Lines of a text, and whether it ends with a newline (a last line without one is marked in the diff). */
function splitLines(text: string): { lines: string[]; eol: boolean } {
  if (text === '') return { lines: [], eol: true };
  const eol = text.endsWith('\n');
  const lines = (eol ? text.slice(0, -1) : text).split('\n');
  return { lines, eol };
}

function lcsOps(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const w = m + 1;
  const len = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      len[i * w + j] = a[i] === b[j] ? (len[(i + 1) * w + j + 1] as number) + 1 : Math.max(len[(i + 1) * w + j] as number, len[i * w + j + 1] as number);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      ops.push({ op: ' ', line: a[i++] as string });
      j++;
    } else if ((len[(i + 1) * w + j] as number) >= (len[i * w + j + 1] as number)) ops.push({ op: '-', line: a[i++] as string });
    else ops.push({ op: '+', line: b[j++] as string });
  }
  while (i < n) ops.push({ op: '-', line: a[i++] as string });
  while (j < m) ops.push({ op: '+', line: b[j++] as string });
  return ops;
}

/** A unified diff from `before` to `after`, file `file` (repository-relative); '' when they are equal. */
export function unifiedDiff(file: string, before: string, after: string): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  // Compare the last lines with their newline state, so a change of it alone is a change.
  const mark = (s: { lines: string[]; eol: boolean }) => s.lines.map((l, i) => (i === s.lines.length - 1 && !s.eol ? `${l}\u0000` : l));
  const ops = lcsOps(mark(a), mark(b));
  const out = [`--- a/${file}`, `+++ b/${file}`];
  const changed = ops.map((o, k) => (o.op !== ' ' ? k : -1)).filter((k) => k >= 0);
  let k = 0;
  while (k < changed.length) {
    const start = Math.max(0, (changed[k] as number) - CONTEXT);
    let end = (changed[k] as number) + CONTEXT;
    while (k + 1 < changed.length && (changed[k + 1] as number) - CONTEXT <= end + 1) end = (changed[++k] as number) + CONTEXT;
    end = Math.min(ops.length - 1, end);
    k++;
    // Line numbers: count old/new lines before `start`.
    let oldLine = 1;
    let newLine = 1;
    for (let x = 0; x < start; x++) {
      if ((ops[x] as Op).op !== '+') oldLine++;
      if ((ops[x] as Op).op !== '-') newLine++;
    }
    const body: string[] = [];
    let oldCount = 0;
    let newCount = 0;
    for (let x = start; x <= end; x++) {
      const o = ops[x] as Op;
      if (o.op !== '+') oldCount++;
      if (o.op !== '-') newCount++;
      const noEol = o.line.endsWith('\u0000');
      body.push(`${o.op}${noEol ? o.line.slice(0, -1) : o.line}`);
      if (noEol) body.push('\\ No newline at end of file');
    }
    const range = (line: number, count: number) => `${count === 0 ? line - 1 : line}${count === 1 ? '' : `,${count}`}`;
    out.push(`@@ -${range(oldLine, oldCount)} +${range(newLine, newCount)} @@`, ...body);
  }
  return out.join('\n') + '\n';
}

/** Why a patch does not apply. */
export class PatchError extends Error {
  readonly code = 'EPATCH';
}

/**
 * Apply a unified diff (as unifiedDiff writes it: one file, exact context) to `text`. Throws PatchError naming
 * the hunk whose context does not match: nothing is fuzzed.
 */
export function applyPatch(text: string, patch: string): string {
  const src = splitLines(text);
  const lines = patch.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out: string[] = [];
  let eol = src.eol;
  let pos = 0;
  let i = 0;
  while (i < lines.length && !(lines[i] as string).startsWith('@@')) i++;
  if (i === lines.length) throw new PatchError('no hunk in the patch');
  while (i < lines.length) {
    const header = lines[i] as string;
    const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(header);
    if (!m) throw new PatchError(`bad hunk header: ${header}`);
    const oldStart = Number(m[1]);
    const oldCount = m[2] === undefined ? 1 : Number(m[2]);
    const at = oldCount === 0 ? oldStart : oldStart - 1;
    if (at < pos || at > src.lines.length) throw new PatchError(`hunk ${header} is out of range`);
    out.push(...src.lines.slice(pos, at));
    pos = at;
    i++;
    for (; i < lines.length && !(lines[i] as string).startsWith('@@'); i++) {
      const l = lines[i] as string;
      if (l.startsWith('\\')) {
        // "\ No newline at end of file": about the line before it.
        const prev = lines[i - 1] as string;
        if (prev.startsWith('+') || prev.startsWith(' ')) eol = false;
        continue;
      }
      const op = l[0];
      const body = l.slice(1);
      if (op === ' ' || op === '-') {
        if (src.lines[pos] !== body) throw new PatchError(`hunk ${header} does not apply: expected ${JSON.stringify(body)} at line ${pos + 1}, found ${JSON.stringify(src.lines[pos] ?? '(end of file)')}`);
        pos++;
        if (op === ' ') out.push(body);
        if (pos === src.lines.length && op === '-') eol = true;
      } else if (op === '+') {
        out.push(body);
        eol = true;
      } else if (l === '') {
        throw new PatchError(`hunk ${header}: an empty line (a context line lost its leading space?)`);
      } else {
        throw new PatchError(`hunk ${header}: unexpected line ${JSON.stringify(l)}`);
      }
    }
  }
  const rest = src.lines.slice(pos);
  if (rest.length) eol = src.eol;
  out.push(...rest);
  if (!out.length) return '';
  return out.join('\n') + (eol ? '\n' : '');
}
