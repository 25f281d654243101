/**
 * `netaudit ebuild`: one ebuild through real Portage. Distfiles are fetched outside the sandbox, as Portage
 * does; then `ebuild FILE clean test install clean` runs inside the build namespace with Portage's own
 * network/ipc/pid/mount sandboxes off (netaudit's namespace is the sandbox) and netaudit's phase-marker
 * bashrc added beside the user's. Attempts get their phase from the markers and `allowed` from Portage's rules.
 */
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Attempt, BuildResult, Finding, Verdict } from '../model/types.js';
import { tempDirPrefix } from '../sandbox/names.js';
import { Sandbox } from '../sandbox/sandbox.js';
import { resolveUser, type UserSpec } from '../sandbox/user.js';
import { execCapture } from '../util/exec.js';
import { judge, isSandboxed, type EbuildPolicy } from '../verdict/index.js';
import { parsePhaseLog, type PhaseRecord } from '../portage/hook.js';
import { matchLogLines, isNetworkErrorLine, cleanLine } from '../portage/logmatch.js';
import type { PortageInstall } from '../portage/locate.js';
import type { EbuildMeta } from '../portage/metadata.js';
import { makeShadowRoot } from '../portage/shadow.js';
import { evidenceFrom } from './evidence.js';
import { buildInSandbox, keepPcaps } from './command.js';

export const SANDBOX_FEATURES_OFF = '-network-sandbox -ipc-sandbox -pid-sandbox -mount-sandbox';
const STANDARD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface EbuildAuditOptions {
  readonly install: PortageInstall;
  readonly meta: EbuildMeta;
  /** Where Portage's build logs are kept (one per run). */
  readonly logDir: string;
  /** ALLOW_TEST for the run (default 'network': tests declaring PROPERTIES=test_network run). */
  readonly allowTest?: string;
  readonly timeoutMs?: number;
  readonly pcapDir?: string;
  /** Keep Portage's build dir after a failed build (default: removed with `ebuild FILE clean`). */
  readonly keepWorkdir?: boolean;
  /** Stream Portage's output here (default: only kept in the log). */
  readonly onOutput?: (chunk: Buffer) => void;
  readonly signal?: AbortSignal;
  /** A sandbox made ahead (while Portage read the metadata); this audit owns and removes it. */
  readonly sandbox?: Promise<Sandbox>;
}

export interface EbuildAudit {
  readonly result: BuildResult;
  readonly interrupted: boolean;
  readonly teardown: string[];
}

function portageUser(): UserSpec | undefined {
  try {
    return resolveUser('portage');
  } catch {
    return undefined;
  }
}

/** The environment of every Portage call netaudit makes. */
export function portageEnv(install: PortageInstall, extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...install.env, PATH: STANDARD_PATH, NOCOLOR: 'true', ...extra };
}

