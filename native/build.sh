#!/bin/sh
# Builds the capture shim for this machine (and arm64 when the cross compiler is present).
# Output: native/build/libni_capture-<arch>.so, imported by src/capture/shim.ts.
set -e
here=$(cd "$(dirname "$0")" && pwd)
out="$here/build"
mkdir -p "$out"
src="$here/ni_capture.c $here/ni_pcapfile.c $here/ni_flowhint.c"
flags="-O2 -shared -fPIC -pthread -Wall -Wextra -std=c11 -D_GNU_SOURCE"
build() { # arch compiler
  so="$out/libni_capture-$1.so"
  stale=0
  [ -f "$so" ] || stale=1
  for f in $src; do [ "$f" -nt "$so" ] && stale=1; done
  if [ "$stale" = 1 ]; then
    # shellcheck disable=SC2086 # $src is a list of files
    "$2" $flags -o "$so" $src -ldl || return 1
    echo "built $so"
  fi
}
# The other architecture's shim: skipped quietly without its cross compiler (scripts/build.ts says
# so), but a cross compiler that is there and fails (e.g. no libc6-dev-arm64-cross headers) is an error.
cross() { # arch compiler headers-package
  command -v "$2" >/dev/null 2>&1 || return 0
  build "$1" "$2" && return 0
  echo "native/build.sh: the $1 capture shim did not build with $2 (its C headers come from $3: sudo sh scripts/setup.sh build)" >&2
  exit 1
}
case "$(uname -m)" in
  x86_64) build x64 "${CC:-cc}" || exit 1; cross arm64 aarch64-linux-gnu-gcc libc6-dev-arm64-cross ;;
  aarch64|arm64) build arm64 "${CC:-cc}" || exit 1; cross x64 x86_64-linux-gnu-gcc libc6-dev-amd64-cross ;;
  *) echo "unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
