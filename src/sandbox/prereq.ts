/**
 * Prerequisites: privileges, tools (the table is src/proc/tools.ts), kernel support. `check()` is cheap (PATH lookups, no processes) and runs
 * before every privileged command; `netaudit doctor` prints the full table with install commands.
 */
import { existsSync } from 'node:fs';
import { KernelSupportError, MissingToolError, NotRootError, type NetauditError } from '../model/errors.js';
import { TOOLS, which } from '../proc/tools.js';
import { userNamespaceBlocker, userNamespaceError } from './userns.js';

/**
 * What a command needs of privileges. `run`: root, or else a user namespace (src/sandbox/userns.ts).
 * `portage`: root (Portage's phases: FEATURES=userpriv drops to the portage user, the image is chowned).
 * `root`: root (gc removes namespaces in /run/netns).
 */
export type PrivilegeNeed = 'run' | 'portage' | 'root';

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
