#!/usr/bin/env bash
# Install real Gentoo Portage on a Debian 12 machine, for netaudit's `ebuild` runner.
#
#   sudo scripts/install-portage.sh        # idempotent; a second run only checks (about 1 s)
#
# What it makes (nothing else on the host is touched, except the `portage` user/group):
#   /opt/netaudit/portage-venv   venv of Debian's /usr/bin/python3 with portage==$PORTAGE_VERSION from PyPI
#                                (the PyPI wheel is a "module" install: its default EPREFIX is the venv, and
#                                BROOT always is); <venv>/usr -> /usr and <venv>/etc/profile.env (the
#                                phases' PATH) so that ::gentoo eclasses find ${BROOT}/usr/bin/python3.X
#   /opt/netaudit/shims          gtar -> the host's GNU tar (Portage's unpack calls gtar), first on the phases' PATH
#   /opt/netaudit/portage-root   PORTAGE_CONFIGROOT: etc/portage/{make.conf,repos.conf,make.profile},
#                                a stub ::gentoo repo holding only a tiny amd64 profile, and the
#                                work dirs (var/tmp, var/cache/distfiles, var/log/portage, ...)
#   /opt/netaudit/portage.env    the environment every `ebuild` call needs (source it)
#   user and group `portage`, uid/gid 250 as on Gentoo (FEATURES=userpriv runs the phases as it)
#
# Run Portage so:   . /opt/netaudit/portage.env && "$NETAUDIT_EBUILD" /path/repo/cat/pkg/pkg-1.ebuild clean test install
# See scripts/portage-notes.md for what was verified and why each piece is there.
# Overridable: NETAUDIT_PORTAGE_PREFIX (default /opt/netaudit), PORTAGE_VERSION.
set -euo pipefail
umask 022

PORTAGE_VERSION="${PORTAGE_VERSION:-3.0.83}"
PREFIX="${NETAUDIT_PORTAGE_PREFIX:-/opt/netaudit}"
VENV="$PREFIX/portage-venv"
ROOTDIR="$PREFIX/portage-root"
PY=/usr/bin/python3        # Debian's python: the portage user must be able to execute it (not pyenv under /root)

log() { printf 'install-portage: %s\n' "$*" >&2; }
die() { printf 'install-portage: %s\n' "$*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || die "run as root (installs Debian packages, creates the portage user)"
[ -r /etc/debian_version ] || log "warning: not Debian; continuing, apt steps may fail"

# 1. Debian packages. Portage's ebuild.sh and helpers call these (bash, find/xargs, sed, awk, tar and the
#    decompressors for unpack, patch for eapply, file/binutils/scanelf for estrip QA, bzip2 for
#    ecompress, wget for the default FETCHCOMMAND); python3-venv for the venv.
pkgs=(python3 python3-venv bash coreutils findutils sed grep gawk tar gzip bzip2 xz-utils zstd unzip
      patch file binutils pax-utils wget ca-certificates passwd)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -x "$PY" ] || die "$PY missing"

# 2. The portage user and group (uid/gid 250 as on Gentoo when free; any id works).
if ! getent group portage >/dev/null; then
  if getent group 250 >/dev/null; then groupadd --system portage; else groupadd --system -g 250 portage; fi
fi
if ! getent passwd portage >/dev/null; then
  uidopt=(-u 250); getent passwd 250 >/dev/null && uidopt=()
  useradd --system "${uidopt[@]}" -g portage -d /var/lib/portage/home -M -s /usr/sbin/nologin \
    -c "portage (netaudit)" portage
fi

# 3. The venv and Portage from PyPI. The release ships a pure-Python wheel (py3-none-any); no compiler needed.
if [ ! -x "$VENV/bin/python3" ] || ! "$VENV/bin/python3" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 9) else 1)'; then
  log "creating venv $VENV with $PY"
  rm -rf "$VENV"
  mkdir -p "$PREFIX"
  "$PY" -m venv "$VENV"
fi
have="$("$VENV/bin/python3" -c 'import importlib.metadata as m; print(m.version("portage"))' 2>/dev/null || true)"
if [ "$have" != "$PORTAGE_VERSION" ]; then
  log "pip install portage==$PORTAGE_VERSION (had: ${have:-none})"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir \
    --only-binary portage "portage==$PORTAGE_VERSION"
fi
[ -x "$VENV/bin/ebuild" ] || die "$VENV/bin/ebuild missing after pip install"
chmod -R a+rX "$VENV"

