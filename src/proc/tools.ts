/**
 * The one place that finds the external programs netaudit runs (ip, nsenter, nft, sysctl, tcpdump, setpriv,
 * unshare, python3, ...) and the table of its prerequisites (what each is for, its Gentoo and
 * Debian package).
 *
 * Every spawn of a tool uses the absolute path tool() gives, also where another program execs it (`nsenter
 * ... -- /usr/sbin/sysctl`, a request to the user namespace's launcher): such a program searches the caller's
 * PATH, and an ordinary user's PATH often has no sbin directory (Debian's default user PATH is
 * /usr/local/bin:/usr/bin:/bin) while iproute2, nftables and procps install there. So a tool is looked up in
 * the caller's PATH first (a user's own build of a tool wins), then in the directories packages install
 * into. The build's own command is never resolved here: it runs with the caller's PATH, as it would
 * without netaudit.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/** Where distribution packages install programs, searched after the caller's PATH. */
export const INSTALL_DIRS: readonly string[] = ['/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin', '/bin'];

export interface Tool {
  readonly command: string;
  readonly why: string;
  readonly gentoo: string;
  readonly debian: string;
  readonly optional?: boolean;
}

/** The prerequisites `netaudit doctor` lists and every privileged command checks (src/sandbox/prereq.ts). */
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
];

/** "install X (Gentoo: pkg | Debian: pkg)" for the tools of TOOLS; others by name only. */
export function installHint(commands: readonly string[]): string {
  const known = commands.map((c) => TOOLS.find((t) => t.command === c));
  const gentoo = [...new Set(known.map((t, i) => t?.gentoo ?? commands[i]))];
  const debian = [...new Set(known.map((t, i) => t?.debian ?? commands[i]))];
  return `install ${commands.join(', ')} (emerge ${gentoo.join(' ')} | apt-get install ${debian.join(' ')})`;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The absolute path of `command`: the first executable file of that name in `envPath`'s absolute
 * directories, then in INSTALL_DIRS; undefined when there is none. A command holding a slash is taken as
 * it is (when executable). Not cached: tool() is the cached form.
 */
export function which(command: string, envPath = process.env.PATH ?? ''): string | undefined {
  return search(command, [...envPath.split(':'), ...INSTALL_DIRS]);
}

/** Like which(), but only in `envPath`: what a program running with that PATH would find (Portage's phases). */
export function onPath(command: string, envPath: string): string | undefined {
  return search(command, envPath.split(':'));
}

function search(command: string, dirs: readonly string[]): string | undefined {
  if (!command) return undefined;
  if (command.includes('/')) return executable(command) ? path.resolve(command) : undefined;
  const seen = new Set<string>();
  for (const dir of dirs) {
    // A relative entry ('', '.') would resolve against whatever the cwd is: never for a privileged tool.
    if (!path.isAbsolute(dir) || seen.has(dir)) continue;
    seen.add(dir);
    const p = path.join(dir, command);
    if (executable(p)) return p;
  }
  return undefined;
}

const resolved = new Map<string, string>();

/**
 * The absolute path to spawn `command` by (which(), cached for the life of the process). When it is not
 * installed the bare name comes back, so that spawning it fails as before (ENOENT, or exit 127 after an
 * exec) and the caller reports a missing tool.
 */
export function tool(command: string): string {
  const hit = resolved.get(command);
  if (hit) return hit;
  const found = which(command);
  if (!found) return command;
  resolved.set(command, found);
  return found;
}

/** The tools of `commands` that are not installed (neither in PATH nor in INSTALL_DIRS). */
export function missingTools(commands: readonly string[]): string[] {
  return [...new Set(commands)].filter((c) => !which(c));
}

/** Forget what tool() found (tests that change PATH). */
export function forgetTools(): void {
  resolved.clear();
}