export async function auditEbuild(options: EbuildAuditOptions): Promise<EbuildAudit> {
  const { install, meta } = options;
  const allowTest = options.allowTest ?? 'network';
  const portage = portageUser();
  const work = mkdtempSync(path.join(os.tmpdir(), tempDirPrefix(meta.pf)));
  const logDir = path.join(options.logDir, meta.category);
  mkdirSync(logDir, { recursive: true });
  if (portage) {
    chownSync(logDir, portage.uid, portage.gid);
    chmodSync(logDir, 0o2775);
  }
  const before = new Set(readdirSync(logDir));
  const userFeatures = process.env.FEATURES ? `${process.env.FEATURES} ` : '';
  const changes = [
    `FEATURES+="${SANDBOX_FEATURES_OFF}" (netaudit's namespace is the sandbox)`,
    `ALLOW_TEST=${allowTest}`,
    "bashrc: netaudit's phase markers added; the user's own bashrc is sourced first",
    `PORTAGE_LOGDIR=${options.logDir}/${meta.category}`,
    'distfiles fetched outside the sandbox first, as Portage does',
  ];
  try {
    const shadow = makeShadowRoot(work, install.configRoot, portage);
    const env = portageEnv(install, {
      PORTAGE_CONFIGROOT: shadow.configRoot,
      FEATURES: `${userFeatures}${SANDBOX_FEATURES_OFF}`,
      PORTAGE_LOGDIR: logDir,
      ALLOW_TEST: allowTest,
      NETAUDIT_PHASE_LOG: shadow.phaseLog,
      NETAUDIT_USER_BASHRC: shadow.userBashrc ?? '',
    });

    // 1. Fetch, outside the sandbox (Portage's fetcher runs outside every phase).
    if (meta.srcUri.trim()) {
      const fetch = await execCapture([install.ebuild, meta.path, 'fetch'], { env });
      if (fetch.code !== 0) {
        const teardown = options.sandbox ? await (await options.sandbox).destroy() : [];
        return { result: fetchFailure(options, fetch.stdout + fetch.stderr, changes), interrupted: false, teardown };
      }
    }

    // 2. The phases, inside the build namespace.
    const argv = [install.ebuild, meta.path, 'clean', 'test', 'install', 'clean'];
    const { outcome, captures, teardown } = await buildInSandbox(options.sandbox ?? Sandbox.create(), {
      argv,
      env,
      stdio: 'pipe',
      onOutput: (b) => options.onOutput?.(b),
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    });
    if (options.pcapDir) keepPcaps(options.pcapDir, captures.results);
    if (outcome.exitCode !== 0 && !options.keepWorkdir) {
      // A failed build leaves Portage's build dir behind (the trailing `clean` never ran): remove it.
      await execCapture([install.ebuild, meta.path, 'clean'], { env });
    }
    const phases = parsePhaseLog(readFileSync(shadow.phaseLog, 'utf8'));
    const evidence = await evidenceFrom(captures.results, {
      sentinel: captures.sentinel,
      nftLogged: captures.nftLogged,
      buildStartMs: outcome.startMs,
      phases: phases.map((p) => ({ name: p.name, startMs: p.startMs, ...(p.endMs !== undefined ? { endMs: p.endMs } : {}) })),
    });
    const logFile = readdirSync(logDir).filter((f) => !before.has(f) && f.startsWith(`${meta.category}:${meta.pf}:`)).sort().pop();
    const logPath = logFile ? path.join(logDir, logFile) : undefined;
    const log = logPath && existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
    const policy: EbuildPolicy = { properties: meta.properties, restrict: meta.restrict, allowTestNetwork: /\b(network|all)\b/.test(allowTest) };
    const judged = judge({
      attempts: evidence.attempts,
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      timedOut: outcome.timedOut,
      capture: { dropped: evidence.stats.dropped, undecodable: evidence.stats.undecodable ?? 0, unfinished: evidence.incomplete },
      policy,
    });
    const attempts = matchLogLines(judged.attempts, log);
    const failed = phases.find((p) => p.exitCode !== undefined && p.exitCode !== 0);
    let verdict: Verdict = judged.verdict;
    const findings: Finding[] = judged.findings.map((f) => (f.attempt !== undefined && attempts[f.attempt]?.logLines ? { ...f, logLines: attempts[f.attempt]?.logLines ?? [] } : f));
    for (const f of findings) if (f.attempt !== undefined && attempts[f.attempt]?.phase) f.phase = attempts[f.attempt]?.phase;
    if (failed && !isSandboxed(failed.name, policy) && verdict === 'breaks') {
      // Portage gives this phase the network: its failure is not a network-sandbox breakage.
      verdict = 'fails-without-network';
    }
    if (failed) findings.push(phaseFailure(failed, policy, attempts, log));
    const result: BuildResult = {
      name: `${meta.category}/${meta.pf}`,
      kind: 'ebuild',
      command: argv,
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      timedOut: outcome.timedOut,
      durationMs: outcome.durationMs,
      verdict,
      attempts,
      findings,
      capture: { ...evidence.stats },
      ebuild: {
        category: meta.category,
        package: meta.package,
        version: meta.version,
        path: meta.path,
        eapi: meta.eapi,
        properties: meta.properties,
        restrict: meta.restrict,
      },
      ...(logPath ? { log: logPath } : {}),
      phases: phases.map((p) => ({
        name: p.name,
        startMs: Math.max(0, Math.round(p.startMs - outcome.startMs)),
        ...(p.endMs !== undefined ? { endMs: Math.max(0, Math.round(p.endMs - outcome.startMs)) } : {}),
        sandboxed: isSandboxed(p.name, policy),
        ...(p.exitCode !== undefined ? { exitCode: p.exitCode } : {}),
      })),
      changes,
    };
    return { result, interrupted: outcome.interrupted, teardown };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function phaseFailure(failed: PhaseRecord, policy: EbuildPolicy, attempts: readonly Attempt[], log: string): Finding {
  const sandboxed = isSandboxed(failed.name, policy);
  const inPhase = attempts.filter((a) => a.phase === failed.name && !a.allowed).length;
  const dieLines = log
    .split('\n')
    .map(cleanLine)
    .filter((l) => /ERROR: .* failed \(|^\s*\*\s{2,}\S/.test(l) || isNetworkErrorLine(l))
    .slice(0, 5)
    .map((l) => l.trim());
  if (!sandboxed) {
    return {
      keyword: 'UnsandboxedPhaseFailed',
      level: 'warning',
      message: `${failed.name} failed (exit ${failed.exitCode}); Portage does not sandbox this phase, so this is not a network-sandbox breakage`,
      hint: 'see the build log: this failure happens with or without network-sandbox',
      phase: failed.name,
      ...(dieLines.length ? { logLines: dieLines } : {}),
    };
  }
  return {
    keyword: 'PhaseFailed',
    level: inPhase ? 'error' : 'info',
    message: inPhase
      ? `${failed.name} failed (exit ${failed.exitCode}) after ${inPhase} network attempt(s) in that phase`
      : `${failed.name} failed (exit ${failed.exitCode}) without a network attempt in that phase`,
    hint: inPhase ? 'the attempts above are the likely cause: see the quoted log lines' : 'see the build log for the cause',
    phase: failed.name,
    ...(dieLines.length ? { logLines: dieLines } : {}),
  };
}

function fetchFailure(options: EbuildAuditOptions, output: string, changes: string[]): BuildResult {
  const { meta } = options;
  const lines = output.split('\n').map(cleanLine).filter((l) => /!!!|unable to resolve|Couldn't download|VERIFY FAILED|Reason:/.test(l)).slice(0, 5);
  return {
    name: `${meta.category}/${meta.pf}`,
    kind: 'ebuild',
    command: [options.install.ebuild, meta.path, 'fetch'],
    exitCode: 1,
    durationMs: 0,
    verdict: 'fails-without-network',
    attempts: [],
    findings: [
      {
        keyword: 'FetchFailed',
        level: 'error',
        message: 'fetching the distfiles failed (outside the sandbox, as Portage fetches): not a network-sandbox question',
        hint: 'check SRC_URI, the Manifest and the mirrors; netaudit audits the phases once the distfiles are there',
        ...(lines.length ? { logLines: lines } : {}),
      },
    ],
    capture: { packets: 0, dropped: 0 },
    ebuild: { category: meta.category, package: meta.package, version: meta.version, path: meta.path, eapi: meta.eapi },
    changes,
  };
}
