/**
 * Can the syscall tracer run here? Root, the kernel's BTF and the built loader (dist/bpf/netaudit-tracer of
 * this package). availability() checks on files only and never throws: every audit asks it. tracefs is not
 * needed: the loader attaches raw tracepoints (bpf_raw_tracepoint_open) and uprobes through the uprobe PMU or
 * uprobe_multi links, none of which goes through tracefs (checked: in a mount namespace with tracefs and
 * debugfs unmounted, the loader attached every program, with uprobe_multi and with --no-uprobe-multi). The real
 * proof is Observer.start(), which attaches (~25-40 ms).
 *
 * `netaudit doctor` asks more (diagnose()): whether the loader found starts on this machine (`--version`: its
 * shared libraries, its architecture, its C library) and, when it is missing or does not start, which of the
 * tools that build it from source (bpf/, scripts/build-tracer.sh) this machine lacks. Every missing piece is
 * one phrase naming it and how to get it on Gentoo and on Debian.
 *
 * Where the loader comes from: the npm tarball carries one for x86_64 (libbpf, libelf and zlib linked in, so it
 * needs only glibc >= 2.34), the Gentoo overlay's ebuild builds it from source, and a checkout builds it with
 * scripts/build-tracer.sh (docs/install.md).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { which } from '../proc/tools.js';
import { packagePath, packageRoot } from '../util/package.js';

export const BTF_VMLINUX = '/sys/kernel/btf/vmlinux';

/**
 * The compiled tracer, from the package root. Here, not in observer.ts: asking availability() must not load
 * the observer (its record decoders), which the sandbox's set-up does not wait for (src/runner/session.ts).
 */
export const TRACER_PATH = 'dist/bpf/netaudit-tracer';

/** The architecture the npm tarball's loader is built for (process.arch's name). */
export const TARBALL_ARCH = 'x64';

export interface Availability {
  readonly available: boolean;
  /** One phrase per missing piece, with the fix (Gentoo | Debian). Empty when available. */
  readonly missing: string[];
  /** The loader found (absolute path), when it is there. */
  readonly tracer?: string;
}

/** What availability() and diagnose() look at; the defaults read this machine (tests pass their own). */
export interface AvailabilityProbe {
  readonly uid: () => number | undefined;
  readonly exists: (path: string) => boolean;
  /** The file exists, may be executed and is an ELF file. */
  readonly executable: (path: string) => boolean;
  /** The loader's path (from the package root); undefined when the package root cannot be found. */
  readonly tracerPath: () => string | undefined;
  /** process.arch of this machine. */
  readonly arch: () => string;
  /** A command's absolute path (the caller's PATH, then the install directories), or undefined. */
  readonly which: (command: string) => string | undefined;
  /** Starts `tracer --version`: undefined when it starts and answers, else why not (one line). */
  readonly runs: (tracer: string) => string | undefined;
  /** The package's root directory (scripts/build-tracer.sh is there), or undefined. */
  readonly root: () => string | undefined;
}

