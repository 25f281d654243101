/**
 * The sandbox's set-up as root, in one process: a shell script that creates the namespaces, configures them,
 * loads the nftables rules, sets the monitor's sysctls and starts the captures, each as soon as what it needs
 * exists, while netaudit goes on (parsing its command line, loading its modules).
 *
 * Why one process: a sandbox is a chain of short commands and up to three tcpdumps, and much of its time is
 * waiting, not work (a packet socket's ring, the faithful sandbox's lo capture, costs tcpdump an RCU grace
 * period, 10-20 ms, before it listens). Driven from node, each link of the chain waited for node's event loop:
 * the captures could start only once node had read that the namespaces existed, which came after the command
 * line's parse. Here nothing waits for node, and node spawns one process instead of one per capture (a fork of
 * node costs its own CPU, see shell.ts).
 *
 * The captures write to pipes of their own that node holds (the script's file descriptors 3 and up: a
 * capture's stdout, then its stderr), so a capture is read exactly as a child of node is. The script prints one
 * line per event on its stdout:
 *
 *   created                      the namespaces (and the veth) exist
 *   pid SOURCE PID               the capture SOURCE runs as PID (it execs tcpdump: the pid stays)
 *   ok LABEL                     the step LABEL succeeded
 *   fail LABEL<TAB>TEXT          it failed; TEXT is its output, lines separated by \x1e
 *
 * Lifetime: the script runs under `setpriv --pdeathsig KILL` (supervisor.ts) and every capture under its own
 * `setpriv --pdeathsig KILL` as the script's child, so netaudit's death (even SIGKILL) ends the script and its
 * death ends the captures. The script waits for its children and exits after the last: once it has exited,
 * every capture has been reaped. close() kills the captures and awaits that.
 */
import type { Readable } from 'node:stream';
import { SetupError } from '../model/errors.js';
import { failureReason } from '../proc/exec.js';
import { supervise, type Helper, type HostedProcess, type ProcessHost } from '../proc/supervisor.js';
import { tool } from '../proc/tools.js';
import { processStat } from './names.js';
import { shellQuote } from './shell.js';

export interface StarterCapture {
  /** The capture's name (lo, veth, nflog). */
  readonly source: string;
  /** `ip -n NETNS -batch` lines run right before the capture starts, in the same process (the interface it needs). */
  readonly configure?: { readonly netns: string; readonly batch: string };
  /** The capture's argv (nsenter … -- tcpdump …), absolute paths. */
  readonly argv: readonly string[];
}

export interface StarterStep {
  readonly label: string;
  readonly argv: readonly string[];
  readonly input: string;
  /** What a held bash runs instead of argv (no program: e.g. sysctls written to /proc/sys by bash itself). */
  readonly bash?: string;
}

/**
 * A process started at once that stops itself (SIGSTOP) until release() continues it: the end markers, sent
 * by a bash already inside its namespace, so that a marker leaves a few hundred microseconds after the build's
 * end instead of after a command shell's round trip, nsenter and bash's own start (~10 ms, all before the
 * captures can stop). It writes on the script's own stdout, its last line `done NAME TEXT` (its result, one
 * line); its stderr is the script's.
 */
export interface StarterHeld {
  readonly name: string;
  /**
   * argv (absolute paths) whose process stops itself first and ends with `done NAME …` (`bash -c 'kill -STOP $$; …'`);
   * before its stop it may run steps of its namespace (heldSteps()), whose labels are `steps`.
   */
  readonly argv: readonly string[];
  /** The labels of the steps it runs before its stop, each reported as a step of the script is (`ok`/`fail`). */
  readonly steps?: readonly string[];
}

/**
 * bash lines that run `steps` one after the other, each reported as the script reports its own steps (`ok
 * LABEL`, or `fail LABEL<TAB>TEXT`): for a held process, which is inside its namespace already, so that a step
 * there costs its one program, not a subshell, a pipe and nsenter besides (the set-up's ~25 programs share two
 * cores with node's own start). A step's input goes in as a here-string (a final newline added: ip and nft
 * read lines).
 */
