# Copyright 2026 netaudit developers
# Distributed under the terms of the GNU General Public License v2

EAPI=8

# What is installed, and why not built from the TypeScript here:
# The first distfile is netaudit's `npm pack` tarball, the form npm publishes: tsc's output (plain, readable,
# unminified ES2022 modules, one .js per .ts), the man page and the report schema validator both generated from
# the sources at pack time, and the data files read at run time (bpf/, reports/, the Portage and sandbox
# helpers). Building it again here would need the whole development toolchain vendored as a third distfile
# (typescript, four @types packages, ajv's code generator; the pinned versions of none of them are in
# ::gentoo) only to reproduce the same JavaScript, so like other npm-distributed tools this ebuild installs the
# published JavaScript. The second distfile holds the runtime dependencies exactly as package-lock.json pins
# them (ajv, chalk, dns-packet, pcap-parser, yargs and their own dependencies; pure JavaScript, no native
# addons, no install scripts), made by scripts/make-distfiles.sh in netaudit's repository, reproducibly.
# No phase uses the network.

DESCRIPTION="Audit builds for network access under an emulated Portage FEATURES=network-sandbox"
HOMEPAGE="https://netaudit.example/"
SRC_URI="
	https://netaudit.example/releases/${P}.tgz
	https://netaudit.example/releases/${P}-node_modules.tar.gz
"
S="${WORKDIR}/package"
# einstalldocs: the README and the reference pages it links to (docs/*.md), as the npm tarball ships them.
DOCS=( README.md docs )

LICENSE="GPL-2+"
# The vendored node_modules.
LICENSE+=" BSD ISC MIT"
SLOT="0"
KEYWORDS="~amd64 ~arm64"
IUSE="test"
RESTRICT="!test? ( test )"

# iproute2, nftables, tcpdump and util-linux (nsenter, unshare, setpriv) build and watch the sandbox; python
# runs the --intercept responder and the pytest attribution plugin (Portage itself pulls it in).
RDEPEND="
	>=net-libs/nodejs-20.11
	net-analyzer/tcpdump
	net-firewall/nftables
	sys-apps/iproute2
	sys-apps/util-linux
"
BDEPEND="
	>=net-libs/nodejs-20.11
"

src_unpack() {
	default
	mv "${WORKDIR}/node_modules" "${S}/node_modules" || die
}

src_compile() {
	# yargs writes the completion script for the command name `netaudit` (it calls the installed netaudit).
	node dist/src/cli/main.js completion > netaudit.bash-completion || die
}

src_test() {
	# The installed tree loads and works offline: every vendored dependency resolves, the version is ${PV},
	# and a bundled report is validated (the generated schema validator) and rendered by each reporter.
	local version
	version=$(node dist/src/cli/main.js --version) || die
	[[ ${version} == "${PV}" ]] || die "netaudit --version says ${version}, expected ${PV}"
	local format
	for format in terminal json html junit pkgcheck-xml pkgcheck-json; do
		node dist/src/cli/main.js report render reports/examples/sweep-multi.json \
			--format "${format}" > "${T}/report.${format}" || die "report render --format ${format} failed"
	done
	grep -q _netaudit_yargs_completions netaudit.bash-completion || die "no completion function"
}

src_install() {
	insinto /usr/lib/netaudit
	doins -r package.json dist bpf reports src node_modules

	newbin - netaudit <<-EOF
		#!/bin/sh
		exec "${EPREFIX}/usr/bin/node" "${EPREFIX}/usr/lib/netaudit/dist/src/cli/main.js" "\$@"
	EOF

	doman dist/man/netaudit.1
	# In ::gentoo this is `inherit bash-completion-r1` and `newbashcomp`; this overlay stands alone (no masters,
	# no eclasses: metadata/layout.conf), so it installs to the directory newbashcomp uses.
	insinto /usr/share/bash-completion/completions
	newins netaudit.bash-completion netaudit

	einstalldocs
}

pkg_postinst() {
	elog "netaudit needs root (network namespaces, as Portage's own network-sandbox)."
	elog "Optional: the syscall tracer (which process made each attempt), built from /usr/lib/netaudit/bpf with clang, libbpf and bpftool;"
	elog "\`netaudit doctor\` says what this machine has and lacks."
}
