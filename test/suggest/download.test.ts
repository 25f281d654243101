/**
 * Build-time downloads (src/suggest/download.ts and the build-time-download suggestion), pure: the downloaders'
 * argv as the syscall observer records it, the URL of an intercepted request, where the copy goes, and the exact
 * patch for the fixture ebuilds and ::gentoo-style texts (applied back with `patch -p1` in a scratch copy once).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { attemptOf, type Attempt, type BuildResult } from '../../src/model/types.js';
import { addToSrcPrepare, copyTarget, downloadsFromArgv, downloadsOf, isRepository, urlBasename } from '../../src/suggest/download.js';
import { applyPatch, suggest } from '../../src/suggest/index.js';
import { build as judged, fixture, REPO } from '../helpers/builds.js';

const URL1 = 'https://files.example.org/dist/vendor-1.tar.gz';

/** The two lookups curl makes, as a run with the observer reports them. */
function lookups(argv: string[], host = 'files.example.org', comm = argv[0] as string): Attempt[] {
  return ['A', 'AAAA'].map((qtype, i) => ({
    kind: 'dns',
    scope: 'external',
    family: 4,
    address: '10.255.255.53',
    port: 53,
    hostname: host,
    qtype,
    count: 2,
    firstAtMs: 1000 + i,
    outcome: 'refused',
    phase: 'src_compile',
    process: { pid: 4242, ppid: 4240, comm, argv },
    allowed: false,
  }));
}

/** A breaking build whose attempts are the downloader's lookups (DnsLookup findings, src_compile failed). */
const build = (pn: string, attempts: Attempt[]): BuildResult => judged(pn, attempts, attempts.map(() => 'DnsLookup'));

const added = (patch: string | undefined) => (patch ?? '').split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'));

describe('suggest: downloaders and their output files', () => {
  const cases: [string[], { url: string; output?: string }[]][] = [
    [['curl', '-fsSL', '--retry', '0', '-o', 'deps/vendor.tar.gz', URL1], [{ url: URL1, output: 'deps/vendor.tar.gz' }]],
    [['curl', '-fsSLo', 'deps/v.tgz', URL1], [{ url: URL1, output: 'deps/v.tgz' }]],
    [['curl', '-odeps/v.tgz', URL1], [{ url: URL1, output: 'deps/v.tgz' }]],
    [['curl', '--output', 'x.tgz', '-H', 'Accept: */*', URL1], [{ url: URL1, output: 'x.tgz' }]],
    [['curl', '-LO', URL1], [{ url: URL1, output: 'vendor-1.tar.gz' }]],
    [['curl', '--output-dir', 'dl', '--remote-name', URL1], [{ url: URL1, output: 'dl/vendor-1.tar.gz' }]],
    [['curl', '-s', URL1], [{ url: URL1 }]],
    [['curl', '-o', '-', URL1], [{ url: URL1 }]],
    [['curl', '-x', 'http://proxy.example:3128', '-o', 'a', URL1], [{ url: URL1, output: 'a' }]],
    [['/usr/bin/wget', '-q', '-O', 'deps/v.tgz', URL1], [{ url: URL1, output: 'deps/v.tgz' }]],
    [['wget', '--output-document=v.tgz', URL1], [{ url: URL1, output: 'v.tgz' }]],
    [['wget', '-P', 'deps', URL1], [{ url: URL1, output: 'deps/vendor-1.tar.gz' }]],
    [['wget', '--directory-prefix=deps/', '-nv', URL1], [{ url: URL1, output: 'deps/vendor-1.tar.gz' }]],
    [['wget', URL1], [{ url: URL1, output: 'vendor-1.tar.gz' }]],
    [['python3', 'fetch.py', URL1], [{ url: URL1 }]],
  ];
  for (const [argv, want] of cases) {
    it(argv.join(' '), () => {
      const got = downloadsFromArgv(argv).map((d) => ({ url: d.url, ...(d.output !== undefined ? { output: d.output } : {}) }));
      assert.deepEqual(got, want);
    });
  }

  it('an attempt takes only the URLs of its own host, and the URL an intercepted HTTP request wanted', () => {
    const argv = ['curl', '-o', 'a', 'https://other.example/a', '-o', 'b', URL1];
    assert.deepEqual(downloadsOf(lookups(argv)).map((d) => [d.url, d.output]), [[URL1, 'b']]);
    const literal: Attempt = attemptOf({ ...(lookups(argv)[0] as Attempt), kind: 'tcp', address: '203.0.113.7', port: 80, hostname: undefined, qtype: undefined, process: { pid: 1, comm: 'curl', argv: ['curl', '-o', 'f', 'http://203.0.113.7/f.bin'] } });
    assert.deepEqual(downloadsOf([literal]).map((d) => [d.url, d.output]), [['http://203.0.113.7/f.bin', 'f']]);
    const intercepted: Attempt = { ...literal, process: undefined, wanted: 'http://files.example.org/x.zip | tls sni=files.example.org' };
    assert.deepEqual(downloadsOf([intercepted]).map((d) => d.url), ['http://files.example.org/x.zip']);
  });

  it('git and .git URLs are repositories', () => {
    assert.equal(isRepository({ url: 'https://git.example/upstream/lib.git', tool: 'git' }), true);
    assert.equal(isRepository({ url: 'https://git.example/upstream/lib', tool: 'git-remote-https' }), true);
    assert.equal(isRepository({ url: URL1, tool: 'curl' }), false);
  });

  it('where the copy goes: relative as written, inside the build dir through ${WORKDIR} or ${T}, never elsewhere', () => {
    assert.equal(copyTarget('deps/vendor.tar.gz'), 'deps/vendor.tar.gz');
    assert.equal(copyTarget('./v.tgz'), 'v.tgz');
    assert.equal(copyTarget('/var/tmp/portage/dev-libs/foo-1.2/work/foo-1.2/third_party/x.tgz'), '${WORKDIR}/foo-1.2/third_party/x.tgz');
    assert.equal(copyTarget('/opt/x/var/tmp/portage/dev-libs/foo-1.2/temp/x.tgz'), '${T}/x.tgz');
    assert.equal(copyTarget('/tmp/x.tgz'), undefined);
    assert.equal(copyTarget('../x.tgz'), undefined);
    assert.equal(copyTarget('$(reboot).tgz'), undefined);
    assert.equal(copyTarget('a b.tgz'), undefined);
    assert.equal(urlBasename('https://files.example.org/dist/'), undefined);
    assert.equal(urlBasename('https://files.example.org/dl/v.tgz?token=1'), 'v.tgz');
  });
});

