/**
 * The command line, in-process (no child process): every bad command line is a UsageError, printed by main()
 * as one line on stderr with exit code 2 from exitCodeFor; --help and --version only print; importing the
 * entry module runs nothing; the main guard recognises npm's bin symlink.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { earlyRun, errorLine, isMainModule, main, parser } from '../../src/cli/app.js';
import { BadResultsError, exitCodeFor, MissingToolError, UsageError } from '../../src/model/errors.js';
import { VERSION } from '../../src/version.js';

/** A writable stream that keeps what is written. */
function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(w, { text: () => chunks.join('') });
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(args, { stdout, stderr, env: {} });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

interface BadLine {
  readonly what: string;
  readonly args: string[];
  /** The whole of stderr. */
  readonly stderr: RegExp;
  /** UsageError.option, when the error names the option. */
  readonly option?: string;
}

// Each stops before anything privileged: the parser or the first lines of a handler reject it.
const BAD: readonly BadLine[] = [
  { what: 'unknown option', args: ['run', '--bogus', '--', 'true'], stderr: /^netaudit: Unknown argument: bogus — see netaudit --help\n$/ },
  { what: 'unknown command', args: ['frobnicate'], stderr: /^netaudit: Unknown argument: frobnicate — see netaudit --help\n$/ },
  { what: 'missing command', args: [], stderr: /^netaudit: name a command: run, ebuild, changed, sweep, watch, report, doctor, gc, hook, completion — see netaudit --help\n$/ },
  {
    what: 'bad --timeout',
    args: ['run', '--timeout', 'soon', '--', 'true'],
    stderr: /^netaudit: --timeout soon: not a duration — use seconds or a suffix, e.g. 90, 90s, 15m, 2h\n$/,
    option: '--timeout',
  },
  { what: '--timeout 0', args: ['run', '--timeout', '0', '--', 'true'], stderr: /^netaudit: --timeout 0: must be more than zero\n$/, option: '--timeout' },
  {
    what: 'bad --fail-on choice',
    args: ['run', '--fail-on', 'sometimes', '--', 'true'],
    stderr: /^netaudit: Invalid values: Argument: fail-on, Given: "sometimes", Choices: "breaks", "tolerates", "never" — see netaudit --help\n$/,
  },
  { what: 'run with no command', args: ['run'], stderr: /^netaudit: no command given — usage: netaudit run \[options\] -- COMMAND \[ARG\.\.\.\]\n$/ },
  { what: 'run with only --', args: ['run', '--'], stderr: /^netaudit: no command given — / },
  {
    what: 'sweep --jobs 0',
    args: ['sweep', 'fixtures/repo', '--out', 'never-created', '--jobs', '0'],
    stderr: /^netaudit: --jobs 0: must be a whole number of at least 1\n$/,
    option: '--jobs',
  },
  { what: 'sweep without --out', args: ['sweep', 'fixtures/repo'], stderr: /^netaudit: Missing required argument: out — see netaudit --help\n$/ },
  {
    what: 'report render --format nope',
    args: ['report', 'render', 'no-such-report.json', '--format', 'nope'],
    stderr: /^netaudit: unknown reporter "nope" — use one of terminal, json, pkgcheck, html, junit, pkgcheck-xml, pkgcheck-json\n$/,
    option: '--format',
  },
  { what: 'report without a subcommand', args: ['report'], stderr: /^netaudit: .* — see netaudit --help\n$/ },
  {
    what: 'ebuild --user x',
    args: ['ebuild', '--user', 'x', 'fixtures/repo/net-test/test-resolve/test-resolve-1.ebuild'],
    stderr: /^netaudit: --user does not apply to ebuild: Portage drops to the portage user itself \(FEATURES=userpriv\)\n$/,
    option: '--user',
  },
];