export function heldSteps(steps: readonly StarterStep[]): string {
  const q = shellQuote;
  return steps
    .map((s) => {
      const run = s.bash ?? s.argv.map(q).join(' ') + (s.input ? ` <<<${q(s.input)}` : ' </dev/null');
      return `if e=$(${run} 2>&1); then echo ${q(`ok ${s.label}`)}; else printf 'fail %s\t%s\n' ${q(s.label)} "\${e//$'\n'/$'\x1e'}"; fi
`;
    })
    .join('');
}

export interface StarterPlan {
  /** The label of the creation, and its `ip -batch` lines (run in the root namespace). */
  readonly create: { readonly label: string; readonly batch: string };
  readonly captures: readonly StarterCapture[];
  /** Processes that wait, stopped, for release(). */
  readonly held?: readonly StarterHeld[];
  /** Commands run side by side once the namespaces exist. */
  readonly steps: readonly StarterStep[];
}

/** The script for `plan`, run by sh -c: everything quoted into it (no positional arguments). */
export function starterScript(plan: StarterPlan): string {
  const q = shellQuote;
  // sh takes file descriptors 0-9 only: three captures at most (3-8).
  if (plan.captures.length > 3) throw new Error('internal: the sandbox set-up starts three captures at most');
  const fds = plan.captures.map((_, i) => [3 + 2 * i, 4 + 2 * i] as const);
  const closeAll = fds.flat().map((fd) => `${fd}>&-`).join(' ');
  const lines = [
    // Failures are one line: TEXT with its newlines as \x1e (node splits it again).
    `fail() { printf 'fail %s\\t%s\\n' "$1" "$(printf %s "$2" | ${q(tool('tr'))} '\\n' '\\036')"; }`,
    `if ! e=$(printf %s ${q(plan.create.batch)} | ${q(tool('ip'))} -batch - 2>&1); then fail ${q(plan.create.label)} "$e"; exit 1; fi`,
    'echo created',
  ];
  const held = (plan.held ?? []).flatMap((h) => {
    const run = [tool('setpriv'), '--pdeathsig', 'KILL', '--', ...h.argv].map(q).join(' ');
    return [`( exec ${run} ) ${closeAll} </dev/null &`, `echo "pid ${h.name} $!"`];
  });
  const captures = plan.captures.flatMap((c, i) => {
    const [out, err] = fds[i] as readonly [number, number];
    const configure = c.configure ? `printf %s ${q(c.configure.batch)} | ${q(tool('ip'))} -n ${q(c.configure.netns)} -batch - && ` : '';
    const run = [tool('setpriv'), '--pdeathsig', 'KILL', '--', ...c.argv].map(q).join(' ');
    return [`( ${configure}exec ${run} ) >&${out} 2>&${err} ${closeAll} </dev/null &`, `echo "pid ${c.source} $!"`];
  });
  // The longest chain first (on two cores shared with node, a process forked later also gets the CPU later): a
  // capture that configures its interface first and then opens a packet socket (its ring costs an RCU grace
  // period, ~20 ms), else the held processes (setpriv, nsenter, bash, then their namespace's steps).
  lines.push(...(plan.captures.some((c) => c.configure) ? [...captures, ...held] : [...held, ...captures]));
  if (fds.length) lines.push(`exec ${closeAll}`);
  for (const s of plan.steps) {
    const run = s.argv.map(q).join(' ');
    lines.push(`( if e=$(printf %s ${q(s.input)} | ${run} 2>&1); then echo ${q(`ok ${s.label}`)}; else fail ${q(s.label)} "$e"; fi ) &`);
  }
  lines.push('wait');
  return lines.join('\n') + '\n';
}

