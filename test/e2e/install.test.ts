/**
 * @privileged netaudit installed like any tool, without the checkout: `npm pack` of this tree, the tarball
 * installed with `npm install --global --prefix TMP/prefix` (the npm cache first, the registry only for what is
 * not cached), then the installed `bin/netaudit` run from a directory outside the checkout: --version, doctor
 * (a real sandbox), completion, a small real audit, and the man page npm linked into share/man rendered by groff.
 * Everything the program reads at run time (bpf/, reports/, the schema validator, src/**\/*.sh|*.py) must come
 * from the install: the checkout is never on the installed program's path.
 *
 * The tarball carries the compiled tracer (dist/bpf/netaudit-tracer, prepack's `build-tracer.sh --portable`;
 * here setup.sh's build, which links the same way when the archives are there): it needs libc.so.6 alone, so it
 * starts and attaches where libbpf, libelf and zlib are not installed (a mount namespace hides them), and the
 * installed netaudit's doctor and audits use it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Report } from '../../src/model/types.js';
import { ROOT, run, type Ran } from '../helpers/cli.js';
import { requirePrivileges } from '../helpers/privileged.js';

/** Files under `dir` (relative to ROOT) whose names match `re`, recursively. */
function filesUnder(dir: string, re: RegExp): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(rel, re));
    else if (re.test(e.name)) out.push(rel);
  }
  return out;
}

