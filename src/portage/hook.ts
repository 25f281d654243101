import { readFileSync } from 'node:fs';
import type { Phase } from '../model/types.js';
import { packagePath } from '../util/package.js';

/**
 * The phase markers: a bashrc that Portage sources at the start of every phase process. It first sources the
 * user's own bashrc (their hooks keep running), then records `start` with $EPOCHREALTIME (the capture's
 * clock) and `end rc=N` from an EXIT trap (which also
 * fires when the phase dies). Bash builtins only: Portage forbids external commands while sourcing for the
 * depend phase, and the marks are skipped there.
 *
 * The log file is pre-created portage:portage 0664, since phases alternate between root and portage
 * (FEATURES=userpriv). Columns: time, event, EBUILD_PHASE, EBUILD_PHASE_FUNC, CATEGORY/PF, pid:euid, extra.
 * In src_test it also exports the pytest plugin's variables from NETAUDIT_TEST_LOG and NETAUDIT_PYTEST_DIR
 * (test attribution, src/runner/tests.ts).
 */
/** The hook's text (src/portage/netaudit-bashrc.sh, shipped with the package). */
export function hookBashrc(): string {
  return readFileSync(packagePath('src/portage/netaudit-bashrc.sh'), 'utf8');
}

/**
 * The marker log -> phases in order, times in ms since `buildStartMs` (epoch ms, the capture's clock).
 * Unterminated phases (killed) keep no endMs; `sandboxed` is for the verdict to decide.
 */
export function parsePhaseLog(text: string, buildStartMs: number): Phase[] {
  const phases: { name: string; startMs: number; endMs?: number; exitCode?: number }[] = [];
  const open = new Map<string, (typeof phases)[number]>();
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    if (f.length < 7) continue;
    const [ts, event, phase, func, , pid, extra] = f as [string, string, string, string, string, string, string];
    const ms = Number(ts.replace(',', '.')) * 1000 - buildStartMs;
    if (!Number.isFinite(ms)) continue;
    const name = func !== '-' ? func : phase !== '-' ? phase : 'misc-functions';
    if (event === 'start') {
      const rec = { name, startMs: ms };
      phases.push(rec);
      open.set(pid, rec);
    } else if (event === 'end') {
      const rec = open.get(pid);
      if (!rec) continue;
      rec.endMs = ms;
      const rc = /rc=(\d+)/.exec(extra);
      if (rc) rec.exitCode = Number(rc[1]);
      open.delete(pid);
    }
  }
  return phases;
}