export const systemProbe: AvailabilityProbe = {
  uid: () => process.getuid?.(),
  exists: (p) => existsSync(p),
  executable: (p) => {
    try {
      accessSync(p, constants.X_OK);
      // Its first four bytes, not the whole loader (1.3 MB): every audit asks.
      const fd = openSync(p, 'r');
      try {
        const magic = Buffer.alloc(4);
        return readSync(fd, magic, 0, 4, 0) === 4 && magic.toString('latin1') === '\x7fELF';
      } finally {
        closeSync(fd);
      }
    } catch {
      return false;
    }
  },
  tracerPath: () => {
    try {
      return packagePath(TRACER_PATH);
    } catch {
      return undefined;
    }
  },
  arch: () => process.arch,
  which: (c) => which(c),
  runs: (tracer) => {
    const r = spawnSync(tracer, ['--version'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.error) return r.error.message;
    if (r.status === 0 && /^netaudit-tracer \d+/.test(r.stdout)) return undefined;
    const said = (r.stderr || r.stdout).trim().split('\n')[0] ?? '';
    return `${r.signal ? `killed by ${r.signal}` : `exit ${r.status}`}${said ? `: ${said}` : ''}`;
  },
  root: () => {
    try {
      return packageRoot();
    } catch {
      return undefined;
    }
  },
};

/** Debian's architecture name of a process.arch, for package names (linux-image-ARCH). */
function debianArch(arch: string): string {
  return ({ x64: 'amd64', arm64: 'arm64', ia32: 'i386', ppc64: 'ppc64el', riscv64: 'riscv64', s390x: 's390x' } as Record<string, string>)[arch] ?? arch;
}

export const ROOT_FIX =
  'root (loading BPF programs needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN): run netaudit as root, e.g. with sudo (Gentoo: emerge app-admin/sudo | Debian: apt-get install sudo)';

export function btfFix(arch: string): string {
  return (
    `kernel BTF (${BTF_VMLINUX}): a kernel built with CONFIG_DEBUG_INFO_BTF=y ` +
    `(Gentoo: emerge sys-kernel/gentoo-kernel-bin, whose config has it, or set it in your own kernel | ` +
    `Debian: apt-get install linux-image-${debianArch(arch)}, whose kernels have it) and boot it`
  );
}

/** How to get a loader: the overlay builds it on Gentoo, scripts/build-tracer.sh anywhere (it is in the tarball too). */
function tracerFix(root: string | undefined): string {
  const script = root ? path.join(root, 'scripts/build-tracer.sh') : 'scripts/build-tracer.sh in the netaudit package';
  return `Gentoo: emerge app-portage/netaudit from netaudit's overlay (gentoo/), which builds it | Debian: bash ${script} (with clang, bpftool, libbpf, libelf, zlib)`;
}

/** What builds the tracer from source (bpf/Makefile, scripts/build-tracer.sh checks the same). */
export interface BuildNeed {
  readonly what: string;
  /** Any of these commands on PATH (or the install directories) ... */
  readonly commands?: readonly string[];
  /** ... or any of these files. */
  readonly files?: readonly string[];
  readonly gentoo: string;
  readonly debian: string;
}

export const BUILD_NEEDS: readonly BuildNeed[] = [
  { what: 'clang (compiles the BPF programs)', commands: ['clang'], gentoo: 'llvm-core/clang', debian: 'clang' },
  { what: 'bpftool (vmlinux.h and the skeleton)', commands: ['bpftool'], gentoo: 'dev-util/bpftool', debian: 'bpftool' },
  { what: 'libbpf headers and library', files: ['/usr/include/bpf/libbpf.h'], gentoo: 'dev-libs/libbpf', debian: 'libbpf-dev' },
  { what: 'libelf headers', files: ['/usr/include/gelf.h', '/usr/include/libelf/gelf.h'], gentoo: 'virtual/libelf', debian: 'libelf-dev' },
  { what: 'zlib headers', files: ['/usr/include/zlib.h'], gentoo: 'sys-libs/zlib', debian: 'zlib1g-dev' },
  { what: 'a C compiler (cc, the loader)', commands: ['cc'], gentoo: 'sys-devel/gcc', debian: 'gcc' },
  { what: 'make', commands: ['make'], gentoo: 'dev-build/make', debian: 'make' },
  { what: 'pkg-config', commands: ['pkg-config'], gentoo: 'dev-util/pkgconf', debian: 'pkg-config' },
];

/** One phrase per tool missing to build the tracer from source. */
export function missingBuildNeeds(probe: AvailabilityProbe): string[] {
  return BUILD_NEEDS.filter((n) => !(n.commands ?? []).some((c) => probe.which(c)) && !(n.files ?? []).some((f) => probe.exists(f))).map(
    (n) => `${n.what}, to build the tracer: Gentoo: emerge ${n.gentoo} | Debian: apt-get install ${n.debian}`,
  );
}

export function availability(probe: AvailabilityProbe = systemProbe): Promise<Availability> {
  return Promise.resolve(check(probe, false));
}

/** availability() and more, for `netaudit doctor`: the loader is started once, and the build tools are checked. */
export function diagnose(probe: AvailabilityProbe = systemProbe): Promise<Availability> {
  return Promise.resolve(check(probe, true));
}

function check(probe: AvailabilityProbe, deep: boolean): Availability {
  const missing: string[] = [];
  let tracer: string | undefined;
  try {
    if (probe.uid() !== 0) missing.push(ROOT_FIX);
    if (!probe.exists(BTF_VMLINUX)) missing.push(btfFix(probe.arch()));
    const bin = probe.tracerPath();
    const arch = probe.arch();
    const other = arch !== TARBALL_ARCH ? ` (the npm tarball carries one for x86_64 only; on ${arch} build it from source)` : '';
    let build = false;
    if (bin && probe.executable(bin)) {
      const why = deep ? probe.runs(bin) : undefined;
      if (why === undefined) tracer = bin;
      else {
        missing.push(`the compiled tracer (${bin} does not start here: ${why})${other}: build it again: ${tracerFix(probe.root())}`);
        build = true;
      }
    } else {
      missing.push(`the compiled tracer (${bin ?? TRACER_PATH} is not built)${other}: ${tracerFix(probe.root())}`);
      build = true;
    }
    if (deep && build) missing.push(...missingBuildNeeds(probe));
  } catch (e) {
    missing.push(`checking the observer failed: ${(e as Error).message}`);
  }
  return { available: missing.length === 0, missing, ...(tracer ? { tracer } : {}) };
}
