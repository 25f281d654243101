/**
 * @privileged @portage The fidelity check against the real thing, no netaudit involved: each fixture ebuild
 * under Portage's own FEATURES=network-sandbox. Whether `ebuild FILE clean test install clean` succeeds must
 * agree with netaudit's verdict: breaks fails, clean and tolerates pass (allowed attempts included),
 * fails-without-network fails. Portage runs inside an lo-only network namespace, so even the phases it does not
 * sandbox (pkg_setup, RESTRICT=network-sandbox, test_network) reach nothing outside this machine.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, run } from '../helpers/cli.js';
import { portageEnv, requirePortage } from '../helpers/portage.js';
import { requirePrivileges } from '../helpers/privileged.js';

interface Expected {
  verdict: string;
  portageSandboxSucceeds: boolean;
}

const REPO = path.join(ROOT, 'fixtures/repo');
const expected = JSON.parse(readFileSync(path.join(REPO, 'expected.json'), 'utf8')) as Record<string, Expected | string>;
const NETWORK_ERROR = /Could not resolve|Temporary failure in name resolution|Network is unreachable|Connection refused|Operation not permitted|unable to access|Could(?:n't| not) connect/;

describe("fixture ebuilds under Portage's own network-sandbox (fidelity) @privileged @portage", function () {
  this.timeout(120_000);
  let tmp: string;
  before(function () {
    requirePrivileges(this);
    requirePortage(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-'));
    chmodSync(tmp, 0o777);
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  for (const [cpv, exp] of Object.entries(expected)) {
    if (typeof exp === 'string') continue;
    it(`${cpv}: ${exp.portageSandboxSucceeds ? 'passes' : 'fails'} under FEATURES=network-sandbox, as the verdict ${exp.verdict} says`, async function () {
      const install = requirePortage(this);
      const consistent = exp.verdict === 'clean' || exp.verdict === 'tolerates';
      assert.equal(exp.portageSandboxSucceeds, consistent, 'expected.json: portageSandboxSucceeds must follow from the verdict');
      const [cat, pf] = cpv.split('/') as [string, string];
      const file = path.join(REPO, cat, pf.replace(/-[0-9][^-]*$/, ''), `${pf}.ebuild`);
      const logDir = mkdtempSync(path.join(tmp, 'log-'));
      chmodSync(logDir, 0o777);
      const r = await run(
        ['unshare', '--net', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'lo-only', install.ebuild, file, 'clean', 'test', 'install', 'clean'],
        { env: portageEnv(install, { ALLOW_TEST: 'network', PORTAGE_LOGDIR: logDir, FEATURES: 'network-sandbox' }) },
      );
      assert.equal(r.code === 0, exp.portageSandboxSucceeds, `exit ${r.code}:\n${r.stdout.slice(-1500)}\n${r.stderr.slice(-1500)}`);
      const logs = readdirSync(logDir).map((f) => readFileSync(path.join(logDir, f), 'utf8')).join('\n');
      assert.match(logs, /FEATURES:.*network-sandbox/, "Portage's own network-sandbox was on");
      if (exp.verdict === 'breaks') assert.match(logs, NETWORK_ERROR, 'the build log shows the network failure');
      if (!exp.portageSandboxSucceeds) {
        // A failed build leaves its build dir: clean it, as the passing ones cleaned themselves.
        await run([install.ebuild, file, 'clean'], { env: portageEnv(install) });
      }
      assert.ok(!existsSync(path.join(install.configRoot, 'var/tmp/portage', cat, pf)), 'build dir removed');
    });
  }
});
