/**
 * The cache of clean results: the key (every input changes it, order does not), what is read from files for it
 * (src/cache/inputs.ts, on a temp repository), and the store (only clean results; corrupt entries ignored;
 * atomic writes).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { keyParts } from '../../src/cache/inputs.js';
import { cacheKey, type KeyParts } from '../../src/cache/key.js';
import { cacheDir, cacheable, lookup, store } from '../../src/cache/results.js';
import type { BuildResult } from '../../src/model/types.js';
import { validateBuild } from '../../src/report/validate.js';

const base: KeyParts = {
  version: '0.1.0',
  ebuildPath: 'net-test/a/a-1.ebuild',
  ebuild: 'e',
  files: { 'x.patch': '1' },
  eclasses: { foo: '2', bar: '3' },
  repository: 'r',
  config: { 'make.conf': '4' },
  settings: { FEATURES: 'test' },
};

describe('cache key', () => {
  it('is 64 hex digits and does not depend on the order of the parts', () => {
    const k = cacheKey(base);
    assert.match(k, /^[0-9a-f]{64}$/);
    assert.equal(cacheKey({ ...base, eclasses: { bar: '3', foo: '2' }, settings: { FEATURES: 'test' } }), k);
  });

  it('changes with every input', () => {
    const k = cacheKey(base);
    const variants: Partial<KeyParts>[] = [
      { version: '0.1.1' },
      { ebuildPath: 'net-test/a/a-2.ebuild' },
      { ebuild: 'e2' },
      { files: {} },
      { files: { 'x.patch': '9' } },
      { eclasses: { foo: '2' } },
      { eclasses: { foo: '2', bar: '4' } },
      { repository: 'r2' },
      { config: { 'make.conf': '5' } },
      { config: { 'make.conf': '4', 'package.env': '1' } },
      { settings: { FEATURES: 'test -network-sandbox' } },
      { settings: { FEATURES: 'test', '--allow-test': 'network' } },
    ];
    const keys = variants.map((v) => cacheKey({ ...base, ...v }));
    for (const [i, key] of keys.entries()) assert.notEqual(key, k, JSON.stringify(variants[i]));
    assert.equal(new Set(keys).size, keys.length);
  });
});

describe('cache key inputs from files', () => {
  let tmp: string;
  let repo: string;
  let config: string;
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  };
  const parts = (extra: { env?: NodeJS.ProcessEnv; allowTest?: string; masters?: string[] } = {}) =>
    keyParts({
      repoDir: repo,
      ebuild: 'net-test/a/a-1.ebuild',
      masterEclassDirs: extra.masters ?? [],
      repository: 'r',
      configRoot: config,
      env: extra.env ?? {},
      ...(extra.allowTest !== undefined ? { allowTest: extra.allowTest } : {}),
      portage: '/usr/bin/ebuild',
      version: '0.1.0',
    });
  const key = (extra: Parameters<typeof parts>[0] = {}) => {
    const p = parts(extra);
    assert.ok('parts' in p, JSON.stringify(p));
    return cacheKey(p.parts);
  };

  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-key-'));
    repo = path.join(tmp, 'repo');
    config = path.join(tmp, 'root');
    write(path.join(repo, 'net-test/a/a-1.ebuild'), 'EAPI=8\ninherit top\n');
    write(path.join(repo, 'net-test/a/files/a.patch'), 'patch\n');
    write(path.join(repo, 'eclass/top.eclass'), 'inherit leaf\n');
    write(path.join(repo, 'eclass/leaf.eclass'), 'leaf() { :; }\n');
    write(path.join(repo, 'eclass/unused.eclass'), 'unused\n');
    write(path.join(config, 'etc/portage/make.conf'), 'FEATURES="test"\n');
    write(path.join(config, 'etc/portage/package.env/a'), 'net-test/a a.conf\n');
    write(path.join(tmp, 'profile/make.defaults'), 'USE=""\n');
    symlinkSync(path.join(tmp, 'profile'), path.join(config, 'etc/portage/make.profile'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('reads the ebuild, its eclasses recursively, files/ and the configuration', () => {
    const p = parts();
    assert.ok('parts' in p);
    assert.deepEqual(Object.keys(p.parts.eclasses).sort(), ['leaf', 'top']);
    assert.deepEqual(Object.keys(p.parts.files), ['a.patch']);
    assert.deepEqual(Object.keys(p.parts.config).sort(), ['make.conf', 'make.profile', 'package.env/a']);
    assert.equal(p.parts.config['make.profile'], `-> ${path.join(tmp, 'profile')}`);
  });

  it('changes when an eclass deep in the chain, files/, a config file, the environment or --allow-test change; not for an unused eclass', () => {
    const k = key();
    assert.equal(key(), k, 'stable');
    write(path.join(repo, 'eclass/unused.eclass'), 'unused, edited\n');
    assert.equal(key(), k, 'an eclass not inherited does not matter');
    const edits: [string, () => string][] = [
      ['leaf eclass', () => (write(path.join(repo, 'eclass/leaf.eclass'), 'leaf() { echo; }\n'), key())],
      ['files/', () => (write(path.join(repo, 'net-test/a/files/b.patch'), 'new\n'), key())],
      ['package.env', () => (write(path.join(config, 'etc/portage/package.env/a'), 'net-test/a b.conf\n'), key())],
      ['env/ file', () => (write(path.join(config, 'etc/portage/env/b.conf'), 'FEATURES="-test"\n'), key())],
      ['FEATURES', () => key({ env: { FEATURES: 'test' } })],
      ['--allow-test', () => key({ allowTest: 'network' })],
      ['ebuild', () => (write(path.join(repo, 'net-test/a/a-1.ebuild'), 'EAPI=8\ninherit top\n# edited\n'), key())],
    ];
    const seen = new Set([k]);
    for (const [what, edit] of edits) {
      const next = edit();
      assert.ok(!seen.has(next), `${what} did not change the key`);
      seen.add(next);
    }
  });

  it("finds eclasses in the masters' eclass/ when the repository lacks them; an eclass found nowhere makes the ebuild uncacheable", () => {
    rmSync(path.join(repo, 'eclass/leaf.eclass'));
    const p = parts();
    assert.ok('uncacheable' in p);
    assert.match(p.uncacheable, /eclass leaf not found/);
    write(path.join(tmp, 'master/eclass/leaf.eclass'), 'leaf from master\n');
    const q = parts({ masters: [path.join(tmp, 'master/eclass')] });
    assert.ok('parts' in q);
    assert.deepEqual(Object.keys(q.parts.eclasses).sort(), ['leaf', 'top']);
  });
});

describe('cache store', () => {
  let dir: string;
  const key = 'a'.repeat(64);
  const validate = async (b: unknown) => (await validateBuild(b)).ok;
  const clean: BuildResult = {
    name: 'net-test/a-1',
    kind: 'ebuild',
    command: ['ebuild', 'a-1.ebuild', 'clean', 'test', 'install', 'clean'],
    exitCode: 0,
    durationMs: 2500,
    verdict: 'clean',
    attempts: [],
    findings: [],
    capture: { packets: 4, dropped: 0 },
    ebuild: { category: 'net-test', package: 'a', version: '1', path: '/x/net-test/a/a-1.ebuild' },
  };
  beforeEach(() => (dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'netaudit-cache-')), 'results')));
  afterEach(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('follows XDG_CACHE_HOME, else HOME', () => {
    assert.equal(cacheDir({ XDG_CACHE_HOME: '/c', HOME: '/h' }), '/c/netaudit/results');
    assert.equal(cacheDir({ HOME: '/h' }), '/h/.cache/netaudit/results');
    assert.equal(cacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/h' }), '/h/.cache/netaudit/results', 'XDG: a relative path is ignored');
  });

  it('stores clean results only, and gives them back', async () => {
    assert.equal(await store(dir, key, { ...clean, verdict: 'tolerates' }, '0.1.0'), false);
    assert.equal(await store(dir, key, { ...clean, capture: { packets: 4, dropped: 2 } }, '0.1.0'), false, 'incomplete evidence');
    assert.equal(await lookup(dir, key, validate), undefined);
    assert.equal(cacheable({ ...clean, timedOut: true }), false);
    assert.equal(await store(dir, key, clean, '0.1.0', new Date('2026-01-01T00:00:00Z')), true);
    const entry = await lookup(dir, key, validate);
    assert.equal(entry?.createdAt, '2026-01-01T00:00:00.000Z');
    assert.deepEqual(entry?.result, clean);
    assert.deepEqual(readdirSync(dir), [`${key}.json`], 'no temporary file left');
  });

  it('ignores corrupt entries: not JSON, another key, not a valid build, not clean', async () => {
    await store(dir, key, clean, '0.1.0');
    const file = path.join(dir, `${key}.json`);
    const bad = [
      '{"format":1,',
      JSON.stringify({ format: 1, key: 'b'.repeat(64), createdAt: 'x', version: '0.1.0', result: clean }),
      JSON.stringify({ format: 1, key, createdAt: 'x', version: '0.1.0', result: { ...clean, attempts: 'none' } }),
      JSON.stringify({ format: 1, key, createdAt: 'x', version: '0.1.0', result: { ...clean, verdict: 'breaks' } }),
      '',
    ];
    for (const text of bad) {
      writeFileSync(file, text);
      assert.equal(await lookup(dir, key, validate), undefined, text);
    }
    assert.equal(await lookup(dir, '../../etc/passwd', validate), undefined, 'only hex keys name files');
    assert.equal(await store(dir, key, clean, '0.1.0'), true, 'a corrupt entry is overwritten');
    assert.ok(await lookup(dir, key, validate));
  });
});
