/**
 * The one typed model that flows through netaudit: decode -> analyze -> verdict -> report.
 * Field names here are the report contract (DESIGN.md "The report contract"); add freely, never rename.
 */
import type { FindingKeyword, Level } from './findings.js';

export type { FindingKeyword, Level } from './findings.js';

export type Verdict = 'clean' | 'tolerates' | 'breaks' | 'fails-without-network';
export const VERDICTS: readonly Verdict[] = ['clean', 'tolerates', 'breaks', 'fails-without-network'];

export type AttemptKind = 'dns' | 'tcp' | 'udp' | 'icmp' | 'unix';
export type Scope = 'external' | 'host-local';
export type Family = 4 | 6;

/** Where a packet was captured: the monitor's veth end, the build's lo, or the build's nftables log (dropped sends). */
export type CaptureSource = 'veth' | 'lo' | 'nflog';

/** Where an attempt was seen: a capture point, or the syscall observer (src/observe/: a call that may never have become a packet). */
export type SeenOn = CaptureSource | 'syscall';

/** The process that made an attempt, from the syscall observer. Text from the build: escaped when shown. */
export interface ProcessInfo {
  readonly pid: number;
  /** Its parent at the time of the attempt. */
  readonly ppid?: number;
  readonly comm: string;
  /** argv of the exec that started it (capped: src/observe/attribute.ts). */
  readonly argv?: readonly string[];
}

/** What the syscall observer could do for a build (the sibling of `capture`). */
export interface ObserverStatus {
  /** Whether it ran for this build. */
  readonly available: boolean;
  /** Why not, one phrase each (the tracer not built, no BTF, not root, --no-observe). */
  readonly missing: string[];
  /** Syscall events seen in the build's namespace. */
  readonly events?: number;
  /** Event records the kernel could not hand over (its buffer was full): attribution may miss them. */
  readonly lost?: number;
  /** Where this build's emulation differed because of the observer, or what it could not do (one line each). */
  readonly notes?: string[];
}

/**
 * An event's epoch ms as ms since the build started, never negative: kept to the microsecond the clocks
 * measure (the tracer's and the capture's times are µs floats), so that it can be matched to test spans at
 * that precision; only the float noise of the subtraction is cut off.
 */
export function sinceStartMs(epochMs: number, buildStartMs: number): number {
  return Math.max(0, Math.round((epochMs - buildStartMs) * 1000) / 1000);
}

/** The two tests an attempt fell between (their ids). */
export interface TestGap {
  readonly before: string;
  readonly after: string;
}

/** What every attempt has, whatever its kind. */
interface AttemptCommon {
  readonly scope: Scope;
  /** Destination address (for dns: the resolver the query went to; for unix: `@name` of an abstract socket). */
  readonly address: string;
  /** From the DNS query, or the answer that led to the address. */
  readonly hostname?: string;
  /** Packets or queries folded into this attempt (retransmits, repeated lookups). */
  readonly count: number;
  /** Milliseconds since the build started, of the first packet (to the µs it was measured at: sinceStartMs()). */
  readonly firstAtMs: number;
  /** How the sandbox answered: unreachable (ENETUNREACH), refused (ECONNREFUSED), dropped (EPERM), unanswered. */
  readonly outcome?: 'unreachable' | 'refused' | 'dropped' | 'unanswered';
  /** Capture points that saw it. */
  readonly seenOn?: readonly SeenOn[];
  /** Ebuild phase, when known. */
  readonly phase?: string;
  /** The test that made it (a pytest node id), when the build ran a known test runner. */
  readonly test?: string;
  /**
   * The final outcome of `test`, as its runner reported it (passed, failed, error, skipped, xfailed, xpassed):
   * a failing test is breakage, a passing one a leak. Absent when the runner did not report it.
   */
  readonly testOutcome?: string;
  /**
   * No `test` because the attempt's moment falls between two tests of its process (after the end of `before`,
   * before the start of `after`, beyond the clock tolerance): made between tests (a fixture's finalizer of a
   * wider scope, a plugin), not by either.
   */
  readonly testGap?: TestGap;
  readonly process?: ProcessInfo;
  /** True when policy permits it (unsandboxed phase, test_network, RESTRICT=network-sandbox). */
  readonly allowed: boolean;
  /** Why it is allowed, when it is. */
  readonly allowedBy?: string;
  /** Build log lines that show this attempt's effect. */
  readonly logLines?: readonly string[];
  /**
   * Intercept mode only: what the client asked for once the monitor answered, from its first bytes
   * (`http://files.example.org/data/x.tar.gz`, `tls sni=api.example.org alpn=h2,http/1.1`, `bytes "SSH-2.0-…"`).
   * Made from the build's bytes but escaped where it is made (src/analyze/intercept.ts): safe to show as is.
   */
  readonly wanted?: string;
}

