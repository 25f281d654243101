/**
 * The per-ebuild lines `netaudit ebuild` prints (src/report/ebuild-lines.ts) and the one colour decision:
 * the verdict is coloured by the terminal reporter's chalk layer, exactly as in the summary; whether to colour
 * is colorEnabled's answer everywhere (FORCE_COLOR colours a pipe, NO_COLOR and TERM=dumb turn colour off); no
 * module outside the chalk layer writes an escape sequence of its own (the source is read to check).
 *
 * The last block runs the real `netaudit ebuild` (@privileged @portage) with stdout a pipe and a terminal.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildResult, Report, Verdict } from '../../src/model/types.js';
import { VERDICTS } from '../../src/model/types.js';
import { renderEbuildLines } from '../../src/report/ebuild-lines.js';
import { colorEnabled, renderTerminal, verdictText } from '../../src/report/terminal.js';
import { CLI, run } from '../helpers/cli.js';
import { requirePortage } from '../helpers/portage.js';
import { requirePrivileges } from '../helpers/privileged.js';
import { EXAMPLES, ROOT, readJson } from './helpers.js';

/** Any CSI escape sequence (colours and cursor controls alike). */
// eslint-disable-next-line no-control-regex
const CSI = /\u001b\[/;

function ebuildBuild(): BuildResult {
  const r = readJson(path.join(EXAMPLES, 'ebuild-test-network-breaks.json')) as Report;
  return r.builds[0] as BuildResult;
}

/** Every .ts file below `dir`, relative to ROOT. */
function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((name) => {
    const rel = path.join(dir, name);
    if (statSync(path.join(ROOT, rel)).isDirectory()) return sources(rel);
    return rel.endsWith('.ts') ? [rel] : [];
  });
}