# 4. The config root. Written only when absent, so a user's edits survive a re-run.
repo="$ROOTDIR/var/db/repos/gentoo"
prof="$repo/profiles/default/linux/amd64"
mkdir -p "$ROOTDIR/etc/portage/repos.conf" "$ROOTDIR/etc/portage/env" "$prof" "$repo/metadata" "$repo/licenses" \
         "$ROOTDIR/var/tmp" "$ROOTDIR/var/cache/distfiles" "$ROOTDIR/var/cache/binpkgs" \
         "$ROOTDIR/var/cache/edb/dep" "$ROOTDIR/var/log/portage"
write_once() { # path, content on stdin
  if [ -e "$1" ]; then cat >/dev/null; else cat >"$1"; fi
}
# Stub ::gentoo: Portage's built-in repos.conf always declares [gentoo]; giving it a real (empty) repo
# silences the "nonexistent directory" errors and lets overlays with `masters = gentoo` resolve.
# It holds no packages and no eclasses.
echo gentoo | write_once "$repo/profiles/repo_name"
write_once "$repo/metadata/layout.conf" <<'EOF'
# netaudit stub of ::gentoo: only a profile, no packages, no eclasses.
masters =
thin-manifests = true
sign-manifests = false
profile-formats = portage-2
EOF
echo amd64 | write_once "$repo/profiles/arch.list"
printf 'amd64\tdefault/linux/amd64\tstable\n' | write_once "$repo/profiles/profiles.desc"
: | write_once "$repo/profiles/categories"
echo 8 | write_once "$repo/profiles/eapi"
echo 8 | write_once "$prof/eapi"
write_once "$prof/make.defaults" <<'EOF'
# Minimal amd64 profile for netaudit (the Gentoo profiles set much more).
ARCH="amd64"
ACCEPT_KEYWORDS="amd64"
CHOST="x86_64-pc-linux-gnu"
CFLAGS="-O2 -pipe"
CXXFLAGS="${CFLAGS}"
FFLAGS="${CFLAGS}"
FCFLAGS="${CFLAGS}"
LDFLAGS="-Wl,-O1 -Wl,--as-needed"
ELIBC="glibc"
KERNEL="linux"
USERLAND="GNU"
ACCEPT_LICENSE="*"
IUSE_IMPLICIT="prefix prefix-guest prefix-stack"
USE_EXPAND="ELIBC KERNEL USERLAND"
USE_EXPAND_IMPLICIT="ARCH ELIBC KERNEL USERLAND"
USE_EXPAND_UNPREFIXED="ARCH"
USE_EXPAND_VALUES_ARCH="amd64"
USE_EXPAND_VALUES_ELIBC="glibc"
USE_EXPAND_VALUES_KERNEL="linux"
USE_EXPAND_VALUES_USERLAND="GNU"
EOF
write_once "$ROOTDIR/etc/portage/repos.conf/gentoo.conf" <<EOF
[DEFAULT]
main-repo = gentoo

[gentoo]
location = $repo
auto-sync = no
EOF
if [ ! -e "$ROOTDIR/etc/portage/make.profile" ] && [ ! -L "$ROOTDIR/etc/portage/make.profile" ]; then
  ln -s ../../var/db/repos/gentoo/profiles/default/linux/amd64 "$ROOTDIR/etc/portage/make.profile"
fi
write_once "$ROOTDIR/etc/portage/make.conf" <<EOF
# netaudit's Portage config root (PORTAGE_CONFIGROOT=$ROOTDIR).
# make.globals paths (/var/tmp, /var/cache/distfiles, ...) are host paths: keep everything under this root.
PORTAGE_TMPDIR="$ROOTDIR/var/tmp"
DISTDIR="$ROOTDIR/var/cache/distfiles"
PKGDIR="$ROOTDIR/var/cache/binpkgs"
PORTAGE_DEPCACHEDIR="$ROOTDIR/var/cache/edb/dep"
# One log per run, <category>:<PF>:<UTC time>.log; \${T}/build.log is a symlink to it.
# Override per run from the environment (PORTAGE_LOGDIR=/some/dir ebuild ...).
PORTAGE_LOGDIR="$ROOTDIR/var/log/portage"
# sandbox/usersandbox need Gentoo's LD_PRELOAD sys-apps/sandbox, which Debian lacks (else Portage prints
# "Problem with sandbox binary. Disabling..." on every run). network-, ipc-, pid-sandbox and userpriv stay
# on (make.globals defaults). test: run src_test (an explicit "ebuild FILE test" forces it anyway).
FEATURES="-sandbox -usersandbox test"
# Never try mirrors this machine cannot reach (make.globals default: http://distfiles.gentoo.org).
GENTOO_MIRRORS=""
EOF
write_once "$PREFIX/portage.env" <<EOF
# Source before running Portage: . $PREFIX/portage.env
export PORTAGE_CONFIGROOT="$ROOTDIR"
# The PyPI wheel would use the venv as EPREFIX (a Prefix install, images under \${D}$VENV/usr/...).
# An empty EPREFIX gives Gentoo's usual layout: \${ED} = \${D}, /usr/bin/..., ROOT=/.
export EPREFIX=""
export NETAUDIT_EBUILD="$VENV/bin/ebuild"
EOF
# Dirs the portage user writes to under userpriv: distfiles (userfetch) and the logs.
chown portage:portage "$ROOTDIR/var/cache/distfiles" "$ROOTDIR/var/log/portage"
chmod 2775 "$ROOTDIR/var/cache/distfiles" "$ROOTDIR/var/log/portage"