/** A DNS question (`address` and `port` are the resolver's), a TCP connect or a UDP datagram. */
export interface PortAttempt extends AttemptCommon {
  readonly kind: 'dns' | 'tcp' | 'udp';
  readonly family: Family;
  /** Destination port (absent only where no packet or call showed it). */
  readonly port?: number;
  /** DNS query type (A, AAAA, ...), for kind dns. */
  readonly qtype?: string;
}

/** An ICMP echo: no port. */
export interface IcmpAttempt extends AttemptCommon {
  readonly kind: 'icmp';
  readonly family: Family;
  readonly port?: undefined;
  readonly qtype?: undefined;
}

/** A connect to an abstract AF_UNIX address (per network namespace): no family, no port. */
export interface UnixAttempt extends AttemptCommon {
  readonly kind: 'unix';
  readonly family?: undefined;
  readonly port?: undefined;
  readonly qtype?: undefined;
}

/**
 * One attempted connection (or lookup) the build made, folded over retransmits. Plain readonly data; `kind`
 * says which fields it has (an ICMP echo has no port, an abstract UNIX connect neither family nor port).
 */
export type Attempt = PortAttempt | IcmpAttempt | UnixAttempt;

/** The fields of an attempt of any kind, before its kind has been checked against them (see attemptOf). */
export type AttemptFields = AttemptCommon & { readonly kind: AttemptKind; readonly family?: Family; readonly port?: number; readonly qtype?: string };

/**
 * An attempt from fields whose kind is only known at run time: what the kind has no place for is dropped
 * (an ICMP echo's port and query type; an abstract UNIX connect's family, port and query type), and an IP
 * attempt without a family is an error. The one place where a kind is checked against the fields.
 */
export function attemptOf(fields: AttemptFields): Attempt {
  // The report's field order (kind, scope, family, address, port, hostname, qtype, then the rest).
  const { kind, scope, family, address, port, hostname, qtype, ...rest } = fields;
  const named = hostname !== undefined ? { hostname } : {};
  if (kind === 'unix') return { kind, scope, address, ...named, ...rest };
  if (family === undefined) throw new TypeError(`a ${kind} attempt needs a family (${address})`);
  if (kind === 'icmp') return { kind, scope, family, address, ...named, ...rest };
  return { kind, scope, family, address, ...(port !== undefined ? { port } : {}), ...named, ...(qtype !== undefined ? { qtype } : {}), ...rest };
}

/**
 * How a process ended, from the tracer's exit record: the exit code, or the signal that killed it (its number,
 * as the kernel gave it). Text from the build (comm): escaped when shown.
 */
export interface ProcessEnd {
  readonly pid: number;
  readonly comm: string;
  readonly exitCode?: number;
  readonly signal?: number;
}

/**
 * The build listing its network interfaces (getifaddrs, if_nameindex, `ip addr`, Node's
 * os.networkInterfaces(), Open MPI's interface scan): under network-sandbox it finds only `lo`. Folded per
 * process, phase, test and request, as attempts are; only requests that list interfaces count
 * (src/analyze/interfaces.ts says which, and why glibc's AI_ADDRCONFIG check does not).
 */
