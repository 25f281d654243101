/**
 * The audited sandbox (src/sandbox/plan.ts says what each kind holds). `faithful`: Portage's build namespace
 * alone, with a capture on its lo. `packets`: that namespace joined by a veth pair to a monitor namespace with
 * no route out, captures on the monitor's veth end, the build's lo and the build's NFLOG group. Everything
 * created is recorded on an undo stack and removed by destroy(), whatever happened in between.
 */
import { Capture, type CaptureOptions, type CaptureResult } from '../capture/tcpdump.js';
import { loadFilter } from '../capture/filters.js';
import { execStep, type ExecOptions, type ExecResult } from '../proc/exec.js';
import { tool } from '../proc/tools.js';
import { UsageError } from '../model/errors.js';
import { makePlan, netnsPath, vethLine, type SandboxKind, type SandboxPlan } from './plan.js';
import { BUILD_VETH, END_MARKER, MONITOR_VETH, NFLOG_LO_GROUP, NFLOG_VETH_GROUP } from '../model/network.js';
import { splitNflogPcap } from '../capture/nflog.js';
import { newRunNames, type RunNames } from './names.js';
import { killNetns, netnsInode } from './procs.js';
import { prestartCommandShell, quickExec } from './shell.js';
import { heldSteps, SandboxStarter, type StarterStep } from './starter.js';
import { loadNftRules } from './rules.js';
import { UndoStack } from './undo.js';
import type { ResponderRecord } from '../model/evidence.js';
import { privateResolvConf, Responder } from './intercept.js';
import { Launcher, userNamespaceBlocker, userNamespaceError } from './userns.js';
import { trace } from '../util/trace.js';
import { randomHex } from '../util/random.js';

/**
 * How the sandbox is made. `root`: named namespaces (/run/netns), commands run by netaudit itself.
 * `userns`: without root, inside a user namespace that owns both namespaces (src/sandbox/userns.ts).
 */
export type SandboxMode = 'root' | 'userns';

/** The mode `netaudit run` uses for this process: root when it is root, else a user namespace. */
export function sandboxMode(): SandboxMode {
  return process.getuid?.() === 0 ? 'root' : 'userns';
}

export interface SandboxCaptures {
  readonly results: CaptureResult[];
  /** Packets the nftables rules logged and dropped (from their counters): what the NFLOG capture should hold. */
  readonly nftLogged: number | undefined;
  /** The nonce that marks the end of each capture; frames holding it are not part of the build. */
  readonly sentinel: Buffer;
  /** Intercept mode: what the responder in the monitor logged (DNS questions answered, TCP first bytes). */
  readonly intercepted?: readonly ResponderRecord[];
}

export class Sandbox {
  readonly names: RunNames;
  /** The build namespace's file: /run/netns/NAME (root) or /proc/PID/ns/net of its holder (userns). */
  buildNsPath: string;
  monitorNsPath: string;
  /** Without root: the launcher that owns the user namespace and runs every privileged command. */
  private launcher: Launcher | undefined;
  private readonly undo = new UndoStack();
  private captures: Capture[] = [];
  /** Captures collect() stopped without waiting for their exit; destroy() reaps them. */
  private stopped: Capture[] = [];
  private readonly sentinel = Buffer.from(`netaudit-end-${randomHex(12)}`);
  private destroyed = false;
  /**
   * Captures collect() killed, being reaped by destroy() beside the removal: the namespace sweep leaves them
   * out (it would wait, polling, for their exit: 20-40 ms for a packet socket's) and the namespaces go meanwhile.
   */
  private reaping: number[] = [];
  private responder: Responder | undefined;
  /** As root with captures: the script that made the sandbox and started the captures (src/sandbox/starter.ts). */
  private starter: SandboxStarter | undefined;
  /** Intercept mode: the private resolv.conf bound over the build's /etc/resolv.conf (src/sandbox/build.ts). */
  resolvConf: string | undefined;
  private utsPath: string | undefined;

  private constructor(
    readonly plan: SandboxPlan,
    readonly mode: SandboxMode,
  ) {
    this.names = plan.names;
    this.buildNsPath = netnsPath(plan.names.buildNs);
    this.monitorNsPath = netnsPath(plan.names.monitorNs);
  }

