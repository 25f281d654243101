/**
 * @privileged @portage The fidelity check against the real thing, no netaudit involved: each fixture ebuild of
 * fixtures/repo under Portage's own FEATURES=network-sandbox. Whether `ebuild FILE clean test install` succeeds
 * must agree with expected.json's portageSandboxSucceeds, and that with the verdict netaudit must give: breaks
 * and fails-without-network fail, clean and tolerates (allowed attempts included) pass.
 *
 * Safety: Portage runs inside an lo-only network namespace (`unshare --net`), so even the phases it does not
 * sandbox (pkg_setup, RESTRICT=network-sandbox, test_network with ALLOW_TEST=network) reach nothing outside this
 * machine. In that namespace the host's resolvers (resolv.conf) are put on lo and answered by a recorder that
 * says NXDOMAIN to every query and writes down each name: the queries of the unsandboxed phases land there,
 * those of Portage's own (nested) sandbox never do. That checks expected.json's `allowed` flags of the DNS
 * attempts against Portage itself, and changes no outcome (a lookup fails either way).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, run, type Ran } from '../helpers/cli.js';
import type { PortageInstall } from '../../src/portage/locate.js';
import { portageEnv, requirePortage } from '../helpers/portage.js';

interface ExpectedAttempt {
  kind: string;
  phase?: string;
  hostname?: string;
  allowed?: boolean;
}
interface Expectation {
  verdict: 'clean' | 'tolerates' | 'breaks' | 'fails-without-network';
  portageSandboxSucceeds: boolean;
  /** A regular expression the build log must match under the real sandbox. */
  portageLog?: string;
  attempts: ExpectedAttempt[];
}
/** The default ALLOW_TEST (the configuration's: none), and ALLOW_TEST=network where that differs. */
interface Expected extends Expectation {
  allowTestNetwork?: Expectation;
}

const REPO = path.join(ROOT, 'fixtures/repo');
const expected = JSON.parse(readFileSync(path.join(REPO, 'expected.json'), 'utf8')) as Record<string, Expected | string>;
/** What a network failure under network-sandbox looks like in a build log. */
const NETWORK_ERROR = /Could not resolve|Network is unreachable|Connection refused|Temporary failure in name resolution|EAI_AGAIN/;
const SUCCEEDS: Record<Expected['verdict'], boolean> = { clean: true, tolerates: true, breaks: false, 'fails-without-network': false };
/** Portage's "failed (test phase)" names the phase by EBUILD_PHASE. */
const PHASE_FUNC: Record<string, string> = {
  pretend: 'pkg_pretend', setup: 'pkg_setup', unpack: 'src_unpack', prepare: 'src_prepare', configure: 'src_configure',
  compile: 'src_compile', test: 'src_test', install: 'src_install',
};

/**
 * The DNS recorder (run as root inside the lo-only namespace): UDP port 53 on every local address, NXDOMAIN to
 * each query, one "name<TAB>qtype" line per query in argv[1]. It dies with its parent (PR_SET_PDEATHSIG) and
 * after 120 s in any case, so it cannot keep the namespace alive.
 */
const RECORDER = String.raw`
import ctypes, select, signal, socket, struct, sys, time
ctypes.CDLL(None).prctl(1, signal.SIGKILL)
socks = []
for fam, any_ in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((any_, 53))
    socks.append(s)
out = open(sys.argv[1], "a", buffering=1)
out.write("#ready\n")
end = time.monotonic() + 120
while time.monotonic() < end:
    for s in select.select(socks, [], [], 0.5)[0]:
        q, peer = s.recvfrom(4096)
        if len(q) < 17:
            continue
        i, labels = 12, []
        while i < len(q) and q[i]:
            labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
            i += 1 + q[i]
        if i + 5 > len(q):
            continue
        out.write("%s\t%d\n" % (".".join(labels).lower(), struct.unpack(">H", q[i + 1:i + 3])[0]))
        flags = 0x8000 | (struct.unpack(">H", q[2:4])[0] & 0x7900) | 0x0080 | 3
        s.sendto(q[:2] + struct.pack(">HHHHH", flags, 1, 0, 0, 0) + q[12:i + 5], peer)
`;

/**
 * argv: recorder script, recorder log, resolver addresses (space separated, with prefix length), then the command. lo up, the
 * resolvers on lo, the recorder started and waited for; the command runs as a child so that the recorder can
 * be ended and reaped afterwards. Exit 125 when the namespace could not be set up.
 */
