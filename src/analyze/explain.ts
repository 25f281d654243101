/**
 * `--explain`'s pure half: which attempts of the faithful run an intercepted rerun of the same build explains,
 * and with what `wanted`. The two runs are separate builds (their clocks, pids and sinkhole addresses differ),
 * so attempts are matched by what they were for, never by time:
 * - a faithful DNS lookup of NAME failed, so nothing followed it; in the rerun the lookup succeeded and the
 *   connect came next: it is explained by the rerun's TCP attempts whose hostname is NAME (any port);
 * - a faithful TCP attempt to a literal address is explained by the rerun's TCP attempt to the same family,
 *   address and port; one that carries a hostname (an /etc/hosts entry) also by the rerun's TCP attempts to that
 *   hostname and port;
 * - a faithful DNS lookup without a name (a resolver that is not libc's, such as Go's, asking an external
 *   nameserver: its UDP connect() failed before any question existed, so the tracer had no name) is explained
 *   by the names the same process (by comm) looked up in the rerun: each name's TCP `wanted` texts, or
 *   `lookup NAME` when nothing followed. This is where a name lost in the faithful run is recovered;
 * - always within the same phase (both unknown counts as the same: `netaudit run` has no phases).
 * Only rerun attempts with `wanted` explain anything. Several texts for one faithful attempt are given in the
 * rerun's order, each once, joined with ` | ` as attachWanted does (src/analyze/intercept.ts). UDP, ICMP and
 * UNIX attempts are never explained (the responder answers DNS and TCP only).
 *
 * explainResult() merges the two runs' results: the faithful one gains `wanted`, the `explanation` block and a
 * `changes` line, nothing else (src/runner/ebuild.ts runs the rerun).
 */
import type { Attempt, BuildResult, Explanation } from '../model/types.js';
import { canonicalAddress } from '../decode/addr.js';

/** A host name in one spelling: lower case, no trailing dot. */
function nameKey(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** Whether the rerun's attempt `r` (TCP, with wanted) explains the faithful attempt `f`. */
export function explains(f: Attempt, r: Attempt): boolean {
  if (r.kind !== 'tcp' || r.wanted === undefined) return false;
  if ((f.phase ?? '') !== (r.phase ?? '')) return false;
  const sameName = f.hostname !== undefined && r.hostname !== undefined && nameKey(f.hostname) === nameKey(r.hostname);
  if (f.kind === 'dns') return sameName;
  if (f.kind !== 'tcp' || f.port !== r.port) return false;
  if (f.family === r.family && canonicalAddress(f.address) === canonicalAddress(r.address)) return true;
  return sameName;
}

/** The names the rerun's process of the same comm looked up in the same phase, in the rerun's order, once each. */
function namesLookedUp(f: Attempt, rerun: readonly Attempt[]): string[] {
  const names: string[] = [];
  for (const r of rerun) {
    if (r.kind !== 'dns' || r.hostname === undefined || (f.phase ?? '') !== (r.phase ?? '')) continue;
    if (f.process && r.process?.comm !== f.process.comm) continue;
    const name = nameKey(r.hostname);
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * The faithful attempts with `wanted` set where the rerun explains them (an attempt that has one already, from
 * an intercepted faithful run, is left as it is), and how many got one. Order and every other field unchanged.
 */
export function explainAttempts(faithful: readonly Attempt[], rerun: readonly Attempt[]): { attempts: Attempt[]; explained: number } {
  let explained = 0;
  const attempts = faithful.map((f) => {
    if (f.wanted !== undefined) return f;
    const texts: string[] = [];
    const add = (t: string): void => {
      if (!texts.includes(t)) texts.push(t);
    };
    for (const r of rerun) if (explains(f, r)) add(r.wanted as string);
    if (f.kind === 'dns' && f.hostname === undefined) {
      for (const name of namesLookedUp(f, rerun)) {
        const wanted = rerun.filter((r) => explains({ ...f, hostname: name }, r)).map((r) => r.wanted as string);
        if (wanted.length) wanted.forEach(add);
        else add(`lookup ${name}`);
      }
    }
    if (!texts.length) return f;
    explained++;
    return { ...f, wanted: texts.join(' | ') };
  });
  return { attempts, explained };
}

/** The `changes` line of an explained build. */
export const EXPLAIN_CHANGE =
  '--explain: the build broke, so it was run once more intercepted (observation, not a network-sandbox verdict); ' +
  "only `wanted` on the attempts and the `explanation` block come from that rerun: the verdict, findings, outcomes and exit code are this run's";

/**
 * The faithful result of a breaking build with what its intercepted rerun saw added: `wanted` on the attempts
 * the rerun explains (src/analyze/explain.ts), the `explanation` block and a `changes` line. Nothing else of the
 * faithful result changes. `rerun` absent: it could not be made (`failure` says why).
 */
export function explainResult(faithful: BuildResult, rerun: BuildResult | undefined, failure?: { error: string; durationMs: number }): BuildResult {
  const changes = [...(faithful.changes ?? []), EXPLAIN_CHANGE];
  if (!rerun) {
    const explanation: Explanation = {
      durationMs: failure?.durationMs ?? 0,
      exitCode: null,
      attempts: [],
      explained: 0,
      note: "the intercepted rerun could not be made; the verdict and everything else are the faithful run's, unexplained",
      error: failure?.error ?? 'unknown',
    };
    return { ...faithful, changes, explanation };
  }
  const { attempts, explained } = explainAttempts(faithful.attempts, rerun.attempts);
  const seconds = (rerun.durationMs / 1000).toFixed(1);
  const explanation: Explanation = {
    durationMs: rerun.durationMs,
    exitCode: rerun.exitCode,
    ...(rerun.signal ? { signal: rerun.signal } : {}),
    ...(rerun.timedOut ? { timedOut: true } : {}),
    attempts: rerun.attempts,
    explained,
    note:
      `an intercepted rerun (observation, not a network-sandbox verdict) answered the build's lookups and accepted its connects; ` +
      `${explained} of the build's ${faithful.attempts.length} attempts got \`wanted\` from it. It cost one extra build run (${seconds} s), made only because the build breaks.` +
      (rerun.exitCode === 0 ? ' Answered, the build passed (exit 0).' : ''),
    ...(rerun.log !== undefined ? { log: rerun.log } : {}),
  };
  return { ...faithful, attempts, changes, explanation };
}