  /**
   * Create the namespaces (kind `faithful`: the build's alone), the veth, addresses, routes, nftables rules
   * and start the captures. `intercept`: the monitor answers (src/sandbox/intercept.ts): kind `packets`
   * whatever was asked, the intercept rules, the responder started in the monitor, a private resolv.conf for
   * the build. Without root the kind is `packets` too: no tracer runs in a user namespace.
   */
  static async create(options: { capture?: boolean; kind?: SandboxKind; intercept?: boolean; mode?: SandboxMode } = {}): Promise<Sandbox> {
    const mode = options.mode ?? sandboxMode();
    if (mode === 'userns' && options.intercept) throw new UsageError('--intercept needs root (its responder and resolv.conf bind need a mount namespace of their own) — run as root: sudo netaudit run --intercept ...', { option: '--intercept' });
    const kind = options.intercept || mode === 'userns' ? 'packets' : (options.kind ?? 'packets');
    const sb = new Sandbox(makePlan(newRunNames(), kind, options.intercept ?? false), mode);
    try {
      await sb.setup(options.capture ?? true);
    } catch (e) {
      await sb.destroy();
      throw e;
    }
    return sb;
  }

  /** Run argv (a command that enters a namespace with nsenter) as root or inside the user namespace. */
  private exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return this.launcher ? this.launcher.exec(argv, options) : quickExec(argv, options);
  }

  private step(label: string, argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return execStep(label, argv, options, this.launcher ? (a, o) => (this.launcher as Launcher).exec(a, o) : quickExec).then((r) => (trace(`done: ${label}`), r));
  }

  /** argv of `ip -batch -` inside the build or monitor namespace (as root `ip -n NAME`: one exec, not two). */
  private ipBatch(which: 'build' | 'monitor'): string[] {
    if (!this.launcher) return [tool('ip'), '-n', which === 'build' ? this.names.buildNs : this.names.monitorNs, '-batch', '-'];
    return Sandbox.within(which === 'build' ? this.buildNsPath : this.monitorNsPath, ['ip', '-batch', '-']);
  }

  /**
   * argv that runs the tool `command` inside a namespace (entered by its file). nsenter would exec the tool's
   * name with the caller's PATH, which may lack sbin: both go by their absolute paths (src/proc/tools.ts).
   */
  private static within(nsPath: string, [command, ...args]: readonly string[]): string[] {
    return [tool('nsenter'), `--net=${nsPath}`, '--', tool(command ?? ''), ...args];
  }

  /**
   * The captures of this sandbox's kind. Faithful: the build's lo, from a packet socket once lo is configured.
   * Packets: one tcpdump on the build namespace's three NFLOG groups (lo, the veth both ways, the dropped sends:
   * bpf/build.nft), split by group when it is collected (src/capture/nflog.ts); it needs no interface.
   */
  private captureSpecs(): CaptureSpec[] {
    // The faithful namespace holds nothing of netaudit's, no nftables rule either: its lo is read from a packet
    // socket, kernel-filtered by bpf/loopback.bpf.
    if (this.plan.kind === 'faithful') {
      return [{ source: 'lo', netnsPath: this.buildNsPath, iface: 'lo', filter: loadFilter('loopback'), snaplen: 2048, configure: 'build', sentinel: this.sentinel }];
    }
    const groups = NFLOG_POINTS(this.plan.nflogGroup);
    return [
      {
        source: 'nflog',
        netnsPath: this.buildNsPath,
        iface: `nflog:${groups.map((g) => g.group).join(',')}`,
        filter: '',
        snaplen: 65535,
        // Each group's own end marker: the capture is complete once all three are in.
        sentinel: groups.map((g) => Buffer.from(this.markerPayload(g.source), 'latin1')),
      },
    ];
  }

  /**
   * The steps beside the captures (`packets` only): the monitor's sysctls and both namespaces' nftables rules,
   * each with the namespace it runs in and its argv there (absolute paths; within() enters the namespace).
   */
  private sideSteps(): (StarterStep & { readonly ns: 'build' | 'monitor' })[] {
    const { plan } = this;
    if (plan.kind === 'faithful') return [];
    return [
      {
        label: 'setting the monitor sysctls',
        ns: 'monitor',
        argv: [tool('sysctl'), '-qw', ...plan.monitorSysctl],
        input: '',
        // In the monitor's held bash: written to /proc/sys by bash itself (the namespace's own files there), as sysctl does.
        bash: `{ ${plan.monitorSysctl.map((kv) => `echo ${kv.slice(kv.indexOf('=') + 1)} >/proc/sys/${kv.slice(0, kv.indexOf('=')).replaceAll('.', '/')}`).join(' && ')}; }`,
      },
      {
        label: 'loading the nftables rules into the build namespace',
        ns: 'build',
        argv: [tool('nft'), '-f', '-'],
        input: loadNftRules(plan.intercept ? 'build-intercept' : 'build', { group: plan.nflogGroup, veth: BUILD_VETH }),
      },
      {
        label: 'loading the nftables rules into the monitor namespace',
        ns: 'monitor',
        argv: [tool('nft'), '-f', '-'],
        input: loadNftRules(plan.intercept ? 'monitor-intercept' : 'monitor', { veth: MONITOR_VETH }),
      },
    ];
  }

  private nsPathOf(ns: 'build' | 'monitor'): string {
    return ns === 'build' ? this.buildNsPath : this.monitorNsPath;
  }

  private async setup(capture: boolean): Promise<void> {
    const { plan } = this;
    if (this.mode === 'root' && capture) {
      await this.setupAtOnce();
    } else {
      if (this.mode === 'root') await this.createNamed();
      else await this.createInUserNamespace();
      // Each capture starts as soon as its interface is up (tcpdump refuses a down interface); the steps of the
      // two namespaces run side by side.
      if (capture) this.undo.push('stopping the captures', () => Promise.all(this.captures.map((c) => c.kill())));
      const lines = { build: plan.build, monitor: plan.monitor };
      const configure = (ns: 'build' | 'monitor'): Promise<unknown> => this.step(`configuring the ${ns} namespace`, this.ipBatch(ns), { input: batch(lines[ns]) });
      const specs = this.captureSpecs();
      // A namespace no capture configures first (its packet socket needs the interface) is configured beside them.
      const alone = (['build', 'monitor'] as const).filter((ns) => lines[ns].length && !specs.some((c) => c.configure === ns));
      const steps = await Promise.allSettled([
        ...specs.map(({ configure: ns, ...spec }) => (ns ? configure(ns) : Promise.resolve()).then(() => (capture ? this.startCapture(spec) : undefined))),
        ...alone.map(configure),
        ...this.sideSteps().map((s) => this.step(s.label, Sandbox.within(this.nsPathOf(s.ns), s.argv), { input: s.input })),
      ]);
      const failed = steps.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    }
    if (plan.intercept) await this.startIntercept();
  }

  /**
   * As root with captures: everything by one script (src/sandbox/starter.ts), started at once: the namespaces,
   * then side by side the captures and the processes held in each namespace (the end markers), which first
   * do that namespace's steps. A capture reading a packet socket (the faithful lo) starts once its interface
   * is configured; the NFLOG captures of the packets sandbox need no interface and start at once, while the
   * held process of each namespace configures it, loads its nftables rules (and the monitor's sysctls),
   * then stops itself until the build has ended.
   */
  private async setupAtOnce(): Promise<void> {
    const { plan } = this;
    this.registerNamedRemoval();
    const specs = this.captureSpecs();
    const lines = { build: plan.build, monitor: plan.monitor };
    const netns = { build: plan.names.buildNs, monitor: plan.names.monitorNs };
    // Each namespace's steps, for its held process: its configuration unless a capture's socket needs it first, then the side steps.
    const side = this.sideSteps();
    const nsSteps = (ns: 'build' | 'monitor'): StarterStep[] => [
      ...(specs.some((c) => c.configure === ns) || !lines[ns].length ? [] : [{ label: `configuring the ${ns} namespace`, argv: [tool('ip'), '-batch', '-'], input: batch(lines[ns]) }]),
      ...side.filter((s) => s.ns === ns),
    ];
    const held = this.markerScripts().map((m) => ({ ...m, steps: nsSteps(m.ns) }));
    const starter = await SandboxStarter.spawn({
      create: { label: this.creationLabel(), batch: batch(plan.create) },
      captures: specs.map((c) => ({
        source: c.source,
        argv: Capture.argv(c),
        ...(c.configure ? { configure: { netns: netns[c.configure], batch: batch(lines[c.configure]) } } : {}),
      })),
      steps: [],
      // Its result on the script's stdout: its `done` line (the nftables counters, one line of JSON).
      held: held.map(({ name, ns, script, steps }) => {
        const body = `${heldSteps(steps)}kill -STOP $$; printf 'done ${name} %s\\n' "$(${script})"`;
        // The build's marker process also makes the build's UTS namespace, hostname `localhost` (written to
        // /proc/sys/kernel/hostname: no program for it), which the build joins (buildUtsPath).
        const argv =
          ns === 'build'
            ? Sandbox.within(this.buildNsPath, ['unshare', '--uts', '--', tool('bash'), '-c', `echo localhost >/proc/sys/kernel/hostname && ${body}`])
            : Sandbox.within(this.monitorNsPath, ['bash', '-c', body]);
        return { name, argv, steps: steps.map((s) => s.label) };
      }),
    });
    // Its end (it reaps the captures) is awaited by destroy() beside the removal, as the stopped captures' are.
    this.starter = starter;
    this.undo.push('ending the sandbox set-up', async () => starter.killCaptures());
    this.undo.push('stopping the captures', () => Promise.all(this.captures.map((c) => c.kill())));
    await starter.created;
    trace('namespaces created');
    // The removal at the end uses the command shell: started while the set-up finishes.
    prestartCommandShell();
    const started = await Promise.allSettled([
      // Once it has stopped itself, its UTS namespace holds the hostname: the build may join it.
      starter.stopped(BUILD_MARKERS).then((pid) => {
        if (pid !== undefined) this.utsPath = `/proc/${pid}/ns/uts`;
      }),
      ...held.filter((h) => h.name !== BUILD_MARKERS).map((h) => starter.stopped(h.name)),
      ...specs.map(({ configure: _, ...spec }) => this.startCapture({ ...spec, host: starter.host(spec.source) })),
      ...held.flatMap((h) => h.steps).map((s) => starter.step(s.label).then(() => trace(`done: ${s.label}`))),
    ]);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  private creationLabel(): string {
    return this.plan.kind === 'faithful' ? 'creating the build namespace' : 'creating the namespaces and the veth pair';
  }

  /** As root: the removal of the named namespaces and of what runs in them (harmless when they never came to be). */
  private registerNamedRemoval(): void {
    const { buildNs, monitorNs } = this.plan.names;
    const names = this.plan.kind === 'faithful' ? [buildNs] : [buildNs, monitorNs];
    // One step, both at once: what still runs inside is found by the namespaces' inodes, read before their
    // names go (a namespace lives on while a process is in it), in one pass over /proc for both.
    this.undo.push('removing the namespaces and ending what runs in them', async () => {
      const inodes = names.map((n) => netnsInode(netnsPath(n))).filter((i): i is number => i !== undefined);
      await Promise.all([
        quickExec([tool('ip'), '-force', '-batch', '-'], { input: names.map((n) => `netns del ${n}\n`).join('') }),
        killNetns(inodes, 200, this.reaping),
      ]);
    });
  }

  /** As root without captures: the namespaces named in /run/netns, the veth made inside them, one `ip -batch`. */
  private async createNamed(): Promise<void> {
    this.registerNamedRemoval();
    await execStep(this.creationLabel(), [tool('ip'), '-batch', '-'], { input: batch(this.plan.create) }, quickExec);
    trace('namespaces created');
  }

  /**
   * Without root: the launcher makes the user namespace and both namespaces in it; the veth is made from the
   * build namespace with its other end in the monitor's (named by its holder's pid). Ending the launcher ends
   * every process in the user namespace, and with the last of them the namespaces.
   */
  private async createInUserNamespace(): Promise<void> {
    const launcher = await Launcher.start();
    trace('user namespace ready');
    this.launcher = launcher;
    this.undo.push('ending the user namespace', () => launcher.close());
    this.buildNsPath = `/proc/${launcher.buildPid}/ns/net`;
    this.monitorNsPath = `/proc/${launcher.monitorPid}/ns/net`;
    try {
      await this.step('creating the veth pair', Sandbox.within(this.buildNsPath, ['ip', ...vethLine(this.monitorNsPath).split(' ')]));
    } catch (e) {
      // AppArmor's restriction lets the user namespace be made but takes its capabilities away: the first step fails.
      const blocker = userNamespaceBlocker(undefined, true);
      throw blocker ? userNamespaceError(blocker) : e;
    }
  }

  /** Run argv inside the build namespace as the sandbox's privileged commands run (doctor's probe). */
  execInBuild(argv: readonly string[]): Promise<ExecResult> {
    return this.exec(Sandbox.within(this.buildNsPath, argv));
  }

  /**
   * As root, once the sandbox is ready: the UTS namespace the build joins (its hostname `localhost`), held by
   * the build's marker process, which stays (stopped) until collect(); undefined otherwise (the build makes
   * its own, src/sandbox/build.ts).
   */
  get buildUtsPath(): string | undefined {
    return this.utsPath;
  }

  /** Without root: the pid of the process holding the build's namespaces (the build joins them through it). */
  get buildHolderPid(): number | undefined {
    return this.launcher?.buildPid;
  }

  /** Processes of the sandbox itself that live in the build namespace: the captures, and the holder without root. */
  private ownPids(): number[] {
    return [
      ...this.captures.map((c) => c.pid),
      ...(this.starter?.ownPids() ?? []),
      ...(this.launcher ? [this.launcher.buildPid, this.launcher.monitorPid] : []),
    ];
  }

  /** The responder in the monitor (ended by pid, also by the namespace sweep) and the build's resolv.conf. */
  private async startIntercept(): Promise<void> {
    const conf = privateResolvConf();
    this.undo.push('removing the private resolv.conf', async () => conf.remove());
    this.resolvConf = conf.file;
    this.undo.push('stopping the intercept responder', async () => {
      await this.responder?.stop(200);
    });
    this.responder = await Responder.start(this.monitorNsPath);
  }

  /** What the build namespace holds (src/sandbox/plan.ts). */
  get kind(): SandboxKind {
    return this.plan.kind;
  }

  private async startCapture(spec: CaptureOptions): Promise<void> {
    this.captures.push(await Capture.start({ ...(this.launcher ? { host: this.launcher } : {}), ...spec }));
    trace(`capture ready: ${spec.source}`);
  }

  /**
   * End every process still inside the build namespace (daemons a test suite left behind), except our own
   * captures of lo and NFLOG, which live there too.
   */
  killBuildProcesses(graceMs = 1000): Promise<number> {
    return killNetns(this.buildNsPath, graceMs, this.ownPids());
  }

  /**
   * The end markers, by namespace: the build's (lo; with `packets` also NFLOG, then the nftables counters read
   * by the same shell: a rule counts a send inside the sendto() call, so the marker is counted by then and
   * collect() subtracts it) and the monitor's (the veth). src/model/network.ts END_MARKER.
   */
  /**
   * The end marker of a capture point: the sentinel, then the point's name. One NFLOG capture reads three points
   * (captureSpecs()), each complete once its own marker is in; every marker holds the sentinel, by which the
   * analysis leaves them out (src/capture/frames.ts).
   */
  private markerPayload(point: keyof typeof END_MARKER): string {
    return `${this.sentinel.toString('latin1')}-${point}`;
  }

  private markerScripts(): { name: string; ns: 'build' | 'monitor'; script: string }[] {
    const to = (point: keyof typeof END_MARKER): string => `printf %s '${this.markerPayload(point)}' >/dev/udp/${END_MARKER[point].address}/${END_MARKER[point].port}`;
    if (this.plan.kind === 'faithful') return [{ name: BUILD_MARKERS, ns: 'build', script: to('lo') }];
    return [
      { name: BUILD_MARKERS, ns: 'build', script: `${to('lo')}; ${to('nflog')}; exec ${tool('nft')} -j list table inet netaudit` },
      { name: MONITOR_MARKERS, ns: 'monitor', script: to('veth') },
    ];
  }

  /**
   * Send the sentinel through every capture point, wait until each capture has it (or timeoutMs), stop the
   * captures and return what they hold.
   */
  async collect(timeoutMs = 2000): Promise<SandboxCaptures> {
    // The build has ended: connections the responder is still reading are logged as partial, then it exits.
    const intercepted = this.responder ? await this.responder.stop() : undefined;
    const t0 = performance.now();
    const debug = process.env.NETAUDIT_DEBUG ? (m: string) => process.stderr.write(`netaudit: ${m} +${(performance.now() - t0).toFixed(1)} ms\n`) : () => undefined;
    // Each capture is stopped as soon as its own marker is in (or at the timeout): a packet socket's exit (the
    // faithful sandbox's lo) takes the kernel 20-40 ms (its close waits for RCU grace periods), which then
    // overlaps the other captures' markers, the counters' read and the analysis instead of following them.
    const stopped = Promise.all(
      this.captures.map((c) =>
        c
          .waitForSentinel(timeoutMs)
          .then((ok) => (debug(`sentinel ${c.source} ${ok}`), c.stop()))
          .then((r) => (debug(`stopped ${r.source}`), r)),
      ),
    );
    // As root the set-up script holds a bash in each namespace, stopped until now; otherwise one is started.
    const starter = this.starter;
    const send = ({ name, ns, script }: ReturnType<Sandbox['markerScripts']>[number]): Promise<string> =>
      starter
        ? starter.release(name).then((r) => r ?? '')
        : this.exec(Sandbox.within(this.nsPathOf(ns), ['bash', '-c', script])).then((r) => (r.code === 0 ? r.stdout : ''));
    const [built] = await Promise.all(this.markerScripts().map(send));
    debug('sentinels sent');
    const nftLogged = this.plan.kind === 'faithful' ? undefined : nftCounters(built ?? '');
    const results = (await stopped).flatMap((r) => (this.plan.kind === 'packets' && r.source === 'nflog' ? this.splitPoints(r) : [r]));
    debug('captures stopped');
    this.stopped.push(...this.captures);
    this.captures = [];
    return {
      results,
      nftLogged: nftLogged === undefined ? undefined : Math.max(0, nftLogged - 1),
      sentinel: this.sentinel,
      ...(intercepted ? { intercepted } : {}),
    };
  }

  /**
   * The packets sandbox's one NFLOG capture as the three capture points it reads (lo, veth, nflog), each
   * complete when its own end marker is in it. tcpdump's drop count (the NFLOG socket's overruns, which no group
   * can be told from) goes with the first, so that the report counts it once.
   */
  private splitPoints(merged: CaptureResult): CaptureResult[] {
    const points = NFLOG_POINTS(this.plan.nflogGroup);
    const split = splitNflogPcap(merged.pcap, points.map((p) => p.group));
    return points.map(({ source, group }, i) => {
      const pcap = split.byGroup.get(group) ?? Buffer.alloc(0);
      const records = split.records.get(group) ?? 0;
      return {
        source,
        pcap,
        captured: records,
        receivedByFilter: records,
        droppedByKernel: i === 0 ? merged.droppedByKernel : 0,
        incomplete: split.truncated || !pcap.includes(Buffer.from(this.markerPayload(source), 'latin1')),
      };
    });
  }

  /**
   * Remove everything this sandbox created. Safe to call twice; returns what could not be removed. When it
   * resolves, every capture process has been reaped: those collect() killed without waiting exit (20-40 ms
   * for a packet socket's) while the namespaces are being removed, the others are killed and awaited by the undo
   * stack.
   */
  async destroy(): Promise<string[]> {
    if (this.destroyed) return [];
    this.destroyed = true;
    const stopped = this.stopped;
    this.stopped = [];
    this.reaping = [...stopped.map((c) => c.pid), ...(this.starter?.ownPids() ?? [])];
    const [failures, ended] = await Promise.all([
      this.undo.unwind(),
      this.starter?.close().then(
        () => undefined,
        (e: Error) => `ending the sandbox set-up: ${e.message}`,
      ),
      Promise.all(stopped.map((c) => c.reaped())),
    ]);
    return ended ? [...failures, ended] : failures;
  }
}

