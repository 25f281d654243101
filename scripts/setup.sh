#!/usr/bin/env bash
# Install what netaudit needs on a fresh Debian 12 machine (as root), then its npm dependencies, then build.
# Idempotent: a second run only checks. Also installs real Portage (scripts/install-portage.sh). On Gentoo: emerge sys-apps/iproute2 net-analyzer/tcpdump
# net-firewall/nftables sys-apps/util-linux llvm-core/clang dev-libs/libbpf dev-util/bpftool, then `npm ci && npm run build`
# and `bash scripts/build-tracer.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "setup.sh: run as root (it installs Debian packages)" >&2
  exit 2
fi

# chromium and libxml2-utils only for the tests of the HTML and JUnit reports; python3-pytest(-xdist) for the
# pytest fixtures (test attribution: src/portage/netaudit_pytest.py) and its tests; groff-base to render the man page
# in the install test (test/e2e/install.test.ts). clang, libbpf-dev, bpftool, libelf-dev, zlib1g-dev, make and
# pkg-config build the compiled tracer (bpf/, scripts/build-tracer.sh), the syscall observer; binutils' readelf checks
# that the portable tracer needs only libc (build-tracer.sh --portable, the install and overlay tests). The fidelity
# tests (test/e2e/fidelity.test.ts, v6-nameserver.test.ts) run real programs under both sandboxes: gcc and libc6-dev
# build their C programs, openmpi-bin and libopenmpi-dev (mpicc, mpirun) Open MPI's TCP transport, python3-pip `pip download`.
# systemd for `systemd-analyze verify` of the overlay's unit and dash for `dash -n` of its OpenRC script
# (test/packaging/services.test.ts); nothing is started. bubblewrap for the watch test of emerge under bwrap
# (test/e2e/watch-runners.test.ts: a tinderbox's way of running builds).
pkgs=(iproute2 tcpdump nftables util-linux procps bash hostname curl git python3 ca-certificates chromium libxml2-utils python3-pytest python3-pytest-xdist groff-base
  clang libbpf-dev bpftool libelf-dev zlib1g-dev make pkg-config binutils gcc libc6-dev openmpi-bin libopenmpi-dev python3-pip systemd dash bubblewrap)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Real Portage for `netaudit ebuild` (a venv of Debian's python with portage from PyPI, under /opt/netaudit).
# On Gentoo the system Portage is used instead.
if ! command -v emerge >/dev/null 2>&1 || [ ! -r /etc/gentoo-release ]; then
  bash scripts/install-portage.sh >/dev/null
fi

# pkgcheck, Gentoo's QA scanner, in its own venv (/opt/netaudit-pkgcheck, pinned versions from PyPI), for the test
# that scans the overlay in gentoo/ (test/packaging/pkgcheck.test.ts). Quick when already there.
bash scripts/install-pkgcheck.sh

# The fixture repository's distfiles (fixtures/distfiles, checked by its Manifests) into Portage's DISTDIR,
# so that `netaudit ebuild`/`sweep` of fixtures/repo fetch nothing. A copy, not a link: the checkout may move.
# (scripts/demo.sh and the tests name the directory in PORTAGE_RO_DISTDIRS, which Portage searches when DISTDIR lacks a file.)
portageq=/opt/netaudit/portage-venv/bin/portageq
[ -x "$portageq" ] || portageq="$(command -v portageq || true)"
if [ -n "$portageq" ]; then
  distdir="$( { [ -r /opt/netaudit/portage.env ] && [ "$portageq" = /opt/netaudit/portage-venv/bin/portageq ] && . /opt/netaudit/portage.env; "$portageq" envvar DISTDIR; } 2>/dev/null || true)"
  if [ -n "$distdir" ] && [ -d "$distdir" ]; then
    for f in fixtures/distfiles/*; do
      [ -f "$f" ] || continue
      t="$distdir/$(basename "$f")"
      if [ -L "$t" ] || ! cmp -s "$f" "$t"; then rm -f "$t"; install -m 0664 -o portage -g portage "$f" "$t"; fi
    done
  fi
fi

command -v node >/dev/null || { echo "setup.sh: Node.js 20 is required (apt-get install nodejs npm, or nodesource)" >&2; exit 2; }

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund; fi
npm run build --silent
# The compiled tracer (dist/bpf/netaudit-tracer): libbpf, libelf and zlib linked in from the -dev packages'
# archives (needs only libc), the form the npm tarball carries (test/e2e/install.test.ts packs this one).
bash scripts/build-tracer.sh --portable >/dev/null
