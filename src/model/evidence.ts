/**
 * What a build leaves behind, as one typed record: `BuildEvidence`. The collecting folders (src/sandbox,
 * src/capture, src/observe, src/portage) fill it; the pure stages take it from there: src/analyze's
 * `analyzeBuild(evidence, context)` turns it into attempts, src/verdict judges them. Nothing in here runs a
 * process or reads a file, and every field is plain data: a recording of a real run (test/fixtures/evidence/)
 * is this record as JSON (evidenceToJson/evidenceFromJson), so the analysis is tested without root.
 */
import type { TracerEvent } from './tracer-events.js';
import type { CaptureSource, DeclaredMarkers, Phase, RunEnd } from './types.js';

/**
 * How the build ended: the one record of it, from the process's end to the report (the report's `exitCode`,
 * `signal`, `timedOut` and `durationMs`, of a build and of an explanation's rerun, are its fields).
 */
export interface BuildEnd extends RunEnd {
  /** The signal that ended it (SIGKILL for a timeout), or null. */
  readonly signal: string | null;
  readonly timedOut: boolean;
  /** netaudit itself was interrupted (SIGINT/SIGTERM) while the build ran. */
  readonly interrupted: boolean;
  /** Epoch milliseconds just before the build started: every `...Ms` of the analysis counts from here. */
  readonly startMs: number;
}

/**
 * The test runner's phases of one test, from the pytest plugin's log (src/portage/netaudit_pytest.py). Times
 * are milliseconds since the build started.
 */
export interface TestSpan {
  /** The runner's test id: a pytest node id such as `tests/test_http.py::test_fetch`. Text from the build. */
  readonly nodeid: string;
  readonly phase: 'setup' | 'call' | 'teardown';
  /** This phase's outcome: passed, failed, error (a setup or teardown that failed), skipped, xfailed, xpassed. */
  readonly outcome?: string;
  /**
   * The test's final outcome (on every phase of the test): error when its setup or teardown failed, else its
   * call's (passed, failed, skipped, xfailed, xpassed), else skipped when its setup skipped it.
   */
  readonly final?: string;
  /** The test's marker names (pytest `@pytest.mark.NAME`, e.g. `network`), when the runner reports them. */
  readonly markers?: readonly string[];
  /** The process that ran it. */
  readonly pid: number;
  readonly startMs: number;
  readonly endMs: number;
}

/** One record of the intercept responder in the monitor namespace (src/sandbox/responder.py). */
export interface ResponderRecord {
  readonly type: 'dns' | 'tcp';
  /** Epoch milliseconds: the question's arrival, or the connection's accept. */
  readonly t: number;
  readonly family: 4 | 6;
  readonly src: string;
  readonly sport: number;
  /** The original destination (SO_ORIGINAL_DST for TCP; the question's destination for DNS). */
  readonly dst: string | null;
  readonly dport: number | null;
  /** dns: the name asked, its type and the sinkhole address given. */
  readonly name?: string;
  readonly qtype?: string;
  readonly answer?: string;
  /** tcp: what the client sent first, base64. */
  readonly bytes?: string;
  /** tcp: the connection ended before the responder had read it all (it was stopped). */
  readonly partial?: boolean;
  readonly eof?: boolean;
}

/** One captured frame, as the pcap container holds it (src/decode/pcap.ts reads it; src/decode decodes it). */
export interface RawFrame {
  readonly index: number;
  /** Epoch milliseconds (microsecond precision). */
  readonly tsMs: number;
  readonly data: Uint8Array;
  /** Original length on the wire (may exceed data.length when snaplen cut it). */
  readonly origLength: number;
}

/** The frames one capture point holds of the build: those before the end-of-capture sentinel. */
export interface CapturedFrames {
  readonly source: CaptureSource;
  /** pcap link type of the frames (LINKTYPE_* of src/decode/types.ts). */
  readonly linkType: number;
  readonly frames: readonly RawFrame[];
  /** The capture did not finish (the sentinel never arrived, or the file was cut): the last packets may be missing. */
  readonly incomplete: boolean;
  /** Packets the kernel dropped before tcpdump read them (its closing statistics). */
  readonly droppedByKernel: number;
  /**
   * nflog only: sends the nftables rules dropped and logged (their counters). More than the frames NFLOG
   * delivered means the difference was lost on the way.
   */
  readonly logged?: number;
}

/** What the syscall tracer saw of one build. */
export interface TracerEvidence {
  /**
   * The build's events (of its network namespace, from the moment it was watched), in the kernel's order:
   * socket calls and execs, and the DNS questions sent, names handed to the resolver, interface enumeration,
   * forks and exits. The analysis takes the socket calls by their kind.
   */
  readonly events: readonly TracerEvent[];
  /** The build namespace's inode: events of other namespaces are not the build's. */
  readonly netns: number;
  /** Epoch ms when the build ended (its leftovers killed): netaudit's own end marker and later calls are not the build's. */
  readonly buildEndMs: number;
  /** Records the kernel could not hand over (its buffer was full). */
  readonly lost: number;
  /** True when everything emitted before the build's end was read. */
  readonly complete: boolean;
}

/** Everything a build left behind, for the pure stages. */
export interface BuildEvidence {
  readonly end: BuildEnd;
  /** One entry per capture point (veth, lo, nflog), in a fixed order. */
  readonly captures: readonly CapturedFrames[];
  /** Absent when no tracer ran for this build. */
  readonly tracer?: TracerEvidence;
  /** Intercept mode: what the responder answered and read. */
  readonly responder?: readonly ResponderRecord[];
  /** Test spans from the test runner's log (empty when no known runner ran). */
  readonly tests: readonly TestSpan[];
  /** The markers the pytest suite declares, from the plugin's session records (absent when none was logged). */
  readonly declaredMarkers?: DeclaredMarkers;
  /** Ebuild phases from Portage's phase marks (ms since the build started); none for plain commands. */
  readonly phases?: readonly Phase[];
  /** The build log (ebuilds): what the judge matches attempts' effects in. */
  readonly log?: string;
}

const base64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

/** A BuildEvidence as JSON: frames and DNS payloads as base64. The recording format of test/fixtures/evidence/. */
export function evidenceToJson(e: BuildEvidence): unknown {
  return {
    ...e,
    captures: e.captures.map((c) => ({ ...c, frames: c.frames.map((f) => ({ ...f, data: base64(f.data) })) })),
    ...(e.tracer ? { tracer: { ...e.tracer, events: e.tracer.events.map((ev) => (ev.kind === 'dns-question' ? { ...ev, payload: base64(ev.payload) } : ev)) } } : {}),
  };
}

/** The inverse of evidenceToJson (a recording read back; its shape is trusted: it is the project's own file). */
export function evidenceFromJson(json: unknown): BuildEvidence {
  const e = json as Omit<BuildEvidence, 'captures'> & { captures: (Omit<CapturedFrames, 'frames'> & { frames: (Omit<RawFrame, 'data'> & { data: string })[] })[] };
  const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));
  return {
    ...e,
    captures: e.captures.map((c) => ({ ...c, frames: c.frames.map((f) => ({ ...f, data: bytes(f.data) })) })),
    ...(e.tracer
      ? { tracer: { ...e.tracer, events: e.tracer.events.map((ev) => (ev.kind === 'dns-question' ? { ...ev, payload: bytes(ev.payload as unknown as string) } : ev)) } }
      : {}),
  };
}