describe('ebuild lines and the colour decision', () => {
  it('plain: subject, verdict in capitals and the blocked phases, then the findings, no escape at all', () => {
    const text = renderEbuildLines(ebuildBuild());
    assert.doesNotMatch(text, CSI);
    assert.equal(text.split('\n')[0], 'dev-python/mirrorlist-2.1: BREAKS (test)');
    assert.equal(renderEbuildLines(ebuildBuild(), { color: false }), text);
  });

  it('coloured: the verdict only, with the very bytes of the terminal summary (chalk)', () => {
    const b = ebuildBuild();
    const text = renderEbuildLines(b, { color: true });
    const first = text.split('\n')[0] as string;
    assert.equal(first, `dev-python/mirrorlist-2.1: ${verdictText('breaks', true)} (test)`);
    assert.equal(verdictText('breaks', true), '\u001b[31m\u001b[1mBREAKS\u001b[22m\u001b[39m');
    assert.ok(renderTerminal(readJson(path.join(EXAMPLES, 'ebuild-test-network-breaks.json')) as Report, { color: true }).startsWith(verdictText('breaks', true)));
    assert.equal(text.split('\n').slice(1).join('\n'), renderEbuildLines(b).split('\n').slice(1).join('\n'), 'the other lines are uncoloured');
    const painted: Record<Verdict, string> = {
      clean: '\u001b[32mCLEAN\u001b[39m',
      tolerates: '\u001b[33mTOLERATES\u001b[39m',
      breaks: '\u001b[31m\u001b[1mBREAKS\u001b[22m\u001b[39m',
      'fails-without-network': '\u001b[35mFAILS-WITHOUT-NETWORK\u001b[39m',
    };
    for (const v of VERDICTS) {
      assert.equal(verdictText(v, true), painted[v], v);
      assert.equal(verdictText(v, false), v.toUpperCase(), v);
      assert.ok(renderEbuildLines({ ...b, verdict: v }, { color: true }).includes(`: ${painted[v]}`), v);
    }
  });

  it("colorEnabled decides for the ebuild lines: FORCE_COLOR colours a pipe, NO_COLOR and TERM=dumb turn a TTY's colour off", () => {
    const b = ebuildBuild();
    const lines = (stream: { isTTY?: boolean }, env: Record<string, string>) => renderEbuildLines(b, { color: colorEnabled(stream, env) });
    const pipe = { isTTY: false };
    const tty = { isTTY: true };
    assert.match(lines(pipe, { FORCE_COLOR: '1' }), CSI, 'FORCE_COLOR=1, not a TTY');
    assert.match(lines(tty, {}), CSI, 'a TTY');
    assert.doesNotMatch(lines(pipe, {}), CSI, 'a pipe');
    assert.doesNotMatch(lines(tty, { NO_COLOR: '1' }), CSI, 'NO_COLOR=1');
    assert.doesNotMatch(lines(tty, { TERM: 'dumb' }), CSI, 'TERM=dumb');
    assert.doesNotMatch(lines(tty, { FORCE_COLOR: '0' }), CSI, 'FORCE_COLOR=0');
  });

  it('no escape sequence is written in src/ outside the chalk layer (src/report/terminal.ts)', () => {
    // Cursor controls that are not colour, each where it is allowed: the sweep progress line erases itself.
    const allowed: Record<string, readonly string[]> = { 'src/sweep/progress.ts': ['\\x1b[K'] };
    // eslint-disable-next-line no-control-regex
    const escape = /\\x1b\[[0-9;]*[A-Za-z]?|\\u001b\[[0-9;]*[A-Za-z]?|\\u\{1b\}\[[0-9;]*[A-Za-z]?|\\033\[[0-9;]*[A-Za-z]?|\\e\[[0-9;]*[A-Za-z]?|\u001b\[/g;
    const found: string[] = [];
    for (const file of sources('src')) {
      if (file === path.join('src', 'report', 'terminal.ts')) continue;
      for (const m of readFileSync(path.join(ROOT, file), 'utf8').matchAll(escape)) {
        if (!(allowed[file] ?? []).includes(m[0])) found.push(`${file}: ${JSON.stringify(m[0])}`);
      }
    }
    assert.deepEqual(found, []);
  });

  it('every place that decides colour asks colorEnabled; only it reads FORCE_COLOR, NO_COLOR and TERM', () => {
    const readsEnv = /\benv\.(?:FORCE_COLOR|NO_COLOR|TERM)\b|\benv\[['"](?:FORCE_COLOR|NO_COLOR|TERM)['"]\]/;
    for (const file of sources('src')) {
      if (file === path.join('src', 'report', 'terminal.ts')) continue;
      assert.doesNotMatch(readFileSync(path.join(ROOT, file), 'utf8'), readsEnv, file);
    }
    // Each default for --color: the ebuild lines (stdout), the summary (stderr), `report render` (stdout).
    for (const file of ['src/cli/commands/ebuild.ts', 'src/cli/output.ts', 'src/cli/commands/report.ts']) {
      const defaults = readFileSync(path.join(ROOT, file), 'utf8')
        .split('\n')
        .filter((l) => /\b(?:args|options)\.color \?\?/.test(l));
      assert.ok(defaults.length > 0, `${file}: a default for --color`);
      for (const l of defaults) assert.match(l, /colorEnabled\(process\.std(?:out|err), process\.env\)/, `${file}: ${l.trim()}`);
    }
  });
});

describe('netaudit ebuild: colour of the lines on a pipe and on a terminal @privileged @portage', function () {
  this.timeout(300_000);
  let tmp: string;
  const EBUILD = path.join(ROOT, 'fixtures/repo/net-test/clean-build/clean-build-1.ebuild');

  before(function () {
    requirePrivileges(this);
    requirePortage(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-colour-'));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  /**
   * The verdict line `netaudit ebuild` prints for the clean fixture, with `set` added to an environment without
   * colour variables; stdout a pipe, or (tty) a terminal made by util-linux script(1).
   */
  async function verdictLine(set: Record<string, string>, tty = false): Promise<string> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of ['FORCE_COLOR', 'NO_COLOR', 'TERM']) delete env[k];
    // Colours only: the observer's seconds of attach add nothing here.
    const argv = [process.execPath, CLI, 'ebuild', '--no-observe', '--log-dir', path.join(tmp, 'logs'), '--fail-on', 'never', EBUILD];
    const quoted = argv.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const ran = await run(tty ? ['script', '-qec', quoted, '/dev/null'] : argv, { env: { ...env, ...set } });
    assert.equal(ran.code, 0, ran.stderr);
    const line = ran.stdout.split(/\r?\n/).find((l) => l.startsWith('net-test/clean-build-1: '));
    assert.ok(line !== undefined, ran.stdout);
    return line;
  }

  it('on a pipe: FORCE_COLOR=1 colours them, nothing else does', async () => {
    assert.equal(await verdictLine({ FORCE_COLOR: '1' }), 'net-test/clean-build-1: \u001b[32mCLEAN\u001b[39m');
    assert.equal(await verdictLine({}), 'net-test/clean-build-1: CLEAN');
  });

  it('on a terminal: coloured, unless NO_COLOR=1 or TERM=dumb', async function () {
    if (spawnSync('script', ['--version']).status !== 0) this.skip();
    assert.equal(await verdictLine({ TERM: 'xterm' }, true), 'net-test/clean-build-1: \u001b[32mCLEAN\u001b[39m');
    assert.equal(await verdictLine({ TERM: 'xterm', NO_COLOR: '1' }, true), 'net-test/clean-build-1: CLEAN');
    assert.equal(await verdictLine({ TERM: 'dumb' }, true), 'net-test/clean-build-1: CLEAN');
  });
});

describe('ebuild lines of a cached result', () => {
  it('say on the first line that the result came from the cache, and when it was built', () => {
    const b: BuildResult = { ...ebuildBuild(), verdict: 'clean', attempts: [], findings: [], cached: { createdAt: '2026-01-01T12:00:00.000Z', key: 'f'.repeat(64) } };
    const first = renderEbuildLines(b).split('\n')[0];
    assert.match(first ?? '', /^[a-z-]+\/[^:]+: CLEAN \[cached 2026-01-01T12:00:00\.000Z\]$/);
    assert.doesNotMatch(renderEbuildLines({ ...b, cached: undefined }), /cached/);
  });
});
