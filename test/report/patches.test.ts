/**
 * `netaudit report patches`: format-patch mails of a report's suggestions (src/report/patches.ts), checked with
 * real git: the mails are applied with `git am` to a scratch git repository made from a copy of fixtures/repo
 * (one commit per package, the subject, author and date of the mail, the ebuild changed exactly as the
 * suggestion's diff says), and their file names are the ones `git format-patch` gives the same commits.
 * Also: --verified-only, the author from `git config`, and bad input (exit 2, nothing written).
 */
import { writable } from '../helpers/writable.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Report, Suggestion } from '../../src/model/types.js';
import { makeReport } from '../../src/model/report.js';
import { renderJson } from '../../src/report/json.js';
import { commitSubject, mailDate, parseAuthor, patchFileName, patchMails, wrapText } from '../../src/report/patches.js';
import { addTokens } from '../../src/suggest/ebuild-text.js';
import { applyPatch, unifiedDiff } from '../../src/suggest/index.js';
import { netaudit } from '../helpers/cli.js';
import { REPO, suggestedBuild, suggestedReport } from './suggested.js';

const AUTHOR = { name: 'Larry the Cow', email: 'larry@gentoo.example' };

/** git with no user or system configuration of this machine; `env` adds to it. */
function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', HOME: cwd, ...env },
  });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A git repository holding a copy of fixtures/repo, one commit, user.name/email set to `author`. */
function scratchRepo(parent: string, author = AUTHOR): string {
  const dir = path.join(parent, 'gentoo');
  cpSync(REPO, dir, { recursive: true });
  git(dir, ['init', '-q', '-b', 'master']);
  git(dir, ['config', 'user.name', author.name]);
  git(dir, ['config', 'user.email', author.email]);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'initial']);
  return dir;
}

