#!/bin/sh
# Everything a fresh Debian/Ubuntu/Raspberry Pi OS machine needs before NetInsight runs from a
# checkout (`sh scripts/setup.sh`), the executables are built (`sh scripts/setup.sh build`: the cross
# compiler and its C headers for the other architecture's capture shim) or its tests run
# (`sh scripts/setup.sh test`), or the benchmark runs beside its peers (`sh scripts/setup.sh bench`:
# softflowd, argus and nDPI's ndpiReader from Debian). Idempotent:
# it installs only what is missing. Debian packages need root; without it, it says what to run.
set -e
cd "$(dirname "$0")/.."
mode=${1:-run}

missing=""
want_cmd() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
want_lib() { ldconfig -p 2>/dev/null | grep -q "$1" || missing="$missing $2"; }
want_file() { [ -e "$1" ] || missing="$missing $2"; }

want_lib libpcap.so.0.8 libpcap0.8
want_cmd cc gcc
if [ "$mode" = build ] || [ "$mode" = test ]; then
  # scripts/build.ts makes both executables; each embeds its architecture's capture shim.
  case "$(uname -m)" in
    x86_64) want_cmd aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu; want_file /usr/aarch64-linux-gnu/include/stdio.h libc6-dev-arm64-cross ;;
    aarch64|arm64) want_cmd x86_64-linux-gnu-gcc gcc-x86-64-linux-gnu; want_file /usr/x86_64-linux-gnu/include/stdio.h libc6-dev-amd64-cross ;;
  esac
fi
if [ "$mode" = bench ]; then
  # bench/run.ts runs every installed peer on the same file in the same run.
  want_cmd softflowd softflowd
  want_cmd argus argus-server
  want_cmd ndpiReader libndpi-bin
fi
if [ "$mode" = test ]; then
  # The tests capture live on veth pairs in network namespaces, replay real traffic, attack a lab
  # with real tools, drive a browser and run the arm64 build under emulation.
  while read -r check package; do
    case "$check" in
      ""|"#"*) continue ;;
      /*) want_file "$check" "$package" ;;
      *) want_cmd "$check" "$package" ;;
    esac
  done < scripts/test-packages.txt
fi

if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "setup: please install these packages first: sudo apt-get install$missing" >&2
    [ "$mode" != run ] || exit 1
  fi
fi

# Running the arm64 executable under qemu needs Debian's arm64 libc and libpcap (multi-arch).
if [ "$mode" = test ] && [ "$(id -u)" = 0 ] && [ "$(uname -m)" = x86_64 ]; then
  sh scripts/arm64-env.sh >/dev/null || echo "setup: arm64 emulation could not be set up; the arm64 tests will skip" >&2
fi

# Bun and the JavaScript dependencies come from npm (package-lock.json).
if [ ! -x node_modules/.bin/bun ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund --loglevel=error
fi

# The native capture shim (a few KB of C; rebuilt when its source changes).
sh native/build.sh >/dev/null