describe('cli: main and the parser, in-process', () => {
  for (const bad of BAD) {
    it(`${bad.what}: UsageError${bad.option ? ` (${bad.option})` : ''}, one line on stderr, exit 2`, async () => {
      await assert.rejects(async () => parser().parseAsync(bad.args), (e: unknown) => {
        assert.ok(e instanceof UsageError, `${String(e)} is a UsageError`);
        assert.equal(e.code, 'E_USAGE');
        assert.equal(exitCodeFor(e), 2);
        if (bad.option) assert.equal(e.option, bad.option);
        return true;
      });
      const r = await cli(bad.args);
      assert.equal(r.code, 2);
      assert.match(r.stderr, bad.stderr);
      assert.equal(r.stderr.split('\n').length, 2, `one line: ${JSON.stringify(r.stderr)}`);
      assert.equal(r.stdout, '');
    });
  }

  it('a parser is fresh each time: a failed parse leaves nothing behind for the next', async () => {
    await assert.rejects(async () => parser().parseAsync(['run', '--bogus']), UsageError);
    await assert.rejects(async () => parser().parseAsync(['run']), /no command given/);
    await assert.rejects(async () => parser().parseAsync(['run', '--fail-on', 'x', '--', 'true']), /Invalid values/);
  });

  it('--version prints the version on stdout, exit 0', async () => {
    const r = await cli(['--version']);
    assert.deepEqual(r, { code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('--help prints every command on stdout, exit 0; run --help its options', async () => {
    const top = await cli(['--help']);
    assert.equal(top.code, 0);
    assert.equal(top.stderr, '');
    for (const command of ['run', 'ebuild', 'changed', 'sweep', 'report', 'doctor', 'gc', 'hook', 'completion']) assert.match(top.stdout, new RegExp(`^ {2}netaudit ${command}\\b`, 'm'));
    const run = await cli(['run', '--help']);
    assert.equal(run.code, 0);
    for (const option of ['--timeout', '--fail-on', '--json', '--user', '--pcap', '--name']) assert.ok(run.stdout.includes(option), option);
  });

  it('main leaves process.exitCode as it found it', async () => {
    const before = process.exitCode;
    process.exitCode = 7;
    try {
      assert.equal((await cli(['run'])).code, 2);
      assert.equal(process.exitCode, 7);
    } finally {
      process.exitCode = before;
    }
  });

  it('errorLine: typed errors as they are, anything else as an internal error, always one line', () => {
    assert.equal(errorLine(new MissingToolError('tcpdump', 'tcpdump is missing')), 'netaudit: tcpdump is missing\n');
    assert.equal(errorLine(new UsageError('Unknown argument: x', { seeHelp: true })), 'netaudit: Unknown argument: x — see netaudit --help\n');
    assert.equal(errorLine(new BadResultsError('r.jsonl', 3, ['/verdict: bad'])).split('\n').length, 2);
    assert.equal(errorLine(new TypeError('x is not a function\n  at y')), 'netaudit: internal error: x is not a function at y\n');
    assert.equal(exitCodeFor(new TypeError('x')), 2);
  });
});

describe('cli: the main guard', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('is true for the file itself, a relative path, the path without .js, and a symlink to it (npm bin)', () => {
    const file = path.join(tmp, 'main.js');
    writeFileSync(file, '');
    const url = pathToFileURL(file).href;
    assert.equal(isMainModule(url, file), true);
    assert.equal(isMainModule(url, path.relative(process.cwd(), file)), true);
    assert.equal(isMainModule(url, file.slice(0, -'.js'.length)), true);
    const link = path.join(tmp, 'netaudit');
    symlinkSync(file, link);
    assert.equal(isMainModule(url, link), true);
  });

  it('is false for another script (mocha importing the module), a missing file, or no script at all', () => {
    const file = path.join(tmp, 'main.js');
    const url = pathToFileURL(file).href;
    assert.equal(isMainModule(url, path.join(tmp, 'mocha.js')), false);
    assert.equal(isMainModule(url, path.join(tmp, 'nowhere', 'main.js')), false);
    assert.equal(isMainModule(url, undefined), false);
    // This very test imported src/cli/main.js: had its guard fired, main would have parsed mocha's arguments.
    assert.equal(isMainModule(new URL('../../src/cli/main.js', import.meta.url).href), false);
  });
});

describe('cli: which command lines start their set-up before the parse (earlyRun)', () => {
  it('`run` as root, with the tracer and intercept settings read as yargs reads them', () => {
    assert.deepEqual(earlyRun(['run', '--', 'true'], 0), { observe: true, intercept: false });
    assert.deepEqual(earlyRun(['run', '-q', '--json', 'r.json', '--', 'make', 'check'], 0), { observe: true, intercept: false });
    assert.deepEqual(earlyRun(['run', '--no-observe', '--', 'true'], 0), { observe: false, intercept: false });
    assert.deepEqual(earlyRun(['run', '--observe=false', '--intercept', '--', 'true'], 0), { observe: false, intercept: true });
    assert.deepEqual(earlyRun(['run', '--no-observe', '--observe', '--', 'true'], 0), { observe: true, intercept: false }, 'the last one counts');
    // The build's own arguments are not netaudit's.
    assert.deepEqual(earlyRun(['run', '--', 'curl', '--no-observe', '--intercept', '--help'], 0), { observe: true, intercept: false });
  });

  it('nothing for another command, --help/--version, or without root (the user namespace is made after the checks)', () => {
    assert.equal(earlyRun(['ebuild', 'x.ebuild'], 0), undefined);
    assert.equal(earlyRun(['-q', 'run', '--', 'true'], 0), undefined);
    assert.equal(earlyRun(['run', '--help'], 0), undefined);
    assert.equal(earlyRun(['run', '-h', '--', 'true'], 0), undefined);
    assert.equal(earlyRun(['run', '--version'], 0), undefined);
    assert.equal(earlyRun(['run', '--', 'true'], 1000), undefined);
    assert.equal(earlyRun([], 0), undefined);
  });
});