/** A capture of the plan: the process once the script has said its pid, and who waits for it meanwhile. */
interface Slot {
  readonly waiting: ((p: HostedProcess) => void)[];
  process?: StartedProcess;
}

/** A promise with its resolve and reject at hand; its rejection is handled (whoever awaits it sees it). */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void; readonly settled: boolean } {
  let settled = false;
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = () => ((settled = true), res());
    reject = (e) => ((settled = true), rej(e));
  });
  promise.catch(() => undefined);
  return {
    promise,
    resolve,
    reject,
    get settled() {
      return settled;
    },
  };
}

/** A capture the script started: its pid, its two pipes, and its end (both pipes closed). */
class StartedProcess implements HostedProcess {
  exitCode: number | null = null;
  readonly exited: Promise<number>;
  readonly outFile = '';
  readonly errFile = '';
  readonly pipes: { readonly stdout: Readable; readonly stderr: Readable };

  constructor(
    readonly pid: number,
    stdout: Readable,
    stderr: Readable,
  ) {
    this.pipes = { stdout, stderr };
    const ended = (s: Readable): Promise<void> => new Promise((r) => (s.closed ? r() : s.once('close', () => r())));
    // Its exit status is the script's to know (a failure says why on stderr); both pipes closed is its end.
    this.exited = Promise.all([ended(stdout), ended(stderr)]).then(() => (this.exitCode = 0));
  }

  kill(signal: NodeJS.Signals): void {
    if (this.exitCode !== null) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      /* gone */
    }
  }
}

/**
 * What a process's state letter (/proc/PID/stat; undefined: no such process) says of a held process: stopped by
 * a signal ('T', or 't' under a tracer's eye: strace, gdb), gone (none, or a zombie: it will not stop or say
 * anything any more), or running.
 */
function heldState(state: string | undefined): 'stopped' | 'gone' | 'running' {
  if (state === 'T' || state === 't') return 'stopped';
  return state === undefined || state === 'Z' || state === 'X' ? 'gone' : 'running';
}

/** The held process `pid`, read now. */
function heldStateOf(pid: number | undefined): 'stopped' | 'gone' | 'running' {
  return pid ? heldState(processStat(pid)?.state) : 'running';
}

export class SandboxStarter {
  private helper!: Helper;
  private readonly slots = new Map<string, Slot>();
  /** The held processes: their pid once reported, their result line once done. */
  private readonly held = new Map<string, { pid?: number; start?: string; result?: string; done: ((text: string) => void)[] }>();
  private readonly steps = new Map<string, ReturnType<typeof deferred>>();
  private readonly creation = deferred();
  /** Resolves once the namespaces exist; rejects with the creation's failure. */
  readonly created = this.creation.promise;
  private buffer = '';

  private constructor(private readonly plan: StarterPlan) {
    for (const c of plan.captures) this.slots.set(c.source, { waiting: [] });
    for (const h of plan.held ?? []) this.held.set(h.name, { done: [] });
    for (const label of [...plan.steps.map((s) => s.label), ...(plan.held ?? []).flatMap((h) => h.steps ?? [])]) this.steps.set(label, deferred());
  }

  /** Spawn the script (it runs at once; nothing here waits for it). */
  static async spawn(plan: StarterPlan): Promise<SandboxStarter> {
    const s = new SandboxStarter(plan);
    await supervise({
      label: 'the sandbox set-up',
      argv: [tool('sh'), '-c', starterScript(plan), 'netaudit-sandbox'],
      tools: ['sh', 'ip', 'nsenter', 'tcpdump', 'tr'],
      extraPipes: plan.captures.length * 2,
      // Its first lines may come before supervise() resolves (it gives a failed spawn a turn): the helper is
      // known from its spawn on.
      onSpawn: (helper) => (s.helper = helper),
      onStdout: (b) => s.onLines(b),
    });
    void s.helper.exited.then(() => s.ended());
    return s;
  }