describe('report patches: format-patch mails (pure)', () => {
  const report = suggestedReport();

  it('one subject per cause, cat/PN (not PF), imperative, under 70 characters', () => {
    const [mixed, resolve] = report.builds;
    assert.equal(commitSubject(mixed!, mixed!.suggestions![0]!), 'net-test/pytest-mixed: skip tests requiring Internet access');
    assert.equal(commitSubject(resolve!, resolve!.suggestions![0]!), 'net-test/test-resolve: restrict tests needing the network');
    const fetch = suggestedBuild('compile-fetch');
    const s = fetch.suggestions![0] as Suggestion;
    assert.equal(s.cause, 'build-time-download');
    assert.match(commitSubject(fetch, s), /^net-test\/compile-fetch: fetch \S+ in SRC_URI, not at build time$/);
    const long = { ...fetch, ebuild: { ...fetch.ebuild!, category: 'dev-python', package: 'a-package-with-a-rather-long-name' } };
    const wanted = {
      ...fetch,
      ebuild: { ...fetch.ebuild!, category: 'dev-go', package: 'foo' },
      attempts: fetch.attempts.map((a) => ({ ...a, wanted: 'GET https://x.example/a/long/path/dep-1.2.tar.gz?x=1' })),
    };
    assert.equal(commitSubject(wanted, s), 'dev-go/foo: fetch dep-1.2.tar.gz in SRC_URI, not at build time');
    assert.equal(commitSubject({ ...long, attempts: wanted.attempts }, s), 'dev-python/a-package-with-a-rather-long-name: fetch sources in SRC_URI, not at build time');
    // A SRC_URI patch names its distfile: the subject takes the file from it.
    const srcUri: Suggestion = { ...s, patch: '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-SRC_URI=""\n+SRC_URI="https://files.example.org/dist/vendor-1.tar.gz -> ${P}-vendor-1.tar.gz"\n' };
    assert.equal(commitSubject(wanted, srcUri), 'dev-go/foo: fetch vendor-1.tar.gz in SRC_URI, not at build time');
    for (const b of [mixed!, resolve!, fetch, wanted]) assert.ok(commitSubject(b, b.suggestions![0]!).length < 70);
  });

  it('file names as format-patch makes them: NNNN- and the subject with runs of other characters as -', () => {
    assert.equal(patchFileName(1, 'cat/pkg: skip tests requiring Internet access'), '0001-cat-pkg-skip-tests-requiring-Internet-access.patch');
    assert.equal(patchFileName(12, 'a..b: c.'), '0012-a.b-c.patch');
    assert.equal(patchFileName(5, 'x/abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuvwxyz: aaaa bbbbbbbbbbbbbbbbbbbbbbbb'), '0005-x-abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuvw.patch');
  });

  it('the mail: From line of format-patch, From/Date/Subject headers, body, ---, diffstat, the diff', () => {
    const { mails } = patchMails(report, { author: AUTHOR });
    assert.deepEqual(
      mails.map((m) => [m.file, m.build]),
      [
        ['0001-net-test-pytest-mixed-skip-tests-requiring-Internet-.patch', 'net-test/pytest-mixed-1'],
        ['0002-net-test-test-resolve-restrict-tests-needing-the-net.patch', 'net-test/test-resolve-1'],
      ],
    );
    const [head, rest] = [mails[0]!.text.split('\n\n')[0]!, mails[0]!.text];
    assert.deepEqual(head.split('\n'), [
      'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001',
      'From: Larry the Cow <larry@gentoo.example>',
      'Date: Wed, 2 Dec 2026 15:37:20 +0000',
      'Subject: [PATCH] net-test/pytest-mixed: skip tests requiring Internet access',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=UTF-8',
      'Content-Transfer-Encoding: 8bit',
    ]);
    assert.match(rest, /\nnetaudit audited net-test\/pytest-mixed-1 as under\nFEATURES=network-sandbox: src_test failed, with blocked network\nattempts\.\n\nSeen:\n/);
    assert.match(rest, /\n- tests\/test_mirror\.py::TestMirror::test_list: tcp 203\.0\.113\.11:443 \(HTTPS\) in src_test\n/);
    assert.match(rest, /\n- tests\/test_net\.py::test_download: tcp 203\.0\.113\.10:80 \(HTTP\) in src_test\n/);
    assert.match(rest, /\nThis change is not verified: the patched ebuild was not audited again/);
    assert.match(rest, /\nFound by netaudit 0\.1\.0 \(network-sandbox audit\)\n---\n net-test\/pytest-mixed\/pytest-mixed-1\.ebuild \| 5 \+{5}\n 1 file changed, 5 insertions\(\+\)\n\ndiff --git a\/net-test\/pytest-mixed\/pytest-mixed-1\.ebuild b\/net-test\/pytest-mixed\/pytest-mixed-1\.ebuild\n--- a\//);
    assert.ok(rest.includes(report.builds[0]!.suggestions![0]!.patch!));
    const resolve = mails[1]!.text;
    assert.match(resolve, /\nVerified: patched copy audited \(2\.40 s\): verdict clean; src_test passes;\nno blocked attempt\.\n/);
    assert.doesNotMatch(resolve, /not verified/);
    // Prose is wrapped at 72 columns; the `- TEST: TARGET` lines stay whole (test ids can be long).
    for (const m of mails) for (const line of m.text.split('\n---\n')[0]!.split('\n').slice(8)) assert.ok(line.length <= 72 || line.startsWith('- '), `body line too long: ${line}`);
  });

  it('breaking packages without a patch are named with why; clean ones are not', () => {
    const { without } = patchMails(report, { author: AUTHOR });
    assert.deepEqual(without, [
      { build: 'net-test/distcc-1', why: 'no derivable change (distcc-proxy)' },
      { build: 'net-test/compile-fetch-1', why: 'no derivable change (build-time-download)' },
    ]);
    const bare = { ...report, builds: report.builds.map((b) => ({ ...b, suggestions: undefined })) };
    assert.equal(patchMails(bare, { author: AUTHOR }).without[0]?.why, 'no suggestions in the report (audit it with --suggest)');
  });

  it('--verified-only: only verified patches; an unverified one is named', () => {
    const { mails, without } = patchMails(report, { author: AUTHOR, verifiedOnly: true });
    assert.deepEqual(mails.map((m) => m.file), ['0001-net-test-test-resolve-restrict-tests-needing-the-net.patch']);
    assert.deepEqual(without[0], { build: 'net-test/pytest-mixed-1', why: 'patch not verified (--verified-only; audit with --suggest --verify)' });
  });

  it('several causes in one package: one commit, the subject of the first, the others in the body', () => {
    const b = suggestedBuild('pytest-mixed');
    const distcc = suggestedBuild('distcc').suggestions![0]!;
    writable(b).suggestions = [...b.suggestions!, { ...distcc, attempts: [] }];
    const { mails } = patchMails({ ...report, builds: [b] }, { author: AUTHOR });
    assert.equal(mails.length, 1);
    assert.match(mails[0]!.text, /\nSubject: \[PATCH\] net-test\/pytest-mixed: skip tests requiring Internet access\n/);
    assert.match(mails[0]!.text, /\nNot changed by this patch:\n- distcc-proxy: /);
  });

  it('author: "Name <email>", non-ASCII names RFC 2047-encoded; dates in RFC 2822, UTC', () => {
    assert.deepEqual(parseAuthor('Larry the Cow <larry@gentoo.example>'), AUTHOR);
    assert.throws(() => parseAuthor('larry@gentoo.example'), { code: 'E_USAGE', message: /--author "larry@gentoo\.example": not "Name <email>"/ });
    const { mails } = patchMails(report, { author: { name: 'Jürgen Ö', email: 'j@gentoo.example' } });
    assert.match(mails[0]!.text, /\nFrom: =\?UTF-8\?B\?SsO8cmdlbiDDlg==\?= <j@gentoo\.example>\n/);
    assert.equal(mailDate('2027-01-05T03:04:05Z'), 'Tue, 5 Jan 2027 03:04:05 +0000');
    assert.deepEqual(wrapText('aaa bbb ccc', 7), ['aaa bbb', 'ccc']);
  });
});

describe('netaudit report patches, applied with git am', function () {
  this.timeout(60_000);
  let tmp: string;
  let repo: string;
  let reportFile: string;
  let ran: Awaited<ReturnType<typeof netaudit>>;
  const report: Report = suggestedReport();
  const gitEnv = (cwd: string) => ({ ...process.env, NO_COLOR: '1', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', HOME: cwd });

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    repo = scratchRepo(tmp);
    // A sweep directory: DIR/report.json.
    mkdirSync(path.join(tmp, 'sweep'));
    reportFile = path.join(tmp, 'sweep', 'report.json');
    writeFileSync(reportFile, renderJson(report));
    // No --author: the repository's git config gives it.
    ran = await netaudit(['report', 'patches', path.join(tmp, 'sweep'), '--out', path.join(tmp, 'P')], { cwd: repo, env: gitEnv(repo) });
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('writes one mail per package with a patch, and names the others on stderr with why', () => {
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(readdirSync(path.join(tmp, 'P')), ['0001-net-test-pytest-mixed-skip-tests-requiring-Internet-.patch', '0002-net-test-test-resolve-restrict-tests-needing-the-net.patch']);
    assert.match(ran.stderr, /^netaudit: net-test\/distcc-1: no patch: no derivable change \(distcc-proxy\)$/m);
    assert.match(ran.stderr, /^netaudit: net-test\/compile-fetch-1: no patch: no derivable change \(build-time-download\)$/m);
    assert.doesNotMatch(ran.stderr, /clean-build/);
    assert.match(ran.stderr, /2 patches in .*P \(apply with: git am /);
    assert.deepEqual(readdirSync(tmp).filter((n) => n.endsWith('.tmp')), [], 'no temporary directory left');
  });

  it('git am applies them: one commit per package, subject, author and date of the mail, the ebuilds changed as suggested', () => {
    const files = readdirSync(path.join(tmp, 'P')).sort().map((f) => path.join(tmp, 'P', f));
    git(repo, ['am', '-q', ...files]);
    const log = git(repo, ['log', '--format=%s|%an <%ae>|%aI', '-3']).trim().split('\n');
    assert.deepEqual(log, [
      'net-test/test-resolve: restrict tests needing the network|Larry the Cow <larry@gentoo.example>|2026-12-02T15:37:20+00:00',
      'net-test/pytest-mixed: skip tests requiring Internet access|Larry the Cow <larry@gentoo.example>|2026-12-02T15:37:20+00:00',
      'initial|Larry the Cow <larry@gentoo.example>|' + git(repo, ['log', '--format=%aI', '-1', 'HEAD~2']).trim(),
    ]);
    for (const [i, pn] of [[0, 'pytest-mixed'], [1, 'test-resolve']] as const) {
      const rel = `net-test/${pn}/${pn}-1.ebuild`;
      const want = applyPatch(readFileSync(path.join(REPO, rel), 'utf8'), report.builds[i]!.suggestions![0]!.patch!);
      assert.equal(readFileSync(path.join(repo, rel), 'utf8'), want, rel);
      assert.deepEqual(git(repo, ['show', '--format=', '--name-only', `HEAD~${1 - i}`]).trim().split('\n'), [rel], 'one file per commit');
    }
    assert.match(readFileSync(path.join(repo, 'net-test/pytest-mixed/pytest-mixed-1.ebuild'), 'utf8'), /\nEPYTEST_DESELECT=\(\n\ttests\/test_mirror\.py::TestMirror::test_list {2}# Internet\n\ttests\/test_net\.py::test_download {2}# Internet\n\)\n/);
    assert.match(readFileSync(path.join(repo, 'net-test/test-resolve/test-resolve-1.ebuild'), 'utf8'), /PROPERTIES="[^"]*test_network[^"]*"[\s\S]*RESTRICT="[^"]*test[^"]*"/);
    const body = git(repo, ['log', '--format=%b', '-1', 'HEAD~1']);
    assert.match(body, /Found by netaudit 0\.1\.0 \(network-sandbox audit\)/);
    assert.match(body, /This change is not verified/);
  });

  it('git format-patch of the commits gives the same file names and headers', () => {
    const out = path.join(tmp, 'fp');
    const names = git(repo, ['format-patch', '--no-numbered', '-2', '-o', out]).trim().split('\n').map((f) => path.basename(f));
    assert.deepEqual(names, readdirSync(path.join(tmp, 'P')).sort());
    for (const n of names) {
      const headers = (t: string) => t.split('\n').filter((l) => /^(From|Date|Subject): /.test(l)).slice(0, 3);
      assert.deepEqual(headers(readFileSync(path.join(out, n), 'utf8')), headers(readFileSync(path.join(tmp, 'P', n), 'utf8')), n);
    }
  });

  it('--verified-only and --author: only the verified patch, by the author given', async () => {
    const r = await netaudit(['report', 'patches', reportFile, '--out', path.join(tmp, 'V'), '--verified-only', '--author', 'Jane Dev <jane@gentoo.example>'], { cwd: tmp, env: gitEnv(tmp) });
    assert.equal(r.code, 0, r.stderr);
    const files = readdirSync(path.join(tmp, 'V'));
    assert.deepEqual(files, ['0001-net-test-test-resolve-restrict-tests-needing-the-net.patch']);
    assert.match(readFileSync(path.join(tmp, 'V', files[0]!), 'utf8'), /\nFrom: Jane Dev <jane@gentoo\.example>\n/);
    assert.match(r.stderr, /net-test\/pytest-mixed-1: no patch: patch not verified/);
  });

  it('no author (no --author, no git config): exit 2 naming --author, nothing written', async () => {
    const empty = mkdtempSync(path.join(tmp, 'nogit-'));
    const r = await netaudit(['report', 'patches', reportFile, '--out', path.join(empty, 'X')], { cwd: empty, env: { ...gitEnv(empty), GIT_CEILING_DIRECTORIES: tmp } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no author for the patches: give --author "Name <email>"/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(existsSync(path.join(empty, 'X')), false);
  });

  it('bad input: exit 2 with one line, nothing written (a bad --author, a non-empty --out, a missing report)', async () => {
    const env = gitEnv(repo);
    const bad = await netaudit(['report', 'patches', reportFile, '--out', path.join(tmp, 'B'), '--author', 'nobody'], { cwd: repo, env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--author "nobody": not "Name <email>"/);
    assert.equal(existsSync(path.join(tmp, 'B')), false);
    mkdirSync(path.join(tmp, 'full'));
    writeFileSync(path.join(tmp, 'full', 'keep'), 'x');
    const full = await netaudit(['report', 'patches', reportFile, '--out', path.join(tmp, 'full')], { cwd: repo, env });
    assert.equal(full.code, 2);
    assert.match(full.stderr, /--out .*full: not empty — choose a new directory/);
    assert.deepEqual(readdirSync(path.join(tmp, 'full')), ['keep']);
    const missing = await netaudit(['report', 'patches', path.join(tmp, 'nope.json'), '--out', path.join(tmp, 'M')], { cwd: repo, env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.json: no such file/);
    assert.equal(existsSync(path.join(tmp, 'M')), false);
    for (const r of [bad, full, missing]) assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });

  it('two patches in one package: one commit with both when their hunks are apart, the second left out (and named) when they meet', async () => {
    const rel = 'net-test/pytest-mixed/pytest-mixed-1.ebuild';
    const text = readFileSync(path.join(REPO, rel), 'utf8');
    const b = suggestedBuild('pytest-mixed');
    const deselect = b.suggestions![0]!;
    // A change at the end of the file (apart from EPYTEST_DESELECT's hunk) and one right where it goes.
    const apart: Suggestion = { cause: 'build-time-download', summary: 'a download at build time.', attempts: [], patch: unifiedDiff(rel, text, `${text}# fetched in SRC_URI\n`) };
    const meets: Suggestion = { cause: 'test-network', summary: 'declare test_network.', attempts: [], patch: unifiedDiff(rel, text, addTokens(text, [['PROPERTIES', 'test_network']]).text) };
    const two = (sgs: Suggestion[], name: string) => {
      const r = makeReport('sweep', [{ ...b, suggestions: sgs }], '0.1.0', new Date(report.createdAt));
      writeFileSync(path.join(tmp, `${name}.json`), renderJson(r));
      return path.join(tmp, `${name}.json`);
    };
    const parent = mkdtempSync(path.join(tmp, 'two-'));
    const g = scratchRepo(parent);
    for (const [name, sgs, want] of [
      ['apart', [deselect, apart], applyPatch(applyPatch(text, apart.patch!), deselect.patch!)],
      ['meets', [deselect, meets], applyPatch(text, deselect.patch!)],
    ] as const) {
      const r = await netaudit(['report', 'patches', two([...sgs], name), '--out', path.join(parent, name)], { cwd: g, env: gitEnv(g) });
      assert.equal(r.code, 0, r.stderr);
      const [file, ...more] = readdirSync(path.join(parent, name));
      assert.deepEqual(more, [], 'one mail');
      git(g, ['reset', '-q', '--hard', 'master']);
      git(g, ['checkout', '-q', '-B', name]);
      git(g, ['am', '-q', path.join(parent, name, file!)]);
      assert.equal(readFileSync(path.join(g, rel), 'utf8'), want, name);
      assert.equal(git(g, ['log', '-1', '--format=%s']).trim(), 'net-test/pytest-mixed: skip tests requiring Internet access', name);
      const msg = git(g, ['log', '-1', '--format=%b']);
      if (name === 'apart') assert.match(msg, /\nAlso: fetch sources in SRC_URI, not at build time\.\n/);
      else assert.match(msg, /\nNot changed by this patch:\n- test-network \(its diff overlaps this one: run --suggest again on the\n {2}patched ebuild\): declare test_network\.\n/);
      git(g, ['checkout', '-q', 'master']);
    }
  });

  it('an existing empty --out is used', async () => {
    mkdirSync(path.join(tmp, 'E'));
    const r = await netaudit(['report', 'patches', reportFile, '--out', path.join(tmp, 'E')], { cwd: repo, env: gitEnv(repo) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readdirSync(path.join(tmp, 'E')).length, 2);
  });
});
