/**
 * Well-known ports that say what a build wanted, with the specific fix. Hints are fixed text: nothing from
 * packets goes into them.
 */
import type { AttemptKind } from '../model/types.js';

export type ServiceCategory = 'distributed-compiler' | 'database' | 'display' | 'proxy' | 'dns' | 'time' | 'web' | 'vcs' | 'remote-shell';

export interface PortService {
  /** First and last port (inclusive). */
  readonly ports: readonly [number, number];
  readonly service: string;
  readonly category: ServiceCategory;
  /** Transports it is used over; a dns attempt counts as udp and tcp. */
  readonly transports: readonly ('tcp' | 'udp')[];
  /** What to change, one line. */
  readonly hint: string;
}

const DATABASE_HINT =
  'a database of the host: start a private instance inside the test on a UNIX socket or a loopback port ' +
  "(e.g. initdb and dev-db/postgresql's pg_ctl in src_test), or skip the tests that need it";

export const PORT_SERVICES: readonly PortService[] = [
  { ports: [22, 22], service: 'SSH', category: 'remote-shell', transports: ['tcp'], hint: 'ssh at build time: put the sources in SRC_URI; skip tests that need a remote host' },
  {
    ports: [53, 53],
    service: 'DNS',
    category: 'dns',
    transports: ['udp', 'tcp'],
    hint: "a name lookup: skip or mock the tests that need the internet (EPYTEST_DESELECT, pytest -m 'not network'); build-time downloads belong in SRC_URI",
  },
  {
    ports: [80, 80],
    service: 'HTTP',
    category: 'web',
    transports: ['tcp'],
    hint: 'tests fetching from the internet: skip them (EPYTEST_DESELECT, mark network tests); build-time fetches: vendor into SRC_URI (Go deps tarball, cargo CRATES, npm offline cache)',
  },
  { ports: [123, 123], service: 'NTP', category: 'time', transports: ['udp'], hint: 'a time query: tests must not need a time server; skip them' },
  {
    ports: [443, 443],
    service: 'HTTPS',
    category: 'web',
    transports: ['tcp', 'udp'],
    hint: 'tests fetching from the internet: skip them (EPYTEST_DESELECT, mark network tests); build-time fetches: vendor into SRC_URI (Go deps tarball, cargo CRATES, npm offline cache)',
  },
  { ports: [3128, 3128], service: 'HTTP proxy (Squid)', category: 'proxy', transports: ['tcp'], hint: 'http_proxy/https_proxy inherited from the environment (Portage passes them in): unset them for the build' },
  {
    ports: [3306, 3306],
    service: 'MySQL',
    category: 'database',
    transports: ['tcp'],
    hint: DATABASE_HINT,
  },
  {
    ports: [3632, 3632],
    service: 'distcc',
    category: 'distributed-compiler',
    transports: ['tcp'],
    hint: 'distcc inside network-sandbox: enable FEATURES=network-sandbox-proxy (or FEATURES=distcc), which exports DISTCC_SOCKS_PROXY so distcc reaches its hosts through Portage\'s SOCKSv5 proxy',
  },
  {
    ports: [4226, 4226],
    service: 'sccache',
    category: 'distributed-compiler',
    transports: ['tcp'],
    hint: "the host's sccache server is invisible: sccache starts its own inside the build (give it a writable SCCACHE_DIR) or disable sccache for Portage builds",
  },
  { ports: [5432, 5432], service: 'PostgreSQL', category: 'database', transports: ['tcp'], hint: DATABASE_HINT },
  {
    ports: [6000, 6063],
    service: 'X11',
    category: 'display',
    transports: ['tcp'],
    hint: "an X display over TCP: run the tests under virtualx.eclass (virtx, Xvfb) instead of the host's DISPLAY",
  },
  { ports: [6379, 6379], service: 'Redis', category: 'database', transports: ['tcp'], hint: DATABASE_HINT },
  {
    ports: [8080, 8080],
    service: 'HTTP alternate or proxy',
    category: 'web',
    transports: ['tcp'],
    hint: 'a web service on 8080: on loopback or the LAN usually http_proxy from the environment (unset it); on the internet, skip or mock the test',
  },
  { ports: [8118, 8118], service: 'HTTP proxy (Privoxy)', category: 'proxy', transports: ['tcp'], hint: 'http_proxy/https_proxy inherited from the environment (Portage passes them in): unset them for the build' },
  {
    ports: [8765, 8765],
    service: 'icecream scheduler',
    category: 'distributed-compiler',
    transports: ['tcp', 'udp'],
    hint: 'icecream cannot reach its scheduler or peers under network-sandbox and falls back to local compilation silently: expect a slow build, not a failure; disable icecream for Portage builds',
  },
  { ports: [9418, 9418], service: 'git', category: 'vcs', transports: ['tcp'], hint: 'git fetch at build time (submodules, CMake FetchContent): put the sources in SRC_URI and point the build at them' },
  {
    ports: [10245, 10245],
    service: 'icecream',
    category: 'distributed-compiler',
    transports: ['tcp'],
    hint: 'icecream cannot reach its scheduler or peers under network-sandbox and falls back to local compilation silently: expect a slow build, not a failure; disable icecream for Portage builds',
  },
  { ports: [11211, 11211], service: 'memcached', category: 'database', transports: ['tcp', 'udp'], hint: DATABASE_HINT },
  { ports: [27017, 27017], service: 'MongoDB', category: 'database', transports: ['tcp'], hint: DATABASE_HINT },
];

