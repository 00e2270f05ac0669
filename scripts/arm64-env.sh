#!/bin/sh
# What running the arm64 executable under emulation needs on a Debian/Ubuntu x64 machine
# (test/appliance/arm64.test.ts): qemu-user-static, and arm64 libc + libpcap for its loader
# (run as QEMU_LD_PREFIX=/ qemu-aarch64-static dist/netinsight-linux-arm64). Building the arm64
# executable also needs the cross compiler for the capture shim. Idempotent; says what it does.
set -e

say() { echo "arm64-env: $*"; }

if [ "$(uname -m)" != x86_64 ]; then
  say "this machine is $(uname -m), not x86_64: nothing to do (run the arm64 executable natively)"
  exit 0
fi

# Each entry: Debian package, and the file that shows it is installed.
want="
qemu-user-static /usr/bin/qemu-aarch64-static
libc6:arm64 /lib/aarch64-linux-gnu/libc.so.6
libpcap0.8:arm64 /usr/lib/aarch64-linux-gnu/libpcap.so.0.8
gcc-aarch64-linux-gnu /usr/bin/aarch64-linux-gnu-gcc
libc6-dev-arm64-cross /usr/aarch64-linux-gnu/include/stdio.h
"
missing=$(echo "$want" | while read -r pkg file; do
  [ -n "$pkg" ] && [ ! -e "$file" ] && printf ' %s' "$pkg"
done || true)

if [ -z "$missing" ]; then
  say "already set up (qemu-aarch64-static, arm64 libc + libpcap, aarch64 cross compiler and headers)"
  exit 0
fi
say "missing:$missing"
if [ "$(id -u)" != 0 ]; then
  say "not root: run  sudo sh $0"
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  say "dpkg --add-architecture arm64"
  dpkg --add-architecture arm64
fi
say "apt-get update"
apt-get update -qq
say "apt-get install -y --no-install-recommends$missing"
# shellcheck disable=SC2086 # a list of packages
apt-get install -y -qq --no-install-recommends $missing >/dev/null
say "done"
