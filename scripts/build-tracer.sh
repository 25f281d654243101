#!/usr/bin/env bash
# Build netaudit's compiled tracer (bpf/) into dist/bpf/: netaudit-tracer (the loader, with the BPF object
# embedded as a skeleton) and netaudit.btf (this kernel's BTF cut to what the programs read).
# Needs clang, bpftool, libbpf (headers + library), libelf, zlib, make, pkg-config and a kernel with BTF.
# A missing piece: one line naming the package on Debian and on Gentoo, exit 2.
set -euo pipefail
cd "$(dirname "$0")/.."

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
# Built for another kernel (its notes hold the build id): make vmlinux.h and the minimal BTF again.
if [ -f dist/bpf/netaudit.btf.notes ] && ! cmp -s dist/bpf/netaudit.btf.notes /sys/kernel/notes; then
  rm -f dist/bpf/vmlinux.h dist/bpf/netaudit.btf dist/bpf/netaudit.btf.notes
fi
PATH="$PATH:/usr/sbin:/sbin" make -s -C bpf OUT="$PWD/dist/bpf"
echo "build-tracer.sh: dist/bpf/netaudit-tracer"
