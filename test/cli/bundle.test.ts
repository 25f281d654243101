/**
 * The program loads the command line from one file (dist/src/cli/app.bundle.cjs, scripts/build-bundle.mjs) when
 * it is there and not older than tsc's app.js, else module by module; both give the same output, and every
 * bundled module still finds its files from its own place (the schema's generated validator, the reports'
 * templates, yargs' patched layout). The bundle is compiled from the user's code cache when there is a
 * trustworthy one (src/cli/bundle.cts).
 */
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Report } from '../../src/model/types.js';
import { CLI, ROOT, run } from '../helpers/cli.js';
import { requirePrivileges } from '../helpers/privileged.js';

const BUNDLE = path.join(ROOT, 'dist/src/cli/app.bundle.cjs');

/** `netaudit ARGS` with the timeline on: how the command line was loaded and what it printed. */
async function netaudit(args: string[], env: Record<string, string> = {}, cli = CLI) {
  const r = await run([process.execPath, cli, ...args], { env: { ...process.env, NO_COLOR: '1', NETAUDIT_DEBUG: '1', ...env } });
  const loaded = /main loaded \((bundle|modules)(?:, ([^)]*))?\)/.exec(r.stderr);
  const how = loaded?.[1];
  const cache = loaded?.[2];
  const stderr = r.stderr
    .split('\n')
    .filter((l) => !/^netaudit: [\d.]+ ms /.test(l))
    .join('\n');
  return { ...r, how, cache, stderr };
}

/** A copy of the built tree in a temp dir (the caller removes it), packages reached through a link, as an install would lay it out. */
function builtTreeCopy(): string {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-bundle-test-'));
  cpSync(path.join(ROOT, 'dist/src'), path.join(tmp, 'dist/src'), { recursive: true });
  cpSync(path.join(ROOT, 'package.json'), path.join(tmp, 'package.json'));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(tmp, 'node_modules'));
  return tmp;
}

