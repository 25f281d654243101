/**
 * Portage's rule for which phases have the network (lib/portage/package/ebuild/doebuild.py,
 * _doebuild_spawn: kwargs["networked"]), applied to attempts:
 *   networked = phase in {setup, pretend, config, info, preinst, postinst, prerm, postrm}
 *            or (phase == unpack and "live" in PROPERTIES)
 *            or (phase == test and "test_network" in PROPERTIES)
 *            or "network-sandbox" in RESTRICT                       # every phase but depend here
 * Everything else (depend, nofetch, unpack, prepare, configure, compile, test, install) is sandboxed.
 * Whether src_test runs at all is a separate rule (config.py setcpv, phase-functions.sh dyn_test): with
 * RESTRICT=test it is skipped unless ALLOW_TEST has `all`, or `network` for PROPERTIES=test_network (or
 * `privileged` for test_privileged): testsRestricted().
 * Plain commands have no policy: nothing is allowed.
 */
import type { Attempt } from '../model/types.js';

export interface EbuildPolicy {
  /** The ebuild's PROPERTIES, USE conditionals already resolved (e.g. ['test_network']). */
  readonly properties: readonly string[];
  /** The ebuild's RESTRICT, resolved (e.g. ['test', 'network-sandbox']). */
  readonly restrict: readonly string[];
  /**
   * ALLOW_TEST in effect, split into words: the user's configuration (Portage's default: empty), or what
   * --allow-test set instead.
   */
  readonly allowTest: readonly string[];
}

/** Whether Portage skips src_test for this ebuild (RESTRICT=test not lifted by ALLOW_TEST). */
export function testsRestricted(policy: EbuildPolicy): boolean {
  const { properties, restrict, allowTest } = policy;
  return (
    restrict.includes('test') &&
    !allowTest.includes('all') &&
    !(properties.includes('test_network') && allowTest.includes('network')) &&
    !(properties.includes('test_privileged') && allowTest.includes('privileged'))
  );
}

/** Portage's short phase names -> ebuild function names (doebuild.py _phase_func_map); depend has none. */
export const PHASE_FUNCTIONS: Readonly<Record<string, string>> = {
  config: 'pkg_config',
  setup: 'pkg_setup',
  nofetch: 'pkg_nofetch',
  unpack: 'src_unpack',
  prepare: 'src_prepare',
  configure: 'src_configure',
  compile: 'src_compile',
  test: 'src_test',
  install: 'src_install',
  preinst: 'pkg_preinst',
  postinst: 'pkg_postinst',
  prerm: 'pkg_prerm',
  postrm: 'pkg_postrm',
  info: 'pkg_info',
  pretend: 'pkg_pretend',
};

/**
 * Phases Portage never puts in a network namespace (doebuild.py _ipc_phases), plus `misc-functions`: Portage's
 * QA helpers after src_install (install_qa_check) and die_hooks, which run as root in the host namespace.
 */
export const UNSANDBOXED_PHASES: readonly string[] = [
  'misc-functions',
  'pkg_setup',
  'pkg_pretend',
  'pkg_config',
  'pkg_info',
  'pkg_preinst',
  'pkg_postinst',
  'pkg_prerm',
  'pkg_postrm',
];

/** 'setup' or 'pkg_setup' -> 'pkg_setup'; 'depend' and unknown names are returned unchanged. */
export function phaseFunction(phase: string): string {
  return PHASE_FUNCTIONS[phase] ?? phase;
}

/**
 * Why Portage would give this phase the network, or undefined when the phase is sandboxed.
 * An attempt outside any known phase is allowed only by RESTRICT=network-sandbox.
 */
export function allowedBy(phase: string | undefined, policy: EbuildPolicy | undefined): string | undefined {
  if (!policy) return undefined;
  const fn = phase === undefined ? undefined : phaseFunction(phase);
  if (fn !== undefined && UNSANDBOXED_PHASES.includes(fn)) return `phase ${fn} is not sandboxed`;
  if (fn === 'src_unpack' && policy.properties.includes('live')) return 'PROPERTIES=live in src_unpack';
  if (fn === 'src_test' && policy.properties.includes('test_network')) return 'PROPERTIES=test_network';
  if (fn !== 'depend' && policy.restrict.includes('network-sandbox')) return 'RESTRICT=network-sandbox';
  return undefined;
}

/** Whether Portage runs this phase inside network-sandbox. */
export function isSandboxed(phase: string | undefined, policy: EbuildPolicy | undefined): boolean {
  return allowedBy(phase, policy) === undefined;
}

/** The attempts (new objects, same order) with allowed/allowedBy set from the policy. */
export function applyPolicy(attempts: readonly Attempt[], policy: EbuildPolicy | undefined): Attempt[] {
  return attempts.map((a) => {
    const { allowedBy: _previous, ...rest } = a;
    const why = allowedBy(a.phase, policy);
    return why === undefined ? { ...rest, allowed: false } : { ...rest, allowed: true, allowedBy: why };
  });
}
