/** Build-log texts from real Portage runs, shared by the log-matching and judgement tests. */

/**
 * Die blocks as Portage 3.0.83 (scripts/install-portage.sh) printed them on this Debian host, which has no
 * package database: has_version said "not installed" (exit 1), and the phase died on it.
 */
export const HAS_VERSION_DIE = [
  '>>> Compiling source in /opt/netaudit/portage-root/var/tmp/portage/net-test/hv-1/work ...',
  ' * ERROR: net-test/hv-1::netaudit-fixtures failed (compile phase):',
  ' *   cmake >= 3.20 is required',
  ' * ',
  ' * Call stack:',
  ' *     ebuild.sh, line 143:  Called src_compile',
  ' *   environment, line 213:  Called die',
  ' * The specific snippet of code:',
  ' *       has_version -b ">=dev-build/cmake-3.20" || die "cmake >= 3.20 is required"',
  ' * ',
  " * If you need support, post the output of `emerge --info '=net-test/hv-1::netaudit-fixtures'`,",
  " * The complete build log is located at '/opt/netaudit/portage-root/var/log/portage/net-test:hv-1:20261202-155431.log'.",
].join('\n');
