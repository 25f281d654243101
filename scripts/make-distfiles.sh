#!/usr/bin/env bash
# Make the two distfiles of gentoo/app-portage/netaudit, reproducibly, into OUTDIR:
#   netaudit-VERSION.tgz               `npm pack` of this tree (prepack builds: tsc, schema validator, man page)
#   netaudit-VERSION-node_modules.tar.gz   the runtime dependencies exactly as package-lock.json pins them
#                                      (npm ci --omit=dev), vendored so that no ebuild phase needs the network
# Reproducible: the same tree and lock file give the same bytes. npm pack already writes fixed mtimes and
# sorted entries; the node_modules tarball gets sorted names, a fixed mtime (npm's own, 1985-10-26), numeric
# owner 0:0, normalised modes and gzip -n (no name, no time). SOURCE_DATE_EPOCH (default: the last commit's
# time) dates the man page.
#
# Usage: scripts/make-distfiles.sh OUTDIR [--no-build] [--manifest FILE]
#   --no-build       pack the dist/ already built (the tests do: mocha runs from it) instead of building again
#   --manifest FILE  also write the ebuild's thin Manifest for these two tarballs to FILE (normally
#                    gentoo/app-portage/netaudit/Manifest): one `DIST name size BLAKE2B hex SHA512 hex` line each,
#                    the hashes metadata/layout.conf names, sorted by name: what `ebuild ... manifest` writes
#                    (test/e2e/overlay.test.ts compares the two), without needing Portage.
# Why the Manifest is made here and not kept in git: the npm tarball is built from the very tree that holds the
# ebuild (dist/, the man page dated by the last commit), so its hashes change with every commit, and a Manifest
# committed beside the ebuild would be wrong from the next commit on. A release makes the distfiles and the
# Manifest together, from the release's commit.
# npm ci takes the packages from npm's cache when it has them (--prefer-offline), else from the registry.
set -euo pipefail

usage() { echo "usage: scripts/make-distfiles.sh OUTDIR [--no-build] [--manifest FILE]" >&2; exit 2; }
[ $# -ge 1 ] || usage
out=$1
shift
build=1
manifest=
while [ $# -gt 0 ]; do
  case $1 in
    --no-build) build=0 ;;
    --manifest) [ $# -ge 2 ] && [ -n "$2" ] || usage; manifest=$2; shift ;;
    *) usage ;;
  esac
  shift
done

root=$(cd "$(dirname "$0")/.." && pwd)
version=$(node -p "require(process.argv[1]).version" "$root/package.json")
if [ -z "${SOURCE_DATE_EPOCH-}" ]; then
  SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 499162500)
fi
export SOURCE_DATE_EPOCH
# npm pack's own fixed mtime, so that the two tarballs agree and neither changes with the clock.
fixed_mtime=499162500

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/netaudit-distfiles.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. The npm tarball: package.json `files` decides what is in it.
pack_flags=(--pack-destination "$work" --silent)
[ $build = 1 ] || pack_flags+=(--ignore-scripts)
(cd "$root" && npm pack "${pack_flags[@]}" >/dev/null)
[ -f "$work/netaudit-$version.tgz" ] || { echo "make-distfiles: npm pack made no netaudit-$version.tgz" >&2; exit 1; }

# 2. The runtime dependencies, from the lock file alone (no dev dependencies, no install scripts).
mkdir "$work/deps"
cp "$root/package.json" "$root/package-lock.json" "$work/deps/"
(cd "$work/deps" && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null)
# npm's hidden lock file is bookkeeping for npm itself, not needed at run time.
rm -f "$work/deps/node_modules/.package-lock.json"
tar --create --format=gnu --sort=name --mtime="@$fixed_mtime" --owner=0 --group=0 --numeric-owner \
  --mode='u+rwX,go+rX,go-w' -C "$work/deps" node_modules \
  | gzip -9 -n > "$work/netaudit-$version-node_modules.tar.gz"

for f in "netaudit-$version.tgz" "netaudit-$version-node_modules.tar.gz"; do
  mv "$work/$f" "$out/$f"
  echo "$out/$f"
done

if [ -n "$manifest" ]; then
  for f in "netaudit-$version.tgz" "netaudit-$version-node_modules.tar.gz"; do
    # b2sum's default is BLAKE2b-512, Portage's BLAKE2B.
    printf 'DIST %s %s BLAKE2B %s SHA512 %s\n' "$f" "$(stat -c %s "$out/$f")" \
      "$(b2sum "$out/$f" | cut -d' ' -f1)" "$(sha512sum "$out/$f" | cut -d' ' -f1)"
  done | LC_ALL=C sort > "$work/Manifest"
  mv "$work/Manifest" "$manifest"
  echo "$manifest"
fi
