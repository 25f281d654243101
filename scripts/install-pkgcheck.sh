#!/usr/bin/env bash
# Install pkgcheck (Gentoo's QA scanner for ebuild repositories) from PyPI into its own venv, for the test that
# scans netaudit's overlay (test/packaging/pkgcheck.test.ts). On Gentoo, `emerge dev-util/pkgcheck` instead.
#
#   sudo scripts/install-pkgcheck.sh      # idempotent; a second run only checks (well under a second)
#
# Every version is pinned, dependencies included: pkgcheck 0.10.33 with pkgcore 0.12.28 is the newest pair that
# runs on Debian 12 (newer pkgcore refuses bash 5.2), and it needs a tree-sitter whose grammar ABI it knows:
# tree-sitter < 0.25 and tree-sitter-bash < 0.25 (tree-sitter-bash 0.25 is language version 15, which
# tree-sitter 0.24 refuses: "Incompatible Language version 15. Must be between 13 and 14"). All are wheels.
# Overridable: NETAUDIT_PKGCHECK_VENV (default /opt/netaudit-pkgcheck).
set -euo pipefail
umask 022

VENV="${NETAUDIT_PKGCHECK_VENV:-/opt/netaudit-pkgcheck}"
PY=/usr/bin/python3   # Debian's python (python3-venv), not a pyenv under /root
PINS=(
  pkgcheck==0.10.33
  pkgcore==0.12.28
  snakeoil==0.10.11
  tree-sitter==0.24.0
  tree-sitter-bash==0.23.3
  chardet==7.7.0
  lazy-object-proxy==1.13.0
  lxml==6.2.1
  pathspec==1.1.1
)

log() { printf 'install-pkgcheck: %s\n' "$*" >&2; }
die() { printf 'install-pkgcheck: %s\n' "$*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || die "run as root (it writes $VENV and may install python3-venv)"

# The pinned versions are all there: nothing to do. (importlib.metadata, not pip: pip alone takes ~0.5 s to start.)
installed() {
  [ -x "$VENV/bin/python3" ] && [ -x "$VENV/bin/pkgcheck" ] || return 1
  "$VENV/bin/python3" - "${PINS[@]}" <<'EOF'
import importlib.metadata as m, sys
for pin in sys.argv[1:]:
    name, version = pin.split("==")
    try:
        if m.version(name) != version:
            sys.exit(1)
    except m.PackageNotFoundError:
        sys.exit(1)
EOF
}

if ! installed; then
  if ! dpkg-query -W -f='${Status}' python3-venv 2>/dev/null | grep -q 'install ok installed'; then
    log "apt-get install python3-venv"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
  fi
  if [ ! -x "$VENV/bin/python3" ]; then
    log "creating venv $VENV with $PY"
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
  fi
  log "pip install ${PINS[*]}"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir --only-binary :all: "${PINS[@]}"
  installed || die "$VENV does not hold the pinned versions after pip install"
  chmod -R a+rX "$VENV"
fi
# It starts: every module imports and the bash grammar loads (what a broken tree-sitter pair fails on).
"$VENV/bin/pkgcheck" --version >/dev/null || die "$VENV/bin/pkgcheck does not start"