export interface InterfaceQuery {
  /** How it asked: a netlink route dump, or an ioctl. */
  readonly method: 'netlink' | 'ioctl';
  /** `RTM_GETLINK` (a netlink dump of every link), `SIOCGIFCONF` (the ioctl listing interfaces with an address). */
  readonly request: string;
  /** Requests folded into this entry. */
  readonly count: number;
  /** Milliseconds since the build started, of the first request. */
  readonly firstAtMs: number;
  /** Ebuild phase, when known. */
  readonly phase?: string;
  /** The test that made it (a pytest node id), when the build ran a known test runner. */
  readonly test?: string;
  readonly process?: ProcessInfo;
  /**
   * The querying process, or one it started afterwards, failed (non-zero exit code, or killed by a signal):
   * the first such failure after the query (the querying process's own first). Absent: every one of them
   * exited 0, or their ends were not seen.
   */
  readonly failure?: ProcessEnd;
  /** True when policy permits it (a phase Portage does not sandbox, test_network, RESTRICT=network-sandbox). */
  readonly allowed: boolean;
  /** Why it is allowed, when it is. */
  readonly allowedBy?: string;
  /** Build log lines that say the build found no usable interface ("No network interfaces were found", Open MPI's "unreachable"). */
  readonly logLines?: readonly string[];
}

export interface Finding {
  /** Stable CamelCase keyword, as pkgcheck results have: one of the registry (src/model/findings.ts). */
  keyword: FindingKeyword;
  level: Level;
  /** One line. */
  message: string;
  /** What to change, one line. */
  hint?: string;
  /** Index into the build's attempts this finding is about. */
  attempt?: number;
  /** Index into the build's interfaceQueries this finding is about. */
  interfaceQuery?: number;
  phase?: string;
  /** The test that made the attempt, when known (its attempt's `test`). */
  test?: string;
  logLines?: string[];
}

export interface CaptureStats {
  packets: number;
  dropped: number;
  /** Frames that could not be decoded (truncated or malformed). */
  undecodable?: number;
  /** Raw capture files kept with --pcap. */
  files?: string[];
}

/**
 * Which ebuild: the one identity every layer uses, from discovery (src/sweep/discover.ts) through Portage's
 * metadata (src/portage/metadata.ts extends it) to the report's `ebuild` block. Its name is
 * `category/package-version` (category/PF), see ebuildName().
 */
export interface Ebuild {
  readonly category: string;
  /** PN. */
  readonly package: string;
  /** PVR: version with its -rN revision. */
  readonly version: string;
  /** The .ebuild file. */
  readonly path: string;
  readonly eapi?: string;
  /** PROPERTIES as the build sees them (USE conditionals resolved). */
  readonly properties?: readonly string[];
  /** RESTRICT as the build sees it. */
  readonly restrict?: readonly string[];
}

/** `category/package-version`: the build name of an ebuild in reports, and Portage's category/PF. */
export function ebuildName(e: Pick<Ebuild, 'category' | 'package' | 'version'>): string {
  return `${e.category}/${e.package}-${e.version}`;
}

/**
 * An ebuild phase as the build ran it (Portage's phase markers, src/portage/hook.ts). Times are milliseconds
 * since the build started, the clock of every attempt's firstAtMs.
 */
export interface Phase {
  /** pkg_setup, src_test, ...; `clean` for the clean phase, `misc-functions` for Portage's QA helpers. */
  readonly name: string;
  readonly startMs: number;
  /** Absent when the phase never ended (killed). */
  readonly endMs?: number;
  /** Whether Portage runs it inside network-sandbox (src/verdict/policy.ts). */
  readonly sandboxed?: boolean;
  readonly exitCode?: number;
}

/**
 * What a suggestion is about (src/suggest/): one suggestion per cause of a breaking ebuild.
 *   deselect-tests: pytest tests that made blocked attempts (EPYTEST_DESELECT, test ids from the run)
 *   test-network: src_test made blocked attempts no test id names (PROPERTIES=test_network + RESTRICT=test)
 *   distcc-proxy: a distributed compiler (FEATURES=network-sandbox-proxy in make.conf: user configuration)
 *   build-time-download: a download in a sandboxed phase other than src_test (belongs in SRC_URI)
 *   host-service: a service on the host's loopback or the LAN (no derivable ebuild change)
 *   other: anything else blocked (no derivable ebuild change)
 *   leak-tests: tests that made attempts and still passed (or skipped): a leak, not the breakage; also for `tolerates`
 */
