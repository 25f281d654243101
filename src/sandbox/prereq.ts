/**
 * Prerequisites: privileges, tools, kernel support. `check()` is cheap (PATH lookups, no processes) and runs
 * before every privileged command; `netaudit doctor` prints the full table with install commands.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { KernelSupportError, MissingToolError, NotRootError, type NetauditError } from '../model/errors.js';
import { userNamespaceBlocker, userNamespaceError } from './userns.js';

/**
 * What a command needs of privileges. `run`: root, or else a user namespace (src/sandbox/userns.ts).
 * `portage`: root (Portage's phases: FEATURES=userpriv drops to the portage user, the image is chowned).
 * `root`: root (gc removes namespaces in /run/netns).
 */
export type PrivilegeNeed = 'run' | 'portage' | 'root';

export interface Tool {
  readonly command: string;
  readonly why: string;
  readonly gentoo: string;
  readonly debian: string;
  readonly optional?: boolean;
}

export const TOOLS: readonly Tool[] = [
  { command: 'ip', why: 'creates the namespaces and the veth pair', gentoo: 'sys-apps/iproute2', debian: 'iproute2' },
  { command: 'tcpdump', why: 'captures the attempts', gentoo: 'net-analyzer/tcpdump', debian: 'tcpdump' },
  { command: 'nft', why: 'fails UDP/ICMP sends on the spot, as network-sandbox does', gentoo: 'net-firewall/nftables', debian: 'nftables' },
  { command: 'nsenter', why: 'enters the namespaces', gentoo: 'sys-apps/util-linux', debian: 'util-linux' },
  { command: 'unshare', why: 'gives the build its own hostname (UTS namespace)', gentoo: 'sys-apps/util-linux', debian: 'util-linux' },
  { command: 'setpriv', why: 'drops privileges (--user) and ties captures to netaudit', gentoo: 'sys-apps/util-linux', debian: 'util-linux' },
  { command: 'hostname', why: 'sets the build hostname to localhost', gentoo: 'sys-apps/net-tools or sys-apps/coreutils[hostname]', debian: 'hostname' },
  { command: 'bash', why: 'sends the end-of-capture marker', gentoo: 'app-shells/bash', debian: 'bash' },
  { command: 'sysctl', why: 'lifts ICMP rate limits in the monitor', gentoo: 'sys-process/procps', debian: 'procps' },
  {
    command: 'python3',
    why: "the intercept responder (src/sandbox/responder.py); only --intercept and --explain need it: without it, a breaking ebuild's explanation says the rerun could not be made (optional)",
    gentoo: 'dev-lang/python',
    debian: 'python3',
    optional: true,
  },
  { command: 'bpftrace', why: 'the syscall observer: who made each attempt, network-sandbox\'s errnos (optional)', gentoo: 'dev-debug/bpftrace', debian: 'bpftrace', optional: true },
];

export function which(command: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of [...envPath.split(':'), '/usr/sbin', '/sbin']) {
    if (!dir) continue;
    const p = path.join(dir, command);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export interface Problem {
  readonly what: string;
  readonly fix: string;
  /** The error that stops a command for it (one line: what — fix). */
  readonly error: NetauditError;
}

function problem(what: string, fix: string, make: (message: string) => NetauditError): Problem {
  return { what, fix, error: make(`${what} — ${fix}`) };
}

export function findProblems(need: PrivilegeNeed = 'root', uid = process.getuid?.()): Problem[] {
  const problems: Problem[] = [];
  if (uid !== 0 && need === 'run') {
    const blocker = userNamespaceBlocker();
    if (blocker) {
      const error = userNamespaceError(blocker);
      problems.push({ what: 'unprivileged user namespaces are forbidden', fix: error.message.replace(/^[^:]*: /, ''), error });
    }
  } else if (uid !== 0 && need === 'portage') {
    problems.push(
      problem(
        'not running as root',
        `Portage needs root for its phases (FEATURES=userpriv drops to the portage user, the image is chowned) and netaudit never runs them unsandboxed: sudo netaudit ${process.argv.slice(2).join(' ')}`.trimEnd(),
        (m) => new NotRootError(m),
      ),
    );
  } else if (uid !== 0) {
    problems.push(
      problem('not running as root', 'run netaudit as root (sudo netaudit ...): network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN', (m) => new NotRootError(m)),
    );
  }
  if (!existsSync('/proc/self/ns/net') || !existsSync('/proc/self/ns/uts')) {
    problems.push(problem('the kernel has no network/UTS namespace support', 'enable CONFIG_NET_NS and CONFIG_UTS_NS in the kernel', (m) => new KernelSupportError(m)));
  }
  const missing = TOOLS.filter((t) => !t.optional && !which(t.command));
  if (missing.length) {
    const tools = missing.map((t) => t.command);
    problems.push(
      problem(
        `missing ${tools.join(', ')}`,
        `install: emerge --noreplace ${[...new Set(missing.map((t) => t.gentoo))].join(' ')}  |  apt-get install ${[...new Set(missing.map((t) => t.debian))].join(' ')}`,
        (m) => new MissingToolError(tools, m),
      ),
    );
  }
  return problems;
}

/** Throw the first problem as a one-line error (exit 2). */
export function assertPrerequisites(need: PrivilegeNeed = 'root'): void {
  const [first] = findProblems(need);
  if (first) throw first.error;
}