# 5. What ::gentoo's eclasses take for granted on a Gentoo host (scripts/portage-notes.md §5).
#    a. `gtar`: Portage's unpack (phase-helpers.sh) and binpkg code call GNU tar by that name; Gentoo's
#       app-arch/tar installs it, Debian's tar does not. A shim directory holds gtar -> the host's tar, made
#       only when that tar is GNU tar (anything else would take GNU options it does not know).
#    b. The phases' PATH: Portage takes PATH from ${BROOT}/etc/profile.env when it has one (as on Gentoo,
#       where env-update writes it), not from whoever called `ebuild`. BROOT is the venv for this install
#       (portage.const.EPREFIX = sys.prefix), so the venv gets a profile.env: the shims, then the standard
#       PATH. So every caller's phases see gtar, and none inherits a pyenv or ~/.local PATH.
#    c. ${BROOT}/usr: eclasses run build-host tools as ${BROOT}/usr/bin/... (python-utils-r1:
#       PYTHON=${BROOT}/usr/bin/python3.X). BROOT being the venv, <venv>/usr is a symlink to the host's /usr, so
#       those paths are the host's own (Debian's /usr/bin/python3.11). Portage's helpers keep running on the
#       venv's python (PORTAGE_PYTHON), where the Portage modules are.
SHIMS="$PREFIX/shims"
mkdir -p "$SHIMS"
host_tar="$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v tar || true)"
if [ -n "$host_tar" ] && "$host_tar" --version 2>/dev/null | head -n1 | grep -q 'GNU tar'; then
  [ "$(readlink "$SHIMS/gtar" 2>/dev/null)" = "$host_tar" ] || ln -sfn "$host_tar" "$SHIMS/gtar"
else
  rm -f "$SHIMS/gtar"
  log "warning: ${host_tar:-tar} is not GNU tar: no gtar shim, so unpack of .tar.* distfiles fails (install GNU tar)"
fi
mkdir -p "$VENV/etc"
profile_env="export PATH='$SHIMS:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'"
if [ "$(cat "$VENV/etc/profile.env" 2>/dev/null)" != "# Written by netaudit's scripts/install-portage.sh: the PATH of Portage's phases.
$profile_env" ]; then
  printf "# Written by netaudit's scripts/install-portage.sh: the PATH of Portage's phases.\n%s\n" "$profile_env" >"$VENV/etc/profile.env"
fi
if [ -L "$VENV/usr" ]; then
  [ "$(readlink "$VENV/usr")" = /usr ] || ln -sfn /usr "$VENV/usr"
elif [ -e "$VENV/usr" ]; then
  die "$VENV/usr exists and is not a symlink to /usr: move it away (eclasses need \${BROOT}/usr = the host's /usr)"
else
  ln -s /usr "$VENV/usr"
fi

# d. The running system's config: with ROOT other than / (emerge --root, a test's temp ROOT) or an EPREFIX other
#    than the wheel's (ours is ""), Portage loads a second config for the machine emerge runs on, from
#    ${const.EPREFIX}/etc/portage, which for the wheel is the venv's; without a profile there emerge refuses to
#    run ("Your current profile is invalid"). That config is this config root's.
if [ ! -e "$VENV/etc/portage" ] && [ ! -L "$VENV/etc/portage" ]; then
  ln -s "$ROOTDIR/etc/portage" "$VENV/etc/portage"
fi

# 6. Smoke check: Portage loads this config without errors.
if ! out="$(PORTAGE_CONFIGROOT="$ROOTDIR" EPREFIX="" "$VENV/bin/portageq" envvar ARCH 2>&1)" || [ "$out" != amd64 ]; then
  die "portageq smoke check failed: $out"
fi

log "portage $PORTAGE_VERSION ready (PORTAGE_CONFIGROOT=$ROOTDIR EPREFIX=\"\"; env file $PREFIX/portage.env)"
echo "$VENV/bin/ebuild"
