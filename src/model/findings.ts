/**
 * The registry of every finding keyword netaudit emits (pkgcheck style: an explicit array, no discovery).
 * `Finding.keyword` is typed by it, so a misspelt keyword does not compile; a test holds every emitted
 * finding to it and checks that each keyword is documented and has a level. Plain data: the rules that emit
 * them live in src/verdict/.
 */
/** A result's level, as pkgcheck's: error, warning, style, info. */
export type Level = 'error' | 'warning' | 'style' | 'info';

export interface FindingKind {
  readonly keyword: string;
  /** The most severe level it is emitted at. */
  readonly level: Level;
  /** What it means, one sentence. */
  readonly describe: string;
}

export const FINDING_KINDS = [
  { keyword: 'DnsLookup', level: 'error', describe: 'The build resolved a name; there is no resolver inside network-sandbox (lookups fail with EAI_AGAIN).' },
  { keyword: 'ExternalConnect', level: 'error', describe: 'The build opened a TCP connection to an internet address; network-sandbox has no route (ENETUNREACH).' },
  { keyword: 'ExternalDatagram', level: 'error', describe: 'The build sent a UDP datagram to an internet address; network-sandbox fails the send at once.' },
  { keyword: 'MulticastDatagram', level: 'error', describe: 'The build sent UDP to a multicast or broadcast address (service discovery); network-sandbox has no route for it.' },
  { keyword: 'IcmpEcho', level: 'error', describe: 'The build pinged an address outside the sandbox.' },
  {
    keyword: 'HostServiceUnreachable',
    level: 'error',
    describe: "The build reached for a service on the host's loopback (a database, an X server); network-sandbox has its own lo, so the connect is refused.",
  },
  {
    keyword: 'PrivateNetworkConnect',
    level: 'error',
    describe: 'The build reached for a LAN host in 10.0.0.0/8 (or ::/8); network-sandbox puts those ranges on lo, so the connect is refused locally.',
  },
  {
    keyword: 'DistributedCompiler',
    level: 'error',
    describe: 'The build reached for a distributed compiler or compiler cache (distcc, icecream, sccache), which needs the proxy or falls back to local work.',
  },
  {
    keyword: 'ProxyFromEnvironment',
    level: 'error',
    describe: 'The build connected to an HTTP proxy port on loopback or the LAN: an http_proxy inherited from the environment, unreachable under network-sandbox.',
  },
  {
    keyword: 'NoNetworkInterface',
    level: 'error',
    describe:
      'The build listed its network interfaces and then failed (the process that listed them, or one it started, or the log says none was found): under network-sandbox its only interface is lo.',
  },
  {
    keyword: 'InterfaceEnumeration',
    level: 'info',
    describe: 'The build listed its network interfaces (getifaddrs, if_nameindex, SIOCGIFCONF) and nothing failed because of it: under network-sandbox it finds only lo.',
  },
  { keyword: 'AllowedNetworkUse', level: 'info', describe: 'A network attempt Portage permits: an unsandboxed phase, PROPERTIES=test_network or live, or RESTRICT=network-sandbox.' },
  { keyword: 'BuildFailedWithoutNetwork', level: 'info', describe: 'The build failed without any attempt network-sandbox would block: the failure has another cause.' },
  { keyword: 'CaptureIncomplete', level: 'warning', describe: 'The kernel dropped packets, frames could not be decoded, or the syscall observer lost records: attempts may be missing from the evidence.' },
  // About an ebuild's build rather than one attempt (src/verdict/ebuild.ts).
  { keyword: 'PhaseFailed', level: 'error', describe: 'An ebuild phase that network-sandbox covers failed; the quoted log lines and the attempts of that phase show why.' },
  {
    keyword: 'UnsandboxedPhaseFailed',
    level: 'warning',
    describe: 'A phase Portage runs with the network (pkg_setup, ...) failed: whatever the cause, it is not a network-sandbox breakage.',
  },
  {
    keyword: 'NetworkTestsFailed',
    level: 'warning',
    describe:
      'src_test failed in tests the ebuild declares as needing the network (PROPERTIES=test_network, run because ALLOW_TEST=network): Portage gives them the network, the audit does not; not a network-sandbox breakage.',
  },
  {
    keyword: 'TestsSkipped',
    level: 'info',
    describe: "src_test did not run: RESTRICT=test, and ALLOW_TEST does not lift it (as Portage decides with the user's configuration).",
  },
  {
    keyword: 'PackageQueryNotInstalled',
    level: 'warning',
    describe:
      'A phase died after has_version/best_version said a package is not installed: they answer from the package database (/var/db/pkg), which a host that is not Gentoo lacks; not a network-sandbox question.',
  },
  { keyword: 'MetadataError', level: 'error', describe: 'Portage could not read the ebuild (a broken global scope): it was not built.' },
  { keyword: 'FetchFailed', level: 'error', describe: "Fetching the distfiles failed; Portage's fetcher runs outside the sandbox, so this is no network-sandbox question." },
  {
    keyword: 'NetworkSandboxOff',
    level: 'warning',
    describe: 'A watched build ran without network-sandbox and reached out in phases it covers: network-sandbox would block those attempts; whether the build then fails, a faithful rerun (netaudit watch --confirm) says.',
  },
  {
    keyword: 'WatchIncomplete',
    level: 'warning',
    describe: 'A watched build was not seen whole: netaudit watch stopped (or was killed) while the package was being built, so what it did from the stop to the restart is missing; the result says which phase was cut and holds what was seen.',
  },
] as const satisfies readonly FindingKind[];

export type FindingKeyword = (typeof FINDING_KINDS)[number]['keyword'];
