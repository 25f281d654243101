/**
 * src/sandbox/userns.ts and prereq.ts without root: which sysctl forbids unprivileged user namespaces, the
 * one-line errors (exit 2) for run, ebuild and sweep, and the quoting of the launcher's requests.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { exitCodeFor } from '../../src/model/errors.js';
import { findProblems } from '../../src/sandbox/prereq.js';
import { LAUNCHER, shellQuote, userNamespaceBlocker, userNamespaceError } from '../../src/sandbox/userns.js';

const sysctls = (values: Record<string, string>) => (p: string): string | undefined => values[p];

describe('user namespaces (running without root)', () => {
  it('names the sysctl that forbids them, with the value that allows them', () => {
    assert.equal(userNamespaceBlocker(sysctls({ '/proc/sys/user/max_user_namespaces': '96363\n' })), undefined);
    assert.match(userNamespaceBlocker(sysctls({ '/proc/sys/user/max_user_namespaces': '0\n' })) ?? '', /^user\.max_user_namespaces is 0 \(sysctl -w user\.max_user_namespaces=/);
    assert.match(
      userNamespaceBlocker(sysctls({ '/proc/sys/user/max_user_namespaces': '100', '/proc/sys/kernel/unprivileged_userns_clone': '0' })) ?? '',
      /^kernel\.unprivileged_userns_clone is 0 \(sysctl -w kernel\.unprivileged_userns_clone=1\)/,
    );
    // AppArmor's restriction may be lifted for netaudit by a profile: named once making the namespace failed.
    const apparmor = sysctls({ '/proc/sys/kernel/unprivileged_userns_clone': '1', '/proc/sys/kernel/apparmor_restrict_unprivileged_userns': '1' });
    assert.equal(userNamespaceBlocker(apparmor), undefined);
    assert.match(userNamespaceBlocker(apparmor, true) ?? '', /^kernel\.apparmor_restrict_unprivileged_userns is 1/);
    // Absent sysctls (Debian's knob on other kernels, AppArmor's elsewhere) forbid nothing.
    assert.equal(userNamespaceBlocker(sysctls({})), undefined);
  });

  it('the error is one line offering sudo, exit 2, code E_NO_USERNS', () => {
    const e = userNamespaceError('user.max_user_namespaces is 0 (sysctl -w user.max_user_namespaces=15000)');
    assert.equal(e.code, 'E_NO_USERNS');
    assert.equal(exitCodeFor(e), 2);
    assert.doesNotMatch(e.message, /\n/);
    assert.match(e.message, /^unprivileged user namespaces are forbidden here: user\.max_user_namespaces is 0 .* — or run as root: sudo netaudit/);
  });

  it('ebuild and sweep need root (Portage), run does not, gc as root', () => {
    const [portage] = findProblems('portage', 1000);
    assert.equal(portage?.error.code, 'E_NOT_ROOT');
    assert.match(portage?.error.message ?? '', /Portage needs root for its phases .* never runs them unsandboxed: sudo netaudit/);
    assert.equal(findProblems('run', 1000).filter((p) => p.error.code === 'E_NOT_ROOT').length, 0);
    assert.equal(findProblems('root', 1000)[0]?.error.code, 'E_NOT_ROOT');
  });

  it('quotes request words so that sh gives back exactly the argv', () => {
    const argv = ['printf', '%s|', 'plain', 'two words', "it's", '$HOME', '`x`', '"q"', '', 'a\nb', 'nft -f -'];
    const out = execFileSync('sh', ['-c', argv.map(shellQuote).join(' ')], { encoding: 'utf8' });
    assert.equal(out, argv.slice(2).map((w) => `${w}|`).join(''));
    assert.equal(shellQuote('--net=/proc/42/ns/net'), '--net=/proc/42/ns/net');
  });

  it('the launcher is valid sh', () => {
    execFileSync('sh', ['-n', '-c', LAUNCHER]);
  });
});
