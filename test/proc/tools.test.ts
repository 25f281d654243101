/**
 * src/proc/tools.ts: every tool is found where its package installs it, whatever the caller's PATH (Debian's
 * default user PATH has no sbin directory: sysctl, nft and ip live there); the caller's PATH comes first.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { INSTALL_DIRS, TOOLS, forgetTools, installHint, missingTools, onPath, tool, which } from '../../src/proc/tools.js';

/** Debian's default PATH for an ordinary user (/etc/profile, /etc/login.defs ENV_PATH). */
const DEBIAN_USER_PATH = '/usr/local/bin:/usr/bin:/bin';

describe('proc/tools: where the tools are', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'netaudit-tools-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('with a PATH lacking sbin, sysctl, nft and ip are found in the sbin directories, as absolute paths', () => {
    for (const command of ['sysctl', 'nft', 'ip']) {
      const found = which(command, DEBIAN_USER_PATH);
      assert.ok(found, `${command} is installed on this machine (scripts/setup.sh)`);
      assert.ok(path.isAbsolute(found), found);
      assert.equal(path.basename(found), command);
    }
    // sysctl lives in sbin only (procps): this is the lookup that failed as "nsenter: failed to execute sysctl".
    const sysctl = which('sysctl', DEBIAN_USER_PATH) as string;
    assert.ok(['/usr/sbin', '/sbin'].includes(path.dirname(sysctl)), sysctl);
    assert.equal(onPath('sysctl', DEBIAN_USER_PATH), undefined, 'the PATH alone does not have it');
  });

  it("tool(): netaudit's own PATH lacking sbin still gives absolute paths (cached), a missing tool its bare name", () => {
    const saved = process.env.PATH;
    try {
      process.env.PATH = DEBIAN_USER_PATH;
      forgetTools();
      for (const command of ['sysctl', 'nft', 'ip', 'nsenter', 'tcpdump', 'setpriv', 'unshare']) {
        assert.ok(path.isAbsolute(tool(command)), `${command}: ${tool(command)}`);
      }
      assert.equal(tool('sysctl'), which('sysctl', DEBIAN_USER_PATH));
      assert.equal(tool('netaudit-no-such-tool-x'), 'netaudit-no-such-tool-x');
    } finally {
      process.env.PATH = saved;
      forgetTools();
    }
  });

  it('with an empty PATH every required tool of the table is still found', () => {
    const missing = TOOLS.filter((t) => !t.optional && !which(t.command, ''));
    assert.deepEqual(missing.map((t) => t.command), []);
  });

  it("the caller's PATH comes first; relative entries are never searched", () => {
    const own = path.join(tmp, 'sysctl');
    writeFileSync(own, '#!/bin/sh\nexit 0\n');
    chmodSync(own, 0o755);
    assert.equal(which('sysctl', `${tmp}:${DEBIAN_USER_PATH}`), own);
    const cwd = process.cwd();
    try {
      process.chdir(tmp);
      assert.notEqual(which('sysctl', `.::${DEBIAN_USER_PATH}`), path.join(tmp, 'sysctl'));
      assert.notEqual(which('sysctl', `.::${DEBIAN_USER_PATH}`), 'sysctl');
    } finally {
      process.chdir(cwd);
    }
  });

  it('a file that is not executable, or a directory, is not a tool', () => {
    const plain = path.join(tmp, 'notexec');
    writeFileSync(plain, 'x');
    chmodSync(plain, 0o644);
    assert.equal(onPath('notexec', tmp), undefined);
    assert.equal(onPath(path.basename(tmp), os.tmpdir()), undefined, 'a directory');
    assert.equal(which('netaudit-no-such-tool-x', DEBIAN_USER_PATH), undefined);
  });

  it('the install directories cover sbin and bin, /usr and /usr/local', () => {
    for (const d of ['/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin', '/bin']) assert.ok(INSTALL_DIRS.includes(d), d);
  });

  it('missing tools are named with their Gentoo and Debian packages', () => {
    assert.deepEqual(missingTools(['sysctl', 'netaudit-no-such-tool-x', 'netaudit-no-such-tool-x']), ['netaudit-no-such-tool-x']);
    assert.equal(installHint(['tcpdump', 'sysctl']), 'install tcpdump, sysctl (emerge net-analyzer/tcpdump sys-process/procps | apt-get install tcpdump procps)');
  });
});