/** The capture points of the packets sandbox's NFLOG capture and their groups (bpf/build.nft). */
function NFLOG_POINTS(nflogGroup: number): { readonly source: 'lo' | 'veth' | 'nflog'; readonly group: number }[] {
  return [
    { source: 'lo', group: NFLOG_LO_GROUP },
    { source: 'veth', group: NFLOG_VETH_GROUP },
    { source: 'nflog', group: nflogGroup },
  ];
}

type CaptureSpec = CaptureOptions & { readonly configure?: 'build' | 'monitor' };

/** The build namespace's marker process (held by the set-up script as root; it also holds the build's UTS namespace). */
const BUILD_MARKERS = 'markers-build';
const MONITOR_MARKERS = 'markers-monitor';

/** `ip -batch` input: the plan's lines, each ended. */
function batch(lines: readonly string[]): string {
  return lines.join('\n') + '\n';
}

/** Sum of the nftables rule counters in `nft -j list table`'s output (each logged-and-dropped send), the sentinel included. */
function nftCounters(listed: string): number | undefined {
  try {
    const doc = JSON.parse(listed) as { nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[] };
    let n = 0;
    for (const item of doc.nftables) for (const e of item.rule?.expr ?? []) n += e.counter?.packets ?? 0;
    return n;
  } catch {
    return undefined;
  }
}