const LO_ONLY = [
  'ip link set lo up || exit 125',
  'for a in $3; do case $a in *:*) ip addr add "$a" dev lo nodad ;; *) ip addr add "$a" dev lo ;; esac || exit 125; done',
  'log=$2; python3 "$1" "$log" & rec=$!',
  'shift 3',
  'i=0; until [ -s "$log" ]; do i=$((i+1)); [ $i -gt 500 ] && { kill $rec; exit 125; }; sleep 0.01; done',
  '"$@"; rc=$?',
  'kill $rec 2>/dev/null; wait $rec 2>/dev/null',
  'exit $rc',
].join('\n');

/** The host's resolvers as lo addresses (those not on lo already). */
function resolverAddresses(): string {
  let text = '';
  try {
    text = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*nameserver\s+([0-9a-fA-F.:]+)\s*$/gm)) {
    const a = m[1] as string;
    if (/^127\./.test(a) || a === '::1' || a === '0.0.0.0') continue;
    out.push(a.includes(':') ? `${a}/128` : `${a}/32`);
  }
  return out.join(' ');
}

function ebuildFile(cpv: string): string {
  const [cat, pf] = cpv.split('/') as [string, string];
  return path.join(REPO, cat, pf.replace(/-[0-9][^-]*(-r[0-9]+)?$/, ''), `${pf}.ebuild`);
}

/** Root, unshare and ip: without them there is no lo-only namespace, and Portage would not sandbox anything. */
function requireNamespaces(ctx: Mocha.Context): void {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('not root (Portage sandboxes only as root)');
  for (const tool of ['unshare', 'ip', 'python3']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore', env: portageEnv() });
    } catch {
      problems.push(`${tool} missing`);
    }
  }
  if (!problems.length) return;
  if (process.env.CI === 'true') throw new Error(`the Portage fidelity tests cannot run in CI: ${problems.join('; ')}`);
  ctx.skip();
}