export type SuggestionCause = 'deselect-tests' | 'test-network' | 'distcc-proxy' | 'build-time-download' | 'host-service' | 'other' | 'leak-tests';
export const SUGGESTION_CAUSES: readonly SuggestionCause[] = ['deselect-tests', 'test-network', 'distcc-proxy', 'build-time-download', 'host-service', 'other', 'leak-tests'];

/** How a test suggestion removes tests (src/suggest/idiom.ts): EPYTEST_DESELECT, `-m "not M"`, `-k "not W"`, PROPERTIES=test_network. */
export type SuggestionIdiom = 'deselect' | 'marker' | 'keyword' | 'declare';

/** One test the build ran (pytest node id), its final outcome and markers, when the runner reported them. */
export interface TestRun {
  readonly id: string;
  /** passed, failed, error, skipped, xfailed. */
  readonly outcome?: string;
  readonly markers?: readonly string[];
}

/**
 * The markers a pytest suite declares (the plugin's session record: config.getini("markers"), from pytest.ini,
 * pyproject.toml, setup.cfg, tox.ini and conftest.py's addinivalue_line; pytest's own marks left out), and
 * whether it runs with --strict-markers. A mark used but not declared makes pytest warn
 * PytestUnknownMarkWarning (under --strict-markers, fail).
 */
export interface DeclaredMarkers {
  /** Sorted names. */
  readonly names: readonly string[];
  readonly strict: boolean;
}

/** A change that would make a breaking ebuild pass under network-sandbox, or, without `patch`, what is known. */
export interface Suggestion {
  readonly cause: SuggestionCause;
  /** One or two sentences, plain text. */
  readonly summary: string;
  /** A unified diff against the ebuild file (`--- a/CATEGORY/PN/PF.ebuild`), for `patch -p1` in the repository. */
  readonly patch?: string;
  /** Indexes into the build's attempts this suggestion addresses. */
  readonly attempts?: number[];
  /** With --verify: whether the patched ebuild, audited again, passes the phase that broke with no blocked attempt. */
  readonly verified?: boolean;
  /** With --verify: what the audit of the patched copy showed, one line. */
  readonly verification?: string;
  /** Test suggestions: the idiom the evidence chose. */
  readonly idiom?: SuggestionIdiom;
  /** Test suggestions: where the build stands on the Gentoo Python team's 1-5 scale (1 no test needs the network, 5 all do). */
  readonly networkScale?: number;
  /**
   * With --verify: the baseline, tests that fail with the network cut and touch no network, in the original run
   * and in the patched copy's; reported, not blamed on the patch (the phase may still fail for them).
   */
  readonly baseline?: readonly string[];
  /** With --verify: the attempts left in the patched copy's run by tests (or phases) that pass: leaks, not a failure. */
  readonly leaks?: readonly string[];
  /**
   * With --verify, when the patched copy's run named a network failure the patch missed: each round (the patch
   * widened by the failing tests it named, then verified again; at most VERIFY_ROUNDS), the last one is this
   * suggestion's `verified`/`verification`.
   */
  readonly rounds?: readonly VerificationRound[];
}

/** One round of --verify (src/runner/verify.ts). */
export interface VerificationRound {
  /** 1, 2, ... */
  readonly round: number;
  /** The tests this round's patch added to the previous round's (none in round 1). */
  readonly added: readonly string[];
  readonly verified: boolean;
  readonly verification: string;
}

/** --fail-on: exit 1 when a build is at or above this verdict (src/verdict/index.ts failsOn). */
export type FailOn = 'breaks' | 'tolerates' | 'never';
export const FAIL_ON: readonly FailOn[] = ['breaks', 'tolerates', 'never'];

/**
 * How a run ended, as reports give it (of a build, and of an explanation's rerun); the evidence's BuildEnd
 * (src/model/evidence.ts) is this with the start time and whether netaudit was interrupted.
 */
export interface RunEnd {
  /** null: killed by a signal, or it could not run. */
  readonly exitCode: number | null;
  readonly signal?: string | null;
  readonly timedOut?: boolean;
  readonly durationMs: number;
}

