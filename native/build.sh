#!/bin/sh
# Builds the capture shim for this machine (and arm64 when the cross compiler is present).
# Output: native/build/libni_capture-<arch>.so, imported by src/capture/shim.ts.
set -e
here=$(cd "$(dirname "$0")" && pwd)
out="$here/build"
mkdir -p "$out"
src="$here/ni_capture.c $here/ni_pcapfile.c"
flags="-O2 -shared -fPIC -Wall -Wextra -std=c11 -D_GNU_SOURCE"
build() { # arch compiler
  so="$out/libni_capture-$1.so"
  stale=0
  [ -f "$so" ] || stale=1
  for f in $src; do [ "$f" -nt "$so" ] && stale=1; done
  if [ "$stale" = 1 ]; then
    # shellcheck disable=SC2086 # $src is a list of files
    "$2" $flags -o "$so" $src -ldl
    echo "built $so"
  fi
}
case "$(uname -m)" in
  x86_64) build x64 "${CC:-cc}"; command -v aarch64-linux-gnu-gcc >/dev/null && build arm64 aarch64-linux-gnu-gcc || true ;;
  aarch64|arm64) build arm64 "${CC:-cc}"; command -v x86_64-linux-gnu-gcc >/dev/null && build x64 x86_64-linux-gnu-gcc || true ;;
  *) echo "unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