describe('suggest: src_prepare placement', () => {
  const copy = ['\tcp "${DISTDIR}/${P}-x.tgz" "x.tgz" || die'];
  it('after the default call of an existing src_prepare', () => {
    const text = 'EAPI=8\nsrc_prepare() {\n\tdefault\n\tsed -i -e s/a/b/ Makefile || die\n}\n';
    assert.equal(addToSrcPrepare(text, copy).text, 'EAPI=8\nsrc_prepare() {\n\tdefault\n\tcp "${DISTDIR}/${P}-x.tgz" "x.tgz" || die\n\tsed -i -e s/a/b/ Makefile || die\n}\n');
  });
  it("a new one calls the src_prepare of an inherited eclass that exports it, after src_unpack in phase order", () => {
    const text = 'EAPI=8\ninherit cmake flag-o-matic\nSRC_URI=""\n\nsrc_unpack() {\n\tdefault\n}\n\nsrc_configure() {\n\tcmake_src_configure\n}\n';
    const edit = addToSrcPrepare(text, copy);
    assert.equal(edit.where, 'added src_prepare');
    assert.equal(
      edit.text,
      'EAPI=8\ninherit cmake flag-o-matic\nSRC_URI=""\n\nsrc_unpack() {\n\tdefault\n}\n\nsrc_prepare() {\n\tcmake_src_prepare\n\tcp "${DISTDIR}/${P}-x.tgz" "x.tgz" || die\n}\n\nsrc_configure() {\n\tcmake_src_configure\n}\n',
    );
  });
  it('a one-line src_prepare is left alone, and said so', () => {
    const edit = addToSrcPrepare('EAPI=8\nsrc_prepare() { default; }\n', copy);
    assert.match(edit.problem ?? '', /one line/);
  });
});