/** One build's result: readonly data, made once by the runner (src/runner/) from the judge's verdict. */
export interface BuildResult extends RunEnd {
  readonly name: string;
  readonly kind: 'command' | 'ebuild';
  readonly command: readonly string[];
  readonly verdict: Verdict;
  readonly attempts: readonly Attempt[];
  readonly findings: readonly Finding[];
  readonly capture: CaptureStats;
  /**
   * The build listing its network interfaces (the tracer's records; absent when there were none, or no tracer
   * ran): under network-sandbox only `lo` is there. Findings index into it (`interfaceQuery`).
   */
  readonly interfaceQueries?: readonly InterfaceQuery[];
  /** The syscall observer's part: absent in reports made before it existed. */
  readonly observer?: ObserverStatus;
  readonly ebuild?: Ebuild;
  /** Path of the kept build log, when there is one. */
  readonly log?: string;
  /** Phases seen, in order, for ebuilds (each with `sandboxed`). */
  readonly phases?: readonly Phase[];
  /** What netaudit changed in the build's configuration, said plainly. */
  readonly changes?: readonly string[];
  /**
   * True when the build ran in intercept mode (`--intercept`): the monitor answered DNS and accepted TCP, so
   * the verdict is an observation, not a network-sandbox verdict (the attempts have no outcome, and `wanted`).
   */
  readonly intercepted?: boolean;
  /**
   * The tests whose final outcome was failed or error (the pytest plugin's log; sorted); absent when no test
   * ran under the plugin. What --verify tells a baseline failure from a network one by.
   */
  readonly failedTests?: readonly string[];
  /** Suggested changes (`netaudit ebuild --suggest`), one per cause; absent when not asked for. */
  readonly suggestions?: readonly Suggestion[];
  /** The tests src_test ran (from the runner's test log), with outcome and markers: what test suggestions count. */
  readonly tests?: readonly TestRun[];
  /** The markers the pytest suite declares (absent when no session of it was logged): what a marker idiom prefers. */
  readonly declaredMarkers?: DeclaredMarkers;
  /**
   * `--explain` (ebuild, sweep): a breaking build was run once more intercepted, and this is what that rerun
   * saw. Observation only: the build's verdict, findings, outcomes and exit code are the faithful run's; the
   * faithful attempts the rerun explains got `wanted` from it (src/analyze/explain.ts).
   */
  readonly explanation?: Explanation;
  /**
   * Set when this result was not built now but taken from the cache of clean results (`netaudit changed`): the
   * ebuild, its eclasses, files/ and the Portage configuration were unchanged since it was built.
   */
  readonly cached?: CachedMark;
}

/** Where a cached result came from. */
export interface CachedMark {
  /** When it was built and cached (RFC 3339). */
  createdAt: string;
  /** The cache key (sha256 hex of what decides the build). */
  key: string;
}

/**
 * The intercepted rerun of a breaking build (`--explain`). It goes further than the faithful run (its lookups
 * succeed, its connects are accepted), so its own attempts are kept whole here: nothing seen only there is lost.
 * Its end (exitCode, signal, timedOut, and durationMs: the cost of --explain for this build) is the rerun's.
 */
export interface Explanation extends RunEnd {
  /** The rerun's attempts, with `wanted`, phase, process and test, as an intercepted build reports them. */
  readonly attempts: readonly Attempt[];
  /** How many of the build's (faithful) attempts got `wanted` from the rerun. */
  readonly explained: number;
  /** One or two sentences: what this is and what it is not. */
  readonly note: string;
  /** The rerun's build log, when there is one. */
  readonly log?: string;
  /** Why the rerun could not be made (python3 missing, the responder did not start); the build is unchanged. */
  readonly error?: string;
}

export type Mode = 'run' | 'ebuild' | 'sweep' | 'watch' | 'merge' | 'render';

export interface Report {
  schemaVersion: 1;
  tool: { name: 'netaudit'; version: string };
  createdAt: string;
  mode: Mode;
  host?: { kernel?: string; hostname?: string };
  builds: BuildResult[];
  summary: Record<Verdict, number>;
}
