/**
 * Errors that mean "netaudit itself could not do its job". One subclass per failure kind (got's
 * source/core/errors.ts style): a stable `code`, the structured fields a caller may act on, and a one-line
 * message that names the problem and the fix. Exit codes are mapped in one place (exitCodeFor); nothing ever
 * derives a kind from message text.
 */

export type ErrorCode =
  | 'E_USAGE'
  | 'E_NOT_ROOT'
  | 'E_MISSING_TOOL'
  | 'E_NO_NETNS'
  | 'E_NO_USERNS'
  | 'E_NO_SUCH_FILE'
  | 'E_READ'
  | 'E_WRITE'
  | 'E_BAD_PCAP'
  | 'E_BAD_REPORT'
  | 'E_BAD_RESULTS'
  | 'E_SETUP'
  | 'E_NO_SUCH_EBUILD'
  | 'E_PORTAGE';

export abstract class NetauditError extends Error {
  abstract readonly code: ErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A bad command line: an unknown option value, a missing argument, a value out of range. */
export class UsageError extends NetauditError {
  readonly code = 'E_USAGE';
  /** The option or argument at fault, when one is (e.g. `--timeout`). */
  readonly option: string | undefined;
  /** The message names no fix of its own (yargs' complaints): point at --help. */
  readonly seeHelp: boolean;
  constructor(message: string, options?: { option?: string; seeHelp?: boolean; cause?: unknown }) {
    super(message, options);
    this.option = options?.option;
    this.seeHelp = options?.seeHelp ?? false;
  }
}

export class NotRootError extends NetauditError {
  readonly code = 'E_NOT_ROOT';
  constructor(message = 'not running as root — run netaudit as root (sudo netaudit ...): network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN') {
    super(message);
  }
}

/** A program netaudit runs is not installed (or not on PATH). */
export class MissingToolError extends NetauditError {
  readonly code = 'E_MISSING_TOOL';
  /** The missing commands, e.g. ['tcpdump']. */
  readonly tools: readonly string[];
  constructor(tools: string | readonly string[], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.tools = typeof tools === 'string' ? [tools] : [...tools];
  }
  get tool(): string {
    return this.tools[0] ?? '';
  }
}

/** The kernel lacks what the sandbox needs (network or UTS namespaces, veth, nftables). */
export class KernelSupportError extends NetauditError {
  readonly code = 'E_NO_NETNS';
}

/**
 * Not root, and the kernel forbids unprivileged user namespaces (user.max_user_namespaces 0, Debian's
 * kernel.unprivileged_userns_clone 0, Ubuntu's kernel.apparmor_restrict_unprivileged_userns 1): `netaudit run`
 * cannot make its sandbox without root. The message names the sysctl and offers sudo.
 */
export class UserNamespaceError extends NetauditError {
  readonly code = 'E_NO_USERNS';
}

/** A failure about one file, named in `file`. */
export abstract class FileError extends NetauditError {
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class NoSuchFileError extends FileError {
  readonly code = 'E_NO_SUCH_FILE';
}

/** A file exists but cannot be read (permissions, a directory where a file was wanted, I/O error). */
export class ReadError extends FileError {
  readonly code = 'E_READ';
}

/** Writing a file failed; the target is left as it was and no temporary file remains. */
export class WriteError extends FileError {
  readonly code = 'E_WRITE';
  constructor(file: string, cause: unknown) {
    const why = (cause as NodeJS.ErrnoException | undefined)?.code ?? String((cause as Error | undefined)?.message ?? cause);
    super(file, `cannot write ${file}: ${why} — check that its directory exists and is writable`, { cause });
  }
}

export class BadPcapError extends NetauditError {
  readonly code = 'E_BAD_PCAP';
  constructor(
    readonly file: string,
    /** What is wrong, e.g. "bad magic 0x00000000". */
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`malformed pcap ${file}: ${problem} — re-capture it or check the path`, options);
  }
}

/**
 * A report that does not follow reports/report.schema.json: read from a file (`file` set), or about to be
 * written (then it is netaudit's bug and nothing was written).
 */
export class BadReportError extends FileError {
  readonly code = 'E_BAD_REPORT';
  constructor(
    file: string,
    /** The schema's complaints, `path: message (got value)`, the first one first. */
    readonly errors: readonly string[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(file, message, options);
  }
}

/** A line of a sweep's results.jsonl that is not a build result (read on --resume). */
export class BadResultsError extends NetauditError {
  readonly code = 'E_BAD_RESULTS';
  constructor(
    readonly file: string,
    /** 1-based line number. */
    readonly line: number,
    readonly errors: readonly string[],
  ) {
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    super(
      `${file}:${line}: not a build result: ${errors[0] ?? 'invalid'}${more} — remove that line (the package is then audited again) or start the sweep in a new --out`,
    );
  }
}

/** A step of setting up or running the sandbox failed (ip, nft, nsenter, tcpdump said no). */
export class SetupError extends NetauditError {
  readonly code = 'E_SETUP';
  constructor(
    /** The step, e.g. "configuring the build namespace". */
    readonly step: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class NoSuchEbuildError extends NetauditError {
  readonly code = 'E_NO_SUCH_EBUILD';
  constructor(
    /** The path or atom that matched nothing. */
    readonly what: string,
    message: string,
  ) {
    super(message);
  }
}

/** Portage is missing, or failed in a way that is not the ebuild's own failure. */
export class PortageError extends NetauditError {
  readonly code = 'E_PORTAGE';
}

export function isNetauditError(e: unknown): e is NetauditError {
  return e instanceof NetauditError;
}

/**
 * The process exit code for an error that ended a command: 2 for every failure of netaudit itself (bad input,
 * missing tool, not enough privilege), and for anything unexpected. 0 and 1 are the verdict's (--fail-on),
 * 128+N an interruption by signal N; neither comes from an error.
 */
const EXIT_CODES: Readonly<Record<ErrorCode, number>> = {
  E_USAGE: 2,
  E_NOT_ROOT: 2,
  E_MISSING_TOOL: 2,
  E_NO_NETNS: 2,
  E_NO_USERNS: 2,
  E_NO_SUCH_FILE: 2,
  E_READ: 2,
  E_WRITE: 2,
  E_BAD_PCAP: 2,
  E_BAD_REPORT: 2,
  E_BAD_RESULTS: 2,
  E_SETUP: 2,
  E_NO_SUCH_EBUILD: 2,
  E_PORTAGE: 2,
};

export function exitCodeFor(e: unknown): number {
  return isNetauditError(e) ? EXIT_CODES[e.code] : 2;
}
