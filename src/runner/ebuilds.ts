/**
 * `netaudit ebuild`'s core: Portage located, the session set up for builds (its tracer attaches and its first
 * sandbox is made while Portage reads the metadata), the ebuilds audited one by one
 * (./ebuild.ts auditEbuilds), then, when asked, suggestions for the breaking ones (./suggest.ts). Printing is
 * the caller's: `onResult`.
 */
import type { BuildResult } from '../model/types.js';
import { locatePortage } from '../portage/locate.js';
import { readMetadata } from '../portage/metadata.js';
import type { EbuildMeta } from '../portage/metadata.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { auditEbuilds, auditSandbox, type EbuildsAuditOptions } from './ebuild.js';
import type { Session } from './session.js';
import { trace } from '../util/trace.js';

export interface EbuildFilesOptions extends Omit<EbuildsAuditOptions, 'install' | 'metas' | 'session' | 'onResult'> {
  /** .ebuild files, or atoms within `repo`. */
  readonly ebuilds: readonly string[];
  readonly repo?: string;
  /** Portage's ebuild program (--portage; default: located, src/portage/locate.ts). */
  readonly portage?: string;
  /** Run the syscall tracer (false: --no-observe). */
  readonly observe: boolean;
  /** --suggest DIR / --verify: suggestions for the breaking ebuilds, patches written to DIR when given. */
  readonly suggest?: { readonly dir?: string; readonly verify: boolean };
  /** Each build once it is final (with its suggestions when suggesting). */
  readonly onResult?: (result: BuildResult) => void;
}

export interface EbuildFilesAudit {
  readonly results: BuildResult[];
  /** A signal ended the audits (the results so far are returned). */
  readonly interrupted: boolean;
}

/** The ebuilds audited in `session` (which this sets up for builds: Portage's root, the tracer, the first sandbox). */
export async function auditEbuildFiles(session: Session, options: EbuildFilesOptions): Promise<EbuildFilesAudit> {
  const { ebuilds, repo, portage, observe, suggest, onResult, ...audit } = options;
  // The metadata query follows begin(): started inside check() (beside the tracer's attach and the garbage
  // collection, 200-300 ms earlier) it made the fixture suite (test/portage/ebuild.test.ts) attribute attempts
  // of later builds to the wrong phase, 5 of 21 fixtures in 3 runs of 3 (a fourth run, quieter, was right);
  // not understood yet, so not done (docs/benchmarks.md).
  const install = await session.begin({ need: 'portage', check: () => locatePortage({ portage }), observe, sandboxAhead: { intercept: options.intercept } });
  // --suggest's modules load while the builds run.
  const suggesting = suggest ? import('./suggest.js') : undefined;
  suggesting?.catch(() => undefined);
  trace('metadata: reading');
  const metas = await readMetadata(install, ebuilds, { repo, allowTest: options.allowTest });
  trace('metadata: read');
  // --verify: the first verify run's sandbox is made while the last audit's evidence is analysed, when that build
  // failed (a breaking build failed; its patch is verified next). Removed below when no verify run took it.
  let verifySandbox: Promise<Sandbox> | undefined;
  const last = metas[metas.length - 1];
  const onBuildEnded =
    suggest?.verify && !options.intercept
      ? (meta: EbuildMeta, exitCode: number | null) => {
          if (meta !== last || exitCode === 0 || verifySandbox) return;
          verifySandbox = auditSandbox({ observe: session.observe });
          verifySandbox.catch(() => undefined);
        }
      : undefined;
  try {
    const { results, interrupted } = await auditEbuilds({ ...audit, install, metas, session, onResult: suggest ? undefined : onResult, ...(onBuildEnded ? { onBuildEnded } : {}) });
    if (interrupted || !suggest || !suggesting) {
      // No build follows: the tracer ends now, its detach overlapping the report (the session's close awaits it).
      void session.observe?.close();
      return { results, interrupted };
    }
    const { addSuggestions } = await suggesting;
    trace('suggest: loaded');
    const suggested = await addSuggestions(results, metas, {
      dir: suggest.dir,
      verify: suggest.verify,
      audit: {
        install,
        observe: session.observe,
        logDir: options.logDir,
        allowTest: options.allowTest,
        timeoutMs: options.timeoutMs,
        signal: session.signal,
        onTeardownProblem: (t) => session.teardownProblems([t]),
        takeSandbox: () => {
          const s = verifySandbox;
          verifySandbox = undefined;
          return s;
        },
      },
      onResult,
    });
    // The last verify run is done: the tracer ends now, its detach overlapping the report, as above.
    void session.observe?.close();
    return { results: suggested, interrupted: session.interrupted };
  } finally {
    if (verifySandbox) {
      const unused = verifySandbox;
      verifySandbox = undefined;
      session.teardownProblems(await unused.then((s) => s.destroy(), () => []));
    }
  }
}