/** Ports on which a connect at loopback or the LAN is an http_proxy from the environment. */
export const PROXY_PORTS: readonly number[] = [3128, 8080, 8118];

/** The service at this port for this kind of attempt, if the table knows it. */
export function serviceAt(port: number | undefined, kind: AttemptKind): PortService | undefined {
  if (port === undefined || kind === 'icmp' || kind === 'unix') return undefined;
  return PORT_SERVICES.find(
    (s) => port >= s.ports[0] && port <= s.ports[1] && (kind === 'dns' || s.transports.includes(kind)),
  );
}

/** A well-known abstract UNIX socket of a host service (the host's are out of reach under network-sandbox). */
export interface SocketService {
  /** Matches the attempt's address (`@name`). */
  readonly address: RegExp;
  readonly service: string;
  /** What to change, one line. */
  readonly hint: string;
}

/**
 * A private D-Bus session bus around `run` (an ebuild function: epytest, eunittest, perl-module_src_test, emake)
 * as ::gentoo ebuilds start one by hand, since dbus-run-session runs a program and never a bash function
 * (dev-python/dbus-next's src_test around `virtx distutils-r1_src_test`; pass-import's and playerctl's around
 * epytest): the daemon forked with its address and pid printed, the address exported for the suite, the daemon
 * killed after it. Neither virtx nor epytest starts a bus.
 */
export function privateBus(run: string): string {
  return `local dbus_params=( $(dbus-daemon --session --print-address --fork --print-pid) ); local -x DBUS_SESSION_BUS_ADDRESS=\${dbus_params[0]}; ${run}; kill "\${dbus_params[1]}" || die`;
}

export const SOCKET_SERVICES: readonly SocketService[] = [
  {
    address: /^@\/tmp\/\.X11-unix\/X\d+$/,
    service: 'X11 display',
    hint: 'tests need an X server: inherit virtualx and run them under a private one (virtx epytest, or VIRTUALX_REQUIRED="test")',
  },
  {
    address: /^@\/tmp\/dbus-|^@\/run\/user\/\d+\/bus$|^@\/var\/run\/dbus\//,
    service: 'D-Bus',
    hint: `tests talk to a D-Bus bus of the host: start a private session bus for them in python_test (epytest is a bash function, which dbus-run-session cannot run): ${privateBus('epytest')}`,
  },
];

/** The service behind an abstract UNIX socket address, if the table knows it. */
export function socketService(address: string): SocketService | undefined {
  return SOCKET_SERVICES.find((s) => s.address.test(address));
}