describe("fixture ebuilds under Portage's own network-sandbox (fidelity) @privileged @portage", function () {
  this.timeout(60_000);
  const timings: { cpv: string; ms: number; code: number | null }[] = [];
  let tmp = '';
  let buildRoot = '';
  let resolvers = '';
  let recorder = '';
  let install: PortageInstall;

  before(function () {
    install = requirePortage(this);
    requireNamespaces(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-fidelity-'));
    chmodSync(tmp, 0o755);
    resolvers = resolverAddresses();
    recorder = path.join(tmp, 'dns-recorder.py');
    writeFileSync(recorder, RECORDER);
    buildRoot = path.join(install.configRoot, 'var/tmp/portage');
  });

  after(function () {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    if (timings.length) {
      const total = timings.reduce((s, t) => s + t.ms, 0);
      const lines = timings.map((t) => `    ${t.cpv.padEnd(40)} exit ${String(t.code).padEnd(4)} ${Math.round(t.ms)} ms`);
      console.log(`  ebuild FILE clean test install under FEATURES=network-sandbox:\n${lines.join('\n')}\n    total ${Math.round(total)} ms`);
    }
  });

  it('expected.json covers the repository: every ebuild once, each verdict consistent', function () {
    const files = execFileSync('find', [REPO, '-name', '*.ebuild'], { encoding: 'utf8' }).trim().split('\n').sort();
    const cpvs = Object.keys(expected).filter((k) => typeof expected[k] !== 'string');
    assert.deepEqual(cpvs.map(ebuildFile).sort(), files);
    assert.ok(cpvs.length >= 12, `${cpvs.length} fixture ebuilds`);
    for (const [cpv, exp] of cpvs.flatMap((c) => {
      const e = expected[c] as Expected;
      return [[c, e], ...(e.allowTestNetwork ? [[`${c} (ALLOW_TEST=network)`, e.allowTestNetwork]] : [])] as [string, Expectation][];
    })) {
      assert.ok(exp.verdict in SUCCEEDS, `${cpv}: unknown verdict ${exp.verdict}`);
      assert.equal(exp.portageSandboxSucceeds, SUCCEEDS[exp.verdict], `${cpv}: portageSandboxSucceeds must follow from the verdict ${exp.verdict}`);
      assert.ok(Array.isArray(exp.attempts), `${cpv}: attempts`);
      if (exp.verdict === 'fails-without-network' || exp.verdict === 'clean') {
        assert.ok(exp.attempts.every((a) => a.allowed === true), `${cpv}: ${exp.verdict} with a blocked attempt`);
      } else {
        assert.ok(exp.attempts.some((a) => a.allowed === false), `${cpv}: ${exp.verdict} without a blocked attempt`);
      }
    }
  });

  for (const [cpv, entry] of Object.entries(expected)) {
    if (typeof entry === 'string') continue;
    const cases: { allowTest?: string; exp: Expectation }[] = [{ exp: entry }, ...(entry.allowTestNetwork ? [{ allowTest: 'network', exp: entry.allowTestNetwork }] : [])];
    for (const { allowTest, exp } of cases) {
      const config = allowTest ? ` with ALLOW_TEST=${allowTest}` : '';
      it(`${cpv}: ${exp.portageSandboxSucceeds ? 'passes' : 'fails'} under FEATURES=network-sandbox${config} (verdict ${exp.verdict})`, async function () {
        requirePortage(this);
        assert.equal(exp.portageSandboxSucceeds, SUCCEEDS[exp.verdict], `expected.json: portageSandboxSucceeds must follow from the verdict ${exp.verdict}`);
        const file = ebuildFile(cpv);
        const [cat, pf] = cpv.split('/') as [string, string];
        const runDir = mkdtempSync(path.join(tmp, `${pf}-`));
        const logDir = path.join(runDir, 'log');
        const dnsLog = path.join(runDir, 'dns.txt');
        // ALLOW_TEST as netaudit leaves it by default (the configuration's), or as --allow-test sets it.
        const env = portageEnv(install, { PORTAGE_LOGDIR: logDir, FEATURES: 'network-sandbox', ...(allowTest ? { ALLOW_TEST: allowTest } : {}) });
        if (!allowTest) delete env.ALLOW_TEST;
        const inLoOnly = (argv: string[], queries = dnsLog) =>
          run(['unshare', '--net', '--', 'sh', '-c', LO_ONLY, 'lo-only', recorder, queries, resolvers, ...argv], { env });
        let r: Ran | undefined;
        try {
          r = await inLoOnly([install.ebuild, file, 'clean', 'test', 'install']);
          timings.push({ cpv, ms: r.ms, code: r.code });
        } finally {
          // Every run ends with a clean, pass or fail: nothing is left under PORTAGE_TMPDIR.
          const c = await inLoOnly([install.ebuild, file, 'clean'], `${dnsLog}.clean`);
          assert.equal(c.code, 0, `ebuild ${pf} clean: ${c.stdout}${c.stderr}`);
        }
        assert.ok(r);
        assert.notEqual(r.code, 125, `the lo-only namespace could not be set up: ${r.stderr}`);
        assert.ok(!existsSync(path.join(buildRoot, cat, pf)), 'build dir removed');

        const logs = existsSync(logDir) ? readdirSync(logDir).map((f) => readFileSync(path.join(logDir, f), 'utf8')).join('\n') : '';
        const output = `exit ${r.code}, ${Math.round(r.ms)} ms:\n${(r.stdout + r.stderr).slice(-2500)}`;
        assert.match(logs, /FEATURES:.*\bnetwork-sandbox\b/, `Portage's own network-sandbox was not on: ${output}`);
        assert.equal(r.code === 0, exp.portageSandboxSucceeds, output);
        if (exp.portageLog) assert.match(logs, new RegExp(exp.portageLog), output);
        if (exp.verdict === 'breaks') {
          assert.match(logs, NETWORK_ERROR, `the build log shows no network failure: ${output}`);
          // It failed in a phase where a blocked attempt was expected.
          const failed = /failed \((\w+) phase\)/.exec(logs)?.[1] ?? '';
          const phases = exp.attempts.filter((a) => !a.allowed).map((a) => a.phase);
          assert.ok(phases.includes(PHASE_FUNC[failed]), `failed in the ${failed} phase, blocked attempts in ${phases.join(', ')}`);
        }
        // A failure of declared network tests (every attempt allowed) shows network errors; any other
        // fails-without-network has another cause.
        const declaredOnly = exp.attempts.length > 0 && exp.attempts.every((a) => a.allowed);
        if (exp.verdict === 'fails-without-network' && !declaredOnly) assert.doesNotMatch(logs, NETWORK_ERROR);

        // The DNS queries that reached the recorder came from phases Portage did not sandbox: exactly the allowed ones.
        const seen = new Set(readFileSync(dnsLog, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t')[0]));
        for (const a of exp.attempts.filter((x) => x.kind === 'dns' && x.hostname)) {
          const name = (a.hostname as string).toLowerCase();
          if (a.allowed) assert.ok(seen.has(name), `${name} (${a.phase}) is expected allowed, but Portage sandboxed it; unsandboxed queries: ${[...seen].join(' ') || 'none'}`);
          else assert.ok(!seen.has(name), `${name} (${a.phase}) is expected blocked, but Portage let it out`);
        }
        rmSync(runDir, { recursive: true, force: true });
      });
    }
  }
});
