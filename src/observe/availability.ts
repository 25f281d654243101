/**
 * Can the syscall observer run here? bpftrace, BTF, tracefs with syscall tracepoints, root. Pure checks
 * on files and PATH plus one cheap probe (`bpftrace --version`, ~10 ms); never throws. The real proof is
 * Observer.start(), which attaches (seconds: bpftrace compiles the script with LLVM first).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { which } from '../proc/tools.js';

export const TRACEFS = '/sys/kernel/tracing';
export const BTF_VMLINUX = '/sys/kernel/btf/vmlinux';
/** bpftrace 0.17 is what the script is written and measured against (Debian 12). */
export const MIN_BPFTRACE: readonly [number, number] = [0, 17];

export interface Availability {
  readonly available: boolean;
  /** One phrase per missing piece, with the fix (Gentoo | Debian). Empty when available. */
  readonly missing: string[];
  /** `bpftrace --version`, when it ran. */
  readonly version?: string;
  /** True when tracefs is not mounted yet but can be (Observer.start() mounts it). */
  readonly mountTracefs?: boolean;
}

/** What availability() looks at; the defaults read this machine (tests pass their own). */
export interface AvailabilityProbe {
  readonly uid: () => number | undefined;
  readonly exists: (path: string) => boolean;
  readonly readText: (path: string) => string | undefined;
  readonly which: (command: string) => string | undefined;
  /** Run argv with a short timeout; stdout, or undefined when it could not run or failed. */
  readonly run: (argv: readonly string[]) => Promise<string | undefined>;
}

export const systemProbe: AvailabilityProbe = {
  uid: () => process.getuid?.(),
  exists: (p) => existsSync(p),
  readText: (p) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
  which: (c) => which(c),
  run: (argv) =>
    new Promise((resolve) => {
      const [file, ...args] = argv;
      if (!file) return resolve(undefined);
      let out = '';
      const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'ignore'] });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
      child.on('error', () => (clearTimeout(timer), resolve(undefined)));
      child.on('close', (code) => (clearTimeout(timer), resolve(code === 0 ? out : undefined)));
    }),
};

/** "bpftrace v0.17.0" -> [0, 17, 0]. */
export function parseBpftraceVersion(text: string): [number, number, number] | undefined {
  const m = /v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

/** tracefs holds the syscall tracepoints when mounted; mountable when the kernel knows the filesystem. */
function tracefsState(probe: AvailabilityProbe): 'mounted' | 'mountable' | 'absent' | 'no-syscall-events' {
  if (probe.exists(`${TRACEFS}/events`)) {
    return probe.exists(`${TRACEFS}/events/syscalls/sys_enter_connect`) ? 'mounted' : 'no-syscall-events';
  }
  const fs = probe.readText('/proc/filesystems') ?? '';
  return probe.exists(TRACEFS) && /\btracefs\b/.test(fs) ? 'mountable' : 'absent';
}

export async function availability(probe: AvailabilityProbe = systemProbe): Promise<Availability> {
  const missing: string[] = [];
  let version: string | undefined;
  let mountTracefs = false;
  try {
    if (probe.uid() !== 0) missing.push('root (loading BPF programs needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN): run netaudit as root');
    const bin = probe.which('bpftrace');
    if (!bin) {
      missing.push('bpftrace: emerge dev-debug/bpftrace | apt-get install bpftrace');
    } else {
      version = (await probe.run([bin, '--version']))?.trim();
      const v = version === undefined ? undefined : parseBpftraceVersion(version);
      if (!v) missing.push(`a working bpftrace (${bin} --version failed): reinstall dev-debug/bpftrace | bpftrace`);
      else if (v[0] < MIN_BPFTRACE[0] || (v[0] === MIN_BPFTRACE[0] && v[1] < MIN_BPFTRACE[1])) {
        missing.push(`bpftrace ${MIN_BPFTRACE.join('.')} or later (found ${version}): upgrade dev-debug/bpftrace | bpftrace`);
      }
    }
    if (!probe.exists(BTF_VMLINUX)) missing.push(`kernel BTF (${BTF_VMLINUX}): a kernel built with CONFIG_DEBUG_INFO_BTF=y`);
    const tracefs = tracefsState(probe);
    if (tracefs === 'absent') missing.push(`tracefs (${TRACEFS}): a kernel with CONFIG_FTRACE, then mount -t tracefs tracefs ${TRACEFS}`);
    else if (tracefs === 'no-syscall-events') missing.push('syscall tracepoints (events/syscalls in tracefs): a kernel built with CONFIG_FTRACE_SYSCALLS=y');
    else if (tracefs === 'mountable') mountTracefs = true;
  } catch (e) {
    missing.push(`checking the observer failed: ${(e as Error).message}`);
  }
  return {
    available: missing.length === 0,
    missing,
    ...(version !== undefined ? { version } : {}),
    ...(mountTracefs ? { mountTracefs } : {}),
  };
}