describe('suggest: build-time-download patches', () => {
  it('build-download: the URL into SRC_URI and the copy to where curl wrote it, as an exact diff', () => {
    const text = fixture('build-download');
    const argv = ['curl', '-fsSL', '--retry', '0', '--connect-timeout', '5', '-o', 'deps/vendor.tar.gz', URL1];
    const [s, ...rest] = suggest(build('build-download', lookups(argv)), text);
    assert.equal(rest.length, 0);
    assert.equal(s?.cause, 'build-time-download');
    assert.deepEqual(s?.attempts, [0, 1]);
    assert.deepEqual(added(s?.patch), [
      `+SRC_URI="${URL1} -> \${P}-vendor-1.tar.gz"`,
      '+',
      '+src_prepare() {',
      '+\tdefault',
      '+\tmkdir -p "deps" || die',
      '+\tcp "${DISTDIR}/${P}-vendor-1.tar.gz" "deps/vendor.tar.gz" || die',
      '+}',
      '+',
    ]);
    assert.match(s?.summary ?? '', /Move the download into SRC_URI, which Portage fetches outside the sandbox: https:\/\/files\.example\.org\/dist\/vendor-1\.tar\.gz -> \$\{P\}-vendor-1\.tar\.gz\./);
    assert.match(s?.summary ?? '', /where curl wrote it .*: https:\/\/files\.example\.org\/dist\/vendor-1\.tar\.gz to deps\/vendor\.tar\.gz/);
    assert.match(s?.summary ?? '', /Regenerate the Manifest/);
    const patched = applyPatch(text, s?.patch as string);
    assert.ok(patched.indexOf('\nsrc_unpack() {') < patched.indexOf('\n}\n\nsrc_prepare() {\n'), 'src_prepare after src_unpack, in phase order');
    assert.ok(patched.indexOf('\nsrc_prepare() {') < patched.indexOf('\nsrc_compile() {'));
    // And with patch(1), as a developer applies it.
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    try {
      cpSync(path.join(REPO, 'net-test/build-download'), path.join(tmp, 'net-test/build-download'), { recursive: true });
      const r = spawnSync('patch', ['-p1', '--quiet'], { cwd: tmp, input: s?.patch, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr + r.stdout);
      assert.equal(readFileSync(path.join(tmp, 'net-test/build-download/build-download-1.ebuild'), 'utf8'), patched);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('an existing multi-line SRC_URI gets a += line; a URL already there is not added twice', () => {
    const text = 'EAPI=8\nSRC_URI="\n\thttps://files.example.org/${P}.tar.gz\n"\nS="${WORKDIR}"\n\nsrc_compile() {\n\temake\n}\n';
    const [s] = suggest(build('x', lookups(['wget', '-O', 'v.tgz', URL1]).slice(0, 1)), text, { file: 'net-test/x/x-1.ebuild' });
    assert.deepEqual(added(s?.patch).slice(0, 1), [`+SRC_URI+=" ${URL1} -> \${P}-vendor-1.tar.gz"`]);
    const present = `EAPI=8\nSRC_URI="${URL1}"\n\nsrc_compile() {\n\temake\n}\n`;
    const [p] = suggest(build('x', lookups(['wget', '-O', 'v.tgz', URL1]).slice(0, 1)), present, { file: 'net-test/x/x-1.ebuild' });
    assert.ok(!added(p?.patch).some((l) => l.startsWith('+SRC_URI')), p?.patch);
    assert.match(p?.summary ?? '', /already in SRC_URI/);
    // Named in a phase (the download itself) is not in SRC_URI.
    const always = fixture('build-download-always');
    const [a] = suggest(build('build-download-always', lookups(['curl', '-o', 'vendor.tar.gz', URL1])), always);
    assert.ok(added(a?.patch).includes(`+SRC_URI="${URL1} -> \${P}-vendor-1.tar.gz"`), a?.patch);
  });

  it('a URL without a known output file: the SRC_URI entry alone, said to be partial', () => {
    const [s] = suggest(build('build-download', lookups(['python3', 'fetch.py', URL1], 'files.example.org', 'python3')), fixture('build-download'));
    assert.deepEqual(added(s?.patch), [`+SRC_URI="${URL1} -> \${P}-vendor-1.tar.gz"`]);
    assert.match(s?.summary ?? '', /does not know where the build looks for https:\/\/files\.example\.org\/dist\/vendor-1\.tar\.gz: point the build at the copy in \$\{DISTDIR\} \(partial patch\)/);
  });

  it('no patch for a git repository, an unsafe URL, or an output outside the build directory', () => {
    const git = suggest(build('compile-fetch', lookups(['git', 'ls-remote', 'https://git.example/upstream/lib.git'], 'git.example')), fixture('compile-fetch'))[0];
    assert.equal(git?.patch, undefined);
    assert.match(git?.summary ?? '', /SRC_URI takes files, not repositories/);
    const unsafe = suggest(build('build-download', lookups(['curl', '-o', 'x', 'https://files.example.org/$(id)'])), fixture('build-download'))[0];
    assert.equal(unsafe?.patch, undefined);
    const outside = suggest(build('build-download', lookups(['curl', '-o', '/root/.cache/x.tgz', URL1])), fixture('build-download'))[0];
    assert.deepEqual(added(outside?.patch), [`+SRC_URI="${URL1} -> \${P}-vendor-1.tar.gz"`]);
    assert.match(outside?.summary ?? '', /written to \/root\/\.cache\/x\.tgz, outside the build directory/);
  });
});