describe('cli: the bundled command line', function () {
  this.timeout(60_000);

  it('npm run build makes the bundle, and the program loads it', async () => {
    assert.ok(existsSync(BUNDLE), `${BUNDLE} missing: npm run build (scripts/build-bundle.mjs) makes it`);
    assert.ok(statSync(BUNDLE).mtimeMs >= statSync(path.join(ROOT, 'dist/src/cli/app.js')).mtimeMs, 'the bundle is older than app.js');
    const r = await netaudit(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.how, 'bundle');
    const m = await netaudit(['--version'], { NETAUDIT_BUNDLE: '0' });
    assert.equal(m.how, 'modules');
    assert.equal(r.stdout, m.stdout);
    // The ES module entry of earlier releases (main.js) runs the same program, from the bundle too.
    const esm = await netaudit(['--version'], {}, path.join(ROOT, 'dist/src/cli/main.js'));
    assert.deepEqual([esm.code, esm.how, esm.stdout], [0, 'bundle', r.stdout], esm.stderr);
  });

  it('the entry is CommonJS (no ES module loader before its first line), and requiring it from another program runs nothing', async () => {
    assert.equal(CLI, path.join(ROOT, 'dist/src/cli/main.cjs'));
    assert.equal((JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin.netaudit, 'dist/src/cli/main.cjs');
    const required = await run([process.execPath, '-e', `require(${JSON.stringify(CLI)}); console.log('required')`]);
    assert.deepEqual([required.code, required.stdout, required.stderr], [0, 'required\n', '']);
  });

  it('prints what the modules print: help (the patched layout), a bad option (exit 2), every reporter of a report', async () => {
    for (const args of [
      ['run', '--help'],
      ['ebuild', '--help'],
      ['run', '--no-such-option', '--', 'true'],
      ...['terminal', 'json', 'html', 'junit', 'pkgcheck-xml'].map((f) => ['report', 'render', path.join(ROOT, 'reports/examples/sweep-multi.json'), '--format', f]),
      ['report', 'render', path.join(ROOT, 'reports/examples/run-pytest-breaks.json'), '--format', 'json'],
    ]) {
      const b = await netaudit(args, { COLUMNS: '80' });
      const m = await netaudit(args, { COLUMNS: '80', NETAUDIT_BUNDLE: '0' });
      assert.equal(b.how, 'bundle');
      assert.equal(m.how, 'modules');
      assert.equal(b.code, m.code, `${args.join(' ')}: exit codes differ`);
      assert.equal(b.stdout, m.stdout, `${args.join(' ')}: stdout differs`);
      assert.equal(b.stderr, m.stderr, `${args.join(' ')}: stderr differs`);
      assert.ok(b.stdout.length + b.stderr.length > 0, `${args.join(' ')} printed nothing`);
    }
  });

  it('a bundle older than app.js (tsc ran after it) is not used: the modules are', async () => {
    const tmp = builtTreeCopy();
    try {
      const cli = path.join(tmp, 'dist/src/cli/main.cjs');
      const app = path.join(tmp, 'dist/src/cli/app.js');
      const bundle = path.join(tmp, 'dist/src/cli/app.bundle.cjs');
      const now = Date.now() / 1000;
      utimesSync(app, now, now);
      utimesSync(bundle, now, now);
      assert.equal((await netaudit(['--version'], {}, cli)).how, 'bundle', 'same mtime (npm pack fixes every mtime): the bundle');
      utimesSync(bundle, now - 60, now - 60);
      const stale = await netaudit(['--version'], {}, cli);
      assert.equal(stale.code, 0, stale.stderr);
      assert.equal(stale.how, 'modules');
      rmSync(bundle);
      assert.equal((await netaudit(['--version'], {}, cli)).how, 'modules', 'no bundle: the modules');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  describe('the code cache', () => {
    let dir: string;
    beforeEach(() => {
      dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'netaudit-codecache-test-')), 'cache');
    });
    afterEach(() => rmSync(path.dirname(dir), { recursive: true, force: true }));
    const files = () => (existsSync(dir) ? readdirSync(dir).sort() : []);

    it('belongs to one bundle file: the same text rewritten (a rebuild, a reinstall) gets a new cache and the old one goes', async () => {
      const tmp = builtTreeCopy();
      try {
        const cli = path.join(tmp, 'dist/src/cli/main.cjs');
        const bundle = path.join(tmp, 'dist/src/cli/app.bundle.cjs');
        const env = { NETAUDIT_CODE_CACHE: dir };
        assert.equal((await netaudit(['--version'], env, cli)).cache, 'none');
        const first = files();
        assert.equal((await netaudit(['--version'], env, cli)).cache, 'code cache used');
        writeFileSync(bundle, readFileSync(bundle));
        const again = await netaudit(['--version'], env, cli);
        assert.equal(again.code, 0, again.stderr);
        assert.equal(again.cache, 'none', 'a rewritten bundle used the cache made for the file before');
        const second = files();
        assert.equal(second.length, 2, second.join(' '));
        assert.ok(second.every((f) => !first.includes(f)), `the old cache is left: ${second.join(' ')}`);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });

    it('is made by the first start, used by the next, and grows by each new command; the output is the same', async () => {
      const env = { NETAUDIT_CODE_CACHE: dir };
      const first = await netaudit(['--version'], env);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.cache, 'none');
      const made = files();
      assert.equal(made.length, 2, made.join(' '));
      assert.match(made[0] ?? '', /^app-[0-9a-f]{24}\.cache$/);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      assert.equal(statSync(path.join(dir, made[0] ?? '')).mode & 0o777, 0o600);
      const second = await netaudit(['--version'], env);
      assert.equal(second.cache, 'code cache used');
      assert.equal(second.stdout, first.stdout);
      // A command already in the cache leaves it as it is (no rewrite at every exit).
      const written = statSync(path.join(dir, made[0] ?? '')).mtimeMs;
      assert.equal((await netaudit(['--version'], env)).cache, 'code cache used');
      assert.equal(statSync(path.join(dir, made[0] ?? '')).mtimeMs, written, '--version rewrote a cache that held its code');
      const args = ['report', 'render', path.join(ROOT, 'reports/examples/sweep-multi.json'), '--format', 'junit'];
      const before = readFileSync(path.join(dir, made[0] ?? ''));
      const render = await netaudit(args, env);
      assert.equal(render.cache, 'code cache used');
      assert.ok(readFileSync(path.join(dir, made[0] ?? '')).length > before.length, 'the report command added its code');
      assert.deepEqual(readFileSync(path.join(dir, made[1] ?? ''), 'utf8').split('\n').filter(Boolean), ['(none)', 'report']);
      const again = await netaudit(args, env);
      assert.equal(again.stdout, render.stdout);
      assert.equal(again.stdout, (await netaudit(args, { NETAUDIT_BUNDLE: '0' })).stdout);
    });

    it('one that others can write is not used, and is replaced by the user\'s own', async () => {
      const env = { NETAUDIT_CODE_CACHE: dir };
      await netaudit(['--version'], env);
      const cache = path.join(dir, files()[0] ?? '');
      chmodSync(cache, 0o666);
      const r = await netaudit(['--version'], env);
      assert.equal(r.cache, 'none', 'a cache others could write was used');
      assert.equal(statSync(cache).mode & 0o777, 0o600);
      chmodSync(dir, 0o777);
      assert.equal((await netaudit(['--version'], env)).cache, 'none', 'a cache in a directory others can write was used');
    });

    it('one V8 refuses (not its own) is compiled around and rewritten; another build\'s cache is removed; NETAUDIT_CODE_CACHE=0: none', async () => {
      const env = { NETAUDIT_CODE_CACHE: dir };
      await netaudit(['--version'], env);
      const [cache, commands] = files();
      writeFileSync(path.join(dir, cache ?? ''), Buffer.alloc(4096, 7), { mode: 0o600 });
      writeFileSync(path.join(dir, 'app-000000000000000000000000.cache'), 'old', { mode: 0o600 });
      const r = await netaudit(['--version'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.cache, 'refused by V8');
      assert.deepEqual(files(), [cache, commands]);
      assert.equal((await netaudit(['--version'], env)).cache, 'code cache used');
      rmSync(dir, { recursive: true });
      const off = await netaudit(['--version'], { NETAUDIT_CODE_CACHE: '0' });
      assert.equal(off.cache, 'off');
      assert.equal(off.code, 0);
      assert.equal(existsSync(dir), false);
    });
  });

  it('@privileged audits as the modules do: a lookup seen by the tracer and, with --no-observe, by the captures (the decoders inside the bundle)', async function () {
    requirePrivileges(this);
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-bundle-test-'));
    try {
      for (const flags of [[], ['--no-observe']]) {
        const seen: Record<string, unknown> = {};
        for (const bundle of ['1', '0']) {
          const json = path.join(tmp, `r${bundle}${flags.length}.json`);
          const r = await netaudit(['run', '-q', ...flags, '--json', json, '--', 'getent', 'hosts', 'files.netaudit.example'], { NETAUDIT_BUNDLE: bundle });
          assert.equal(r.how, bundle === '1' ? 'bundle' : 'modules');
          assert.equal(r.code, 1, r.stderr);
          const b = (JSON.parse(readFileSync(json, 'utf8')) as Report).builds[0];
          seen[bundle] = { verdict: b?.verdict, attempts: b?.attempts.map((a) => `${a.kind} ${a.hostname ?? ''} ${a.port ?? ''} ${a.allowed}`).sort() };
        }
        assert.ok(JSON.stringify(seen['1']).includes('files.netaudit.example'), JSON.stringify(seen['1']));
        assert.deepEqual(seen['1'], seen['0'], `${flags.join(' ')}: the bundle and the modules disagree`);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

