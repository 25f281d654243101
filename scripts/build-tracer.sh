#!/usr/bin/env bash
# Build netaudit's compiled tracer (bpf/) into dist/bpf/: netaudit-tracer (the loader, with the BPF object
# embedded as a skeleton) and netaudit.btf (this kernel's BTF cut to what the programs read).
# Needs clang, bpftool, libbpf (headers + library), libelf, zlib, make, pkg-config and a kernel with BTF.
# A missing piece: one line naming the package on Debian and on Gentoo, exit 2.
#
# Usage: scripts/build-tracer.sh [--portable | --shared]
#   (default)   libbpf, libelf and zlib linked in from their .a archives when all three are installed (Debian's
#               -dev packages ship them), so the loader needs only libc; else against the shared libraries
#   --portable  the form the npm tarball carries (prepack runs this): the archives are required, and the
#               result is checked to need nothing but libc (readelf -d): it runs on any x86_64 Linux with BTF
#               and glibc >= 2.34, whether libbpf is installed there or not
#   --shared    against the shared libbpf and libelf (what a distribution package does: gentoo/ builds so)
set -euo pipefail
cd "$(dirname "$0")/.."

mode=auto
case ${1-} in
  '') ;;
  --portable) mode=static ;;
  --shared) mode=shared ;;
  *) echo "build-tracer.sh: unknown option ${1}: use --portable, --shared or nothing" >&2; exit 2 ;;
esac

need() { # need NAME DEBIAN-PACKAGE GENTOO-PACKAGE WHAT
  echo "build-tracer.sh: $4 is missing: install $2 (Debian) or $3 (Gentoo)" >&2
  exit 2
}
command -v clang >/dev/null || need clang clang llvm-core/clang "clang (the BPF compiler)"
command -v bpftool >/dev/null || [ -x /usr/sbin/bpftool ] || need bpftool bpftool dev-util/bpftool "bpftool"
command -v make >/dev/null || need make make dev-build/make "make"
command -v cc >/dev/null || need cc gcc sys-devel/gcc "a C compiler (cc)"
command -v pkg-config >/dev/null || need pkg-config pkg-config dev-util/pkgconf "pkg-config"
[ -r /usr/include/bpf/libbpf.h ] || pkg-config --exists libbpf 2>/dev/null || need libbpf libbpf-dev dev-libs/libbpf "libbpf (headers)"
[ -r /usr/include/gelf.h ] || [ -r /usr/include/libelf/gelf.h ] || need libelf libelf-dev virtual/libelf "libelf (headers)"
[ -r /usr/include/zlib.h ] || need zlib zlib1g-dev sys-libs/zlib "zlib (headers)"
if [ ! -r /sys/kernel/btf/vmlinux ]; then
  echo "build-tracer.sh: this kernel has no BTF (/sys/kernel/btf/vmlinux): build it with CONFIG_DEBUG_INFO_BTF=y" >&2
  exit 2
fi
# The archives of a static link, where pkg-config says each library lives.
archive() { # archive PKG-CONFIG-NAME LIB
  local dir
  dir=$(pkg-config --variable=libdir "$1" 2>/dev/null) || dir=
  for d in $dir /usr/lib64 /usr/lib/"$(gcc -print-multiarch 2>/dev/null || true)" /usr/lib; do
    [ -n "$d" ] && [ -r "$d/lib$2.a" ] && return 0
  done
  return 1
}
link=shared
if archive libbpf bpf && archive libelf elf && archive zlib z; then
  link=static
elif [ $mode = static ]; then
  echo "build-tracer.sh: --portable needs libbpf.a, libelf.a and libz.a: install libbpf-dev libelf-dev zlib1g-dev (Debian) or dev-libs/libbpf[static-libs] dev-libs/elfutils[static-libs] sys-libs/zlib[static-libs] (Gentoo)" >&2
  exit 2
fi
[ $mode = shared ] && link=shared

# Built for another kernel (its notes hold the build id): make vmlinux.h and the minimal BTF again.
if [ -f dist/bpf/netaudit.btf.notes ] && ! cmp -s dist/bpf/netaudit.btf.notes /sys/kernel/notes; then
  rm -f dist/bpf/vmlinux.h dist/bpf/netaudit.btf dist/bpf/netaudit.btf.notes
fi
PATH="$PATH:/usr/sbin:/sbin" make -s -C bpf OUT="$PWD/dist/bpf" LINK=$link
if [ $mode = static ]; then
  command -v readelf >/dev/null || need readelf binutils sys-devel/binutils "readelf (checks what the portable loader needs)"
  needed=$(readelf -d dist/bpf/netaudit-tracer | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' | tr '\n' ' ')
  if [ "$needed" != "libc.so.6 " ]; then
    echo "build-tracer.sh: the portable loader needs more than libc.so.6: ${needed}(the static link did not take)" >&2
    exit 1
  fi
fi
echo "build-tracer.sh: dist/bpf/netaudit-tracer ($link libbpf)"