  /** Resolves once the step `label` succeeded; rejects (SetupError) with its last line of output when it failed. */
  step(label: string): Promise<void> {
    const d = this.steps.get(label);
    if (!d) throw new Error(`internal: no step ${label} in the sandbox set-up`);
    return d.promise;
  }

  /** A host for the capture `source`: supervise() gets the process the script started (the argv is the script's). */
  host(source: string): ProcessHost {
    return {
      start: () =>
        new Promise<HostedProcess>((resolve, reject) => {
          const slot = this.slots.get(source);
          if (!slot) return reject(new Error(`internal: no capture ${source} in the sandbox set-up`));
          if (slot.process) return resolve(slot.process);
          slot.waiting.push(resolve);
          // The script ended before it started this capture (the namespaces could not be made).
          this.created.catch(reject);
          void this.helper.exited.then(() => reject(new Error(`the sandbox set-up ended before the ${source} capture started`)));
        }),
    };
  }

  /** The pids of the captures it started. */
  capturePids(): number[] {
    return [...this.slots.values()].flatMap((s) => (s.process ? [s.process.pid] : []));
  }

  /** The pids of everything it started that lives in a sandbox namespace: the captures and the held processes. */
  ownPids(): number[] {
    return [...this.capturePids(), ...[...this.held.values()].flatMap((h) => (h.pid ? [h.pid] : []))];
  }

  /**
   * Resolves with the pid of the held process `name` once it has stopped itself (what it does before its stop
   * is done), or undefined when it did not within timeoutMs (or the script ended first, or there is none).
   */
  async stopped(name: string, timeoutMs = 2000): Promise<number | undefined> {
    const h = this.held.get(name);
    if (!h) return undefined;
    await this.heldSteps(name, h);
    await this.settled(h, Date.now() + timeoutMs);
    return h.result === undefined && heldStateOf(h.pid) === 'stopped' ? h.pid : undefined;
  }

