/**
 * @privileged An IPv6 nameserver in the build's resolv.conf (issue 16: the names of most programs' lookups
 * were lost, the UDP connect to [2001:db8::53]:53 fails with ENETUNREACH before any question exists). With the
 * compiled tracer each lookup is a `dns` attempt with its name (the one the thread handed to libc's
 * resolver) and its process, as under network-sandbox every client fails the same way the reference does.
 * The resolv.conf is bound in a mount namespace of the build's own; nothing leaves the machine.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Report } from '../../src/model/types.js';
import { netaudit, referenceSandbox } from '../helpers/cli.js';
import { requirePrivileges } from '../helpers/privileged.js';

describe('an IPv6 nameserver: lookups keep their names @privileged', function () {
  this.timeout(120_000);
  let tmp: string;
  before(function () {
    requirePrivileges(this);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-test-v6ns-'));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  it('getent, curl, python, node, git, npm and pip: dns attempts with the names, the processes, ENETUNREACH; exits as under network-sandbox', async () => {
    const resolv = path.join(tmp, 'resolv.conf');
    writeFileSync(resolv, 'nameserver 2001:db8::53\n');
    const script = path.join(tmp, 'lookups.sh');
    writeFileSync(
      script,
      [
        `mount --bind '${resolv}' /etc/resolv.conf || exit 90`,
        'getent ahosts files.example.org; echo "getent=$?"',
        'curl -sS --max-time 5 http://pkgs.example.org/; echo "curl=$?"',
        'python3 -c \'import socket; socket.getaddrinfo("py.example.org", 80)\' 2>/dev/null; echo "python=$?"',
        'node -e \'require("dns").lookup("node.example", (e) => process.exit(e ? 1 : 0))\'; echo "node=$?"',
        'git ls-remote https://git.example/x.git >/dev/null 2>&1; echo "git=$?"',
        // npm and pip in a directory of their own, without retries, update or version checks (which would
        // look up their real registries' names) and without the host's configuration (pip's extra indexes).
        `cd '${tmp}' || exit 91`,
        'npm view left-pad --registry http://registry.example/ --fetch-retries=0 --no-update-notifier --cache ./npm-cache >/dev/null 2>&1; echo "npm=$?"',
        'PIP_CONFIG_FILE=/dev/null python3 -m pip download --isolated --index-url http://pypi.example/simple --trusted-host pypi.example --retries 0 --timeout 5 --disable-pip-version-check --no-cache-dir --no-deps -d ./pip x >/dev/null 2>&1; echo "pip=$?"',
        '',
      ].join('\n'),
    );
    const argv = ['unshare', '-m', 'sh', script];
    const reference = await referenceSandbox(argv);
    const json = path.join(tmp, 'report.json');
    const audited = await netaudit(['run', '--fail-on', 'never', '-q', '--json', json, '--', ...argv]);
    assert.equal(audited.code, 0, audited.stderr);
    assert.equal(audited.stdout, reference.stdout, 'every client failed as it does under network-sandbox');
    assert.equal(reference.stdout, 'getent=2\ncurl=6\npython=1\nnode=1\ngit=128\nnpm=1\npip=1\n');
    const build = (JSON.parse(readFileSync(json, 'utf8')) as Report).builds[0];
    assert.ok(build?.observer?.available, `the tracer ran: ${JSON.stringify(build?.observer)}`);
    const lookups = (build?.attempts ?? []).map((a) => [a.kind, a.hostname, a.address, a.port, a.outcome, a.process?.comm]);
    assert.deepEqual(
      lookups,
      [
        ['dns', 'files.example.org', '2001:db8::53', 53, 'unreachable', 'getent'],
        ['dns', 'pkgs.example.org', '2001:db8::53', 53, 'unreachable', 'curl'],
        ['dns', 'py.example.org', '2001:db8::53', 53, 'unreachable', 'python3'],
        ['dns', 'node.example', '2001:db8::53', 53, 'unreachable', 'node'],
        // git hands https to its remote helper (a comm is cut to 15 bytes).
        ['dns', 'git.example', '2001:db8::53', 53, 'unreachable', 'git-remote-http'],
        ['dns', 'registry.example', '2001:db8::53', 53, 'unreachable', 'npm'],
        ['dns', 'pypi.example', '2001:db8::53', 53, 'unreachable', 'python3'],
      ],
      JSON.stringify(build?.attempts, null, 1),
    );
  });
});