describe('npm pack: the tarball installs and runs without the checkout @privileged', function () {
  this.timeout(180_000);
  let tmp: string;
  let prefix: string;
  let installed: string;
  let bin: string;
  let away: string;
  let tarball: string;
  const env = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', NO_COLOR: '1' });
  const netaudit = (args: string[]): Promise<Ran> => run([bin, ...args], { cwd: away, env: env() });

  before(async function () {
    requirePrivileges(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-pack-'));
    prefix = path.join(tmp, 'prefix');
    away = path.join(tmp, 'elsewhere');
    mkdirSync(away);
    // dist/ is already built (mocha runs it); --ignore-scripts skips prepack's second build.
    const pack = await run(['npm', 'pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: ROOT });
    assert.equal(pack.code, 0, pack.stderr);
    tarball = path.join(tmp, (JSON.parse(pack.stdout) as { filename: string }[])[0]?.filename as string);
    const install = await run(
      ['npm', 'install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball],
      { cwd: away },
    );
    assert.equal(install.code, 0, `npm install of the tarball failed: ${install.stderr}`);
    installed = path.join(prefix, 'lib/node_modules/netaudit');
    bin = path.join(prefix, 'bin/netaudit');
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('ships every file the program reads at run time, and neither tests nor TypeScript sources', function () {
    const wanted = [
      ...filesUnder('bpf', /./),
      ...filesUnder('src', /\.(sh|py)$/),
      'reports/report.schema.json',
      'dist/src/report/schema-validator.generated.js',
      'dist/man/netaudit.1',
    ];
    assert.ok(wanted.includes('src/sandbox/responder.py') && wanted.includes('bpf/netaudit.bpf.c'), 'the checkout lists the run-time files');
    for (const rel of wanted) assert.ok(existsSync(path.join(installed, rel)), `${rel} is not in the installed package`);
    assert.equal(existsSync(path.join(installed, 'dist/test')), false, 'tests are shipped');
    assert.equal(existsSync(path.join(installed, 'src/cli/main.cts')), false, 'TypeScript sources are shipped');
    assert.equal(realpathSync(bin), path.join(realpathSync(installed), 'dist/src/cli/main.cjs'));
  });

  it('ships the README and the docs/ pages it links', function () {
    const docs = ['README.md', ...filesUnder('docs', /\.md$/)];
    assert.ok(docs.includes('docs/commands.md'), 'the checkout has docs/commands.md');
    for (const rel of docs) assert.ok(existsSync(path.join(installed, rel)), `${rel} is not in the installed package`);
  });

  it('netaudit --version from the install', async function () {
    const r = await netaudit(['--version']);
    assert.equal(r.code, 0, r.stderr);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(r.stdout.trim(), pkg.version);
  });

  it('the packed tarball installed into a fresh prefix runs `doctor`', async function () {
    const r = await netaudit(['doctor']);
    assert.equal(r.code, 0, `doctor failed:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^ok\s+network namespaces, veth, nftables in a namespace, tcpdump on NFLOG groups \(lo, veth, dropped sends\)$/m);
  });

  it('netaudit completion prints a bash completion script that asks the installed netaudit', async function () {
    const script = await netaudit(['completion']);
    assert.equal(script.code, 0, script.stderr);
    assert.match(script.stdout, /^complete .* -F _netaudit_yargs_completions netaudit$/m);
    assert.match(script.stdout, /netaudit --get-yargs-completions/);
    const words = await netaudit(['--get-yargs-completions', 'netaudit', 'report', '']);
    assert.equal(words.code, 0, words.stderr);
    assert.deepEqual(words.stdout.trim().split('\n'), ['render', 'merge', 'diff', 'patches']);
    // The script is valid bash and registers the completion function.
    const bash = await run(['bash', '-c', `${script.stdout}\ncomplete -p netaudit`], { cwd: away, env: env() });
    assert.equal(bash.code, 0, bash.stderr);
    assert.match(bash.stdout, /_netaudit_yargs_completions/);
  });

  it('a real audit from the install, outside the checkout: run --no-observe -- true is clean, its report valid', async function () {
    const json = path.join(away, 'report.json');
    const r = await netaudit(['run', '--no-observe', '--quiet', '--json', json, '--', 'true']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    assert.equal(report.builds[0]?.verdict, 'clean');
    assert.equal(report.tool.version, JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')).version);
    // The installed `report render` validates it again with the installed schema validator.
    const rendered = await netaudit(['report', 'render', json, '--format', 'junit']);
    assert.equal(rendered.code, 0, rendered.stderr);
    assert.match(rendered.stdout, /<testsuites?\b/);
  });

  it('the installed man page (share/man/man1/netaudit.1) renders with groff, without warnings', async function () {
    const page = path.join(prefix, 'share/man/man1/netaudit.1');
    assert.ok(existsSync(page), `npm did not install the man page at ${page}`);
    const r = await run(['groff', '-man', '-Tutf8', '-ww', '-P-cbou', page], { cwd: away, env: env() });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'groff warnings');
    const text = r.stdout;
    for (const heading of ['NAME', 'SYNOPSIS', 'COMMANDS', 'EXIT STATUS']) assert.match(text, new RegExp(`^${heading}$`, 'm'));
    assert.match(text, /netaudit report render/);
  });
  it('carries the compiled tracer, which needs libc.so.6 alone; not what only its build reads', async function () {
    const tracer = path.join(installed, 'dist/bpf/netaudit-tracer');
    assert.ok(existsSync(tracer), 'dist/bpf/netaudit-tracer is not in the tarball: build it (bash scripts/build-tracer.sh --portable, as prepack does)');
    assert.ok((statSync(tracer).mode & 0o111) !== 0, 'the tracer is not executable');
    const dyn = await run(['readelf', '-d', tracer]);
    assert.equal(dyn.code, 0, dyn.stderr);
    const needed = [...dyn.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
    assert.deepEqual(needed, ['libc.so.6'], 'libbpf, libelf and zlib must be linked in: bash scripts/build-tracer.sh --portable');
    assert.deepEqual(readdirSync(path.dirname(tracer)), ['netaudit-tracer']);
    // Other architectures build it from the sources the tarball carries.
    for (const rel of ['bpf/Makefile', 'bpf/netaudit.bpf.c', 'bpf/netaudit-tracer.c', 'bpf/netaudit.h', 'scripts/build-tracer.sh']) {
      assert.ok(existsSync(path.join(installed, rel)), `${rel} is not in the installed package`);
    }
  });

  it('the tarball\'s tracer starts and attaches where libbpf, libelf and zlib are not installed', async function () {
    const tracer = path.join(installed, 'dist/bpf/netaudit-tracer');
    // A private mount namespace in which each library reads as /dev/null (the dynamic loader finds nothing
    // to load); bpftool, which links libelf and zlib, is the control: it must fail there.
    const script = [
      'set -eu',
      'for lib in libbpf.so.1 libelf.so.1 libz.so.1; do',
      '  p=$(ldconfig -p | awk -v l="$lib" \'$1 == l { print $NF; exit }\')',
      '  [ -n "$p" ] || { echo "no $lib on this host" >&2; exit 3; }',
      '  mount --bind /dev/null "$(readlink -f "$p")"',
      'done',
      'if /usr/sbin/bpftool version >/dev/null 2>&1; then echo "control: bpftool still starts" >&2; exit 4; fi',
      '"$1" --version',
      '(sleep 0.5; echo) | "$1" --watch 1 | head -n 1',
    ].join('\n');
    const r = await run(['unshare', '--mount', '--propagation', 'private', 'bash', '-c', script, 'hide-libs', tracer], { cwd: away, env: env() });
    assert.equal(r.code, 0, r.stderr);
    const [version, ready] = r.stdout.trim().split('\n');
    assert.match(version ?? '', /^netaudit-tracer 1 libbpf \d+\.\d+$/);
    const first = JSON.parse(ready ?? '{}') as { t?: string; probes?: string[] };
    assert.equal(first.t, 'ready', r.stdout + r.stderr);
    assert.ok(first.probes?.includes('sys_enter') && first.probes.includes('uprobe:getaddrinfo'), ready);
  });

  it('the installed doctor finds the tarball\'s tracer, and an audit from the install uses it', async function () {
    const doctor = await netaudit(['doctor']);
    assert.ok(doctor.stdout.split('\n').includes(`ok      syscall observer (${path.join(installed, 'dist/bpf/netaudit-tracer')})`), doctor.stdout);
    const json = path.join(away, 'observed.json');
    const r = await netaudit(['run', '-q', '--json', json, '--', 'python3', '-c', "import socket; s = socket.socket(); s.settimeout(3); print(s.connect_ex(('198.51.100.7', 443)))"]);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    const build = (JSON.parse(readFileSync(json, 'utf8')) as Report).builds[0];
    assert.equal(build?.observer?.available, true, JSON.stringify(build?.observer));
    const attempt = build?.attempts.find((a) => a.address === '198.51.100.7');
    assert.equal(attempt?.process?.comm, 'python3', JSON.stringify(build?.attempts));
  });
});
