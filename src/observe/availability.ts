/**
 * Can the syscall tracer run here? Root, the kernel's BTF and the built loader (dist/bpf/netaudit-tracer of
 * this package). Checks on files only, never throws. tracefs is not needed: the loader attaches raw
 * tracepoints (bpf_raw_tracepoint_open) and uprobes through the uprobe PMU or uprobe_multi links, none of
 * which goes through tracefs (checked: in a mount namespace with tracefs and debugfs unmounted, the loader
 * attached every program, with uprobe_multi and with --no-uprobe-multi). The real proof is Observer.start(),
 * which attaches (~25-40 ms).
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { packagePath } from '../util/package.js';
import { TRACER_PATH } from './observer.js';

export const BTF_VMLINUX = '/sys/kernel/btf/vmlinux';

/** How to build the tracer, for the messages. */
export const BUILD_HINT =
  'emerge llvm-core/clang dev-libs/libbpf dev-util/bpftool | apt-get install clang libbpf-dev bpftool libelf-dev zlib1g-dev make pkg-config, then bash scripts/build-tracer.sh in the netaudit package';

export interface Availability {
  readonly available: boolean;
  /** One phrase per missing piece, with the fix (Gentoo | Debian). Empty when available. */
  readonly missing: string[];
  /** The loader found (absolute path), when it is there. */
  readonly tracer?: string;
}

/** What availability() looks at; the defaults read this machine (tests pass their own). */
export interface AvailabilityProbe {
  readonly uid: () => number | undefined;
  readonly exists: (path: string) => boolean;
  /** The file exists and may be executed. */
  readonly executable: (path: string) => boolean;
  /** The loader's path (from the package root); undefined when the package root cannot be found. */
  readonly tracerPath: () => string | undefined;
}

export const systemProbe: AvailabilityProbe = {
  uid: () => process.getuid?.(),
  exists: (p) => existsSync(p),
  executable: (p) => {
    try {
      accessSync(p, constants.X_OK);
      return readFileSync(p).subarray(0, 4).toString('latin1') === '\x7fELF';
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
};

export function availability(probe: AvailabilityProbe = systemProbe): Promise<Availability> {
  const missing: string[] = [];
  let tracer: string | undefined;
  try {
    if (probe.uid() !== 0) missing.push('root (loading BPF programs needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN): run netaudit as root');
    if (!probe.exists(BTF_VMLINUX)) missing.push(`kernel BTF (${BTF_VMLINUX}): a kernel built with CONFIG_DEBUG_INFO_BTF=y`);
    const bin = probe.tracerPath();
    if (bin && probe.executable(bin)) tracer = bin;
    else missing.push(`the compiled tracer (${bin ?? TRACER_PATH} is not built): ${BUILD_HINT}`);
  } catch (e) {
    missing.push(`checking the observer failed: ${(e as Error).message}`);
  }
  return Promise.resolve({ available: missing.length === 0, missing, ...(tracer ? { tracer } : {}) });
}