  /**
   * Wait until the held process `name` has reported each of its steps (they take what they take: ip, nft), or
   * has ended without (then the steps it never reported fail), or the script has ended (ended() fails them).
   */
  private async heldSteps(name: string, h: { pid?: number }): Promise<void> {
    const labels = this.plan.held?.find((x) => x.name === name)?.steps ?? [];
    const pending = (): ReturnType<typeof deferred>[] => labels.flatMap((l) => (this.steps.get(l)?.settled === false ? [this.steps.get(l) as ReturnType<typeof deferred>] : []));
    // Woken by each report, and every 10 ms to see whether the process is still there.
    for (let left = pending(); left.length && heldStateOf(h.pid) !== 'gone' && this.helper.alive(); left = pending()) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([...left.map((d) => d.promise.catch(() => undefined)), new Promise((r) => (timer = setTimeout(r, 10)))]);
      clearTimeout(timer);
    }
    const said = this.helper.stderrText().trim().split('\n').pop();
    for (const label of labels) {
      const d = this.steps.get(label);
      if (d && !d.settled) d.reject(new SetupError(label, `${label}: its process ended first${said ? ` (${said})` : ''}`));
    }
  }

  /** Wait (polling /proc each millisecond) until the held process has stopped itself, ended or said `done`, the script ended, or the deadline. */
  private async settled(h: { pid?: number; result?: string }, deadline: number): Promise<void> {
    while (heldStateOf(h.pid) === 'running' && h.result === undefined && this.helper.alive() && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /**
   * Continue the held process `name` once it has stopped itself, and resolve with its result (the text of its
   * `done` line); undefined when it gave none within timeoutMs (it could not start: its reason is on the
   * script's stderr), or there is no such process.
   */
  async release(name: string, timeoutMs = 2000): Promise<string | undefined> {
    const h = this.held.get(name);
    if (!h) return undefined;
    const deadline = Date.now() + timeoutMs;
    // SIGCONT before it has stopped itself would be lost (it would then stop for good): wait for its stop.
    await this.settled(h, deadline);
    if (h.result !== undefined) return h.result;
    if (!h.pid || heldStateOf(h.pid) !== 'stopped') return undefined;
    process.kill(h.pid, 'SIGCONT');
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      new Promise<string>((r) => h.done.push(r)),
      new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), Math.max(0, deadline - Date.now())))),
      this.helper.exited.then(() => h.result),
    ]);
    clearTimeout(timer);
    return result;
  }

  private onLines(b: Buffer): void {
    this.buffer += b.toString('utf8');
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line === 'created') this.creation.resolve();
      else if (line.startsWith('pid ')) this.onPid(line);
      else if (line.startsWith('ok ')) this.steps.get(line.slice(3))?.resolve();
      else if (line.startsWith('done ')) this.onDone(line.slice(5));
      else if (line.startsWith('fail ')) this.onFail(line.slice(5));
    }
  }

  private onPid(line: string): void {
    const [, source, pid] = line.split(' ');
    const slot = this.slots.get(source ?? '');
    const held = this.held.get(source ?? '');
    if (held) {
      held.pid = Number(pid);
      // Its identity: the script has just started it and reaps it only once it ends, which it does not
      // before release() (it stops itself first).
      held.start = processStat(held.pid)?.startTicks;
      return;
    }
    const i = this.plan.captures.findIndex((c) => c.source === source);
    const pipes = this.helper.extraPipes();
    if (!slot || i < 0) return;
    slot.process = new StartedProcess(Number(pid), pipes[2 * i] as Readable, pipes[2 * i + 1] as Readable);
    for (const w of slot.waiting.splice(0)) w(slot.process);
  }

  private onDone(rest: string): void {
    const space = rest.indexOf(' ');
    const h = this.held.get(space < 0 ? rest : rest.slice(0, space));
    if (!h) return;
    h.result = space < 0 ? '' : rest.slice(space + 1);
    for (const d of h.done.splice(0)) d(h.result);
  }

  private onFail(rest: string): void {
    const tab = rest.indexOf('\t');
    const label = rest.slice(0, tab);
    const error = new SetupError(label, `${label}: ${failureReason(rest.slice(tab + 1).split('\x1e'))?.trim() ?? 'failed'}`);
    if (label === this.plan.create.label) this.creation.reject(error);
    else this.steps.get(label)?.reject(error);
  }

  /** The script is gone: what it never reported has failed. */
  private ended(): void {
    const said = this.helper.stderrText().trim().split('\n').pop();
    const why = (what: string): SetupError => new SetupError(what, `${what}: the sandbox set-up ended first${said ? ` (${said})` : ''}`);
    this.creation.reject(why(this.plan.create.label));
    for (const [label, s] of this.steps) s.reject(why(label));
  }

  /**
   * SIGKILL to the captures it started that still run (their pipes open: a capture whose pipes have closed has
   * ended, and its pid may already be reaped by the script, so it is never signalled).
   */
  killCaptures(): void {
    for (const s of this.slots.values()) s.process?.kill('SIGKILL');
    // A held process that has not said `done` is still running or stopped (its pid cannot have been reaped).
    // It is signalled only while it is the very process started (same start time) and has not ended.
    for (const h of this.held.values()) {
      const now = h.pid ? processStat(h.pid) : undefined;
      if (h.pid && h.result === undefined && now && now.startTicks === h.start && heldState(now.state) !== 'gone') {
        try {
          process.kill(h.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  }

  /** End the captures it started, then await the script's end (it reaps them); SIGKILL to it after graceMs. */
  async close(graceMs = 2000): Promise<void> {
    this.killCaptures();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), graceMs)));
    if ((await Promise.race([this.helper.exited, late])) === 'late') await this.helper.kill();
    clearTimeout(timer);
  }
}
