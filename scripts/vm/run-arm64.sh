#!/bin/bash
# Run a linux-arm64 executable on a real arm64 Linux kernel (16 KB or 4 KB pages)
# inside qemu-system-aarch64 full-system emulation (TCG, no KVM needed).
# Copied from ../shared/vm/run-arm64.sh (which also builds the kernels; README there) and extended
# for test/appliance/vm.test.ts.
#
#   scripts/vm/run-arm64.sh 16k|4k EXECUTABLE [ARGS...]
#   scripts/vm/run-arm64.sh base          build (or find) the cached initramfs base; print its path
#
# The executable, every argument that names an existing host file, and the files
# listed in VM_FILES="a b" are copied into the initramfs at the same absolute path;
# the guest starts in the same working directory as the caller. Output appears
# between marker lines and the script exits with the executable's exit code.
#
# Environment:
#   VM_FILES    extra host files/dirs to include (same absolute paths)
#   VM_PORT     host port forwarded to guest port 8000 (default 18800)
#   VM_CONTROL  host port on 127.0.0.1 the guest reaches as 10.0.2.100:8080 (one `nc` per
#               connection). The guest is then isolated (slirp restrict=on): it can reach nothing
#               else, not even the host; VM_PORT's forward still works.
#   VM_KERNEL_DIR  where Image-16k.gz / Image-4k.gz are (default: ../shared/vm beside the repo)
#   VM_MEM      guest memory in MB (default 2048)
#   VM_TIMEOUT  seconds before the VM is killed (default 900; exit code 124)
#   VM_CPU      qemu -cpu value (default max,pauth-impdef=on: "max" with a
#               cheaper pointer-auth algorithm, much faster under TCG)
#   VM_KERNEL   use this kernel Image(.gz) instead of the bundled one
#   VM_VERBOSE  1: show kernel messages (drops "quiet")
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kernels=${VM_KERNEL_DIR:-$here/../../../shared/vm}
usage() { echo "usage: $0 16k|4k EXECUTABLE [ARGS...]   or: $0 base" >&2; exit 2; }
[ $# -ge 1 ] || usage
variant=$1; shift
case $variant in 16k|4k) [ $# -ge 1 ] || usage ;; base) ;; *) usage ;; esac
exe=${1:-}; [ $# -eq 0 ] || shift

if [ "$variant" != base ] && ! command -v qemu-system-aarch64 >/dev/null; then
  echo "run-arm64.sh: qemu-system-aarch64 is missing. Install it with:" >&2
  echo "  sudo apt-get install qemu-system-arm      (Debian/Ubuntu)" >&2
  exit 127
fi
for t in cpio dpkg-deb apt-get; do
  command -v $t >/dev/null || { echo "run-arm64.sh: '$t' is missing (sudo apt-get install $t)" >&2; exit 127; }
done

if [ "$variant" != base ]; then
  kernel=${VM_KERNEL:-$kernels/Image-$variant.gz}
  [ -f "$kernel" ] || { echo "run-arm64.sh: kernel $kernel not found" >&2; exit 2; }
  [ -f "$exe" ] || { echo "run-arm64.sh: executable $exe not found" >&2; exit 2; }
fi

cache=${XDG_CACHE_HOME:-$HOME/.cache}/arm64-vm
mkdir -p "$cache"

# ---------------------------------------------------------------- base layer
# busybox + arm64 glibc/libstdc++/libpcap (and libpcap's dependency closure),
# extracted from Debian packages, plus /init. Cached; rebuilt when this script changes.
pkgs="busybox-static libc6 libc-bin libgcc-s1 libstdc++6 libpcap0.8 libdbus-1-3 libsystemd0
      libcap2 libgcrypt20 libgpg-error0 liblz4-1 liblzma5 libzstd1"
key=$( { cat "${BASH_SOURCE[0]}"; echo $pkgs; } | sha256sum | cut -c1-16)
base=$cache/base-$key.cpio

build_base() {
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    if [ "$(id -u)" = 0 ]; then
      dpkg --add-architecture arm64 && apt-get update -qq
    else
      echo "run-arm64.sh: enable arm64 packages first: sudo dpkg --add-architecture arm64 && sudo apt-get update" >&2
      exit 2
    fi
  fi
  local w; w=$(mktemp -d "$cache/base.XXXXXX")
  mkdir -p "$w/debs" "$w/root"
  echo "run-arm64.sh: building initramfs base in $cache (apt-get download, once)" >&2
  local p args=()
  for p in $pkgs; do args+=("$p:arm64"); done
  ( cd "$w/debs" && apt-get download -q "${args[@]}" >/dev/null 2>"$w/apt.log" ) ||
    { cat "$w/apt.log" >&2; echo "run-arm64.sh: apt-get download failed (try: sudo apt-get update)" >&2; exit 2; }
  local r=$w/root d
  for d in "$w"/debs/*.deb; do dpkg-deb -x "$d" "$r"; done
  # merged-/usr layout, like Debian: /lib -> usr/lib, /bin -> usr/bin, /sbin -> usr/sbin
  mkdir -p "$r/usr/lib" "$r/usr/bin" "$r/usr/sbin"
  for d in lib bin sbin; do
    if [ -d "$r/$d" ] && [ ! -L "$r/$d" ]; then cp -a "$r/$d/." "$r/usr/$d/"; rm -rf "${r:?}/$d"; fi
    ln -s usr/$d "$r/$d"
  done
  rm -rf "$r/usr/share" "$r/usr/lib/aarch64-linux-gnu/gconv" "$r/var" "$r/usr/lib/aarch64-linux-gnu/audit"
  [ -e "$r/usr/lib/ld-linux-aarch64.so.1" ] || { echo "run-arm64.sh: no arm64 dynamic loader in libc6:arm64?" >&2; exit 2; }
  # busybox applets (do not shadow getconf/ldconfig from libc-bin)
  local a
  for a in $("$r/usr/bin/busybox" --list 2>/dev/null || true) sh ash mount umount ip ifconfig route ls cat echo \
           sleep poweroff reboot mkdir rm cp mv ln ps kill grep sed awk head tail wc uname hostname \
           wget nc free df du date env sort uniq find chmod dmesg sync tr cut tee xargs mktemp \
           dd od hexdump md5sum sha256sum vi less more seq expr test true false printf gzip zcat tar; do
    [ -e "$r/usr/bin/$a" ] || [ -e "$r/usr/sbin/$a" ] || ln -s busybox "$r/usr/bin/$a"
  done 2>/dev/null
  mkdir -p "$r"/{proc,sys,dev,tmp,run,root,etc,vm,mnt}
  chmod 1777 "$r/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$r/etc/group"
  printf '127.0.0.1 localhost arm64-vm\n::1 localhost ip6-localhost\n' > "$r/etc/hosts"
  printf 'nameserver 10.0.2.3\n' > "$r/etc/resolv.conf"
  printf 'hosts: files dns\npasswd: files\ngroup: files\n' > "$r/etc/nsswitch.conf"
  echo arm64-vm > "$r/etc/hostname"
  cat > "$r/init" <<'INIT'
#!/bin/sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
/bin/busybox --install -s 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
chmod 1777 /tmp   # rootfs is already tmpfs; a mount here would hide copied files under /tmp
hostname arm64-vm
ip link set lo up
ip link set eth0 up 2>/dev/null && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2
. /vm/env
cd "$VM_CWD" 2>/dev/null || cd /
ps=$(getconf PAGESIZE 2>/dev/null)
read up _ < /proc/uptime
echo "===== VM: linux $(uname -r) $(uname -m), PAGESIZE=$ps, $(grep -c ^processor /proc/cpuinfo) cpus, up ${up}s ====="
echo "===== VM-OUTPUT-BEGIN ====="
sh /vm/cmd </dev/null
rc=$?
echo "===== VM-OUTPUT-END exit=$rc ====="
sync
poweroff -f
INIT
  chmod 755 "$r/init"
  ( cd "$r" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet ) > "$base.tmp"
  mv "$base.tmp" "$base"
  rm -rf "$w"
}
[ -f "$base" ] || build_base
if [ "$variant" = base ]; then echo "$base"; exit 0; fi

# ---------------------------------------------------------------- run layer
# The executable, file arguments and VM_FILES at their absolute host paths,
# plus /vm/cmd and /vm/env. Appended to the base (concatenated cpio archives).
run=$(mktemp -d "$cache/run.XXXXXX")
trap 'rm -rf "$run"' EXIT
mkdir -p "$run/root/vm"
add() {  # add host path $1 (file or dir) at its absolute path
  local src; src=$(realpath -s "$1")
  [ -e "$run/root$src" ] && return 0
  mkdir -p "$run/root$(dirname "$src")"
  cp -a --reflink=auto "$(realpath "$1")" "$run/root$src" 2>/dev/null || cp -aL "$1" "$run/root$src"
}
q() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }

add "$exe"
cmd="exec $(q "$(realpath -s "$exe")")"
for a in "$@"; do
  if [ -e "$a" ] && [ "$a" != / ]; then add "$a"; fi
  cmd+=" $(q "$a")"
done
for f in ${VM_FILES:-}; do
  [ -e "$f" ] || { echo "run-arm64.sh: VM_FILES entry $f not found" >&2; exit 2; }
  add "$f"
done
mkdir -p "$run/root$PWD"
echo "$cmd" > "$run/root/vm/cmd"
echo "VM_CWD=$(q "$PWD")" > "$run/root/vm/env"
( cd "$run/root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet ) > "$run/run.cpio"
cat "$base" "$run/run.cpio" > "$run/initrd"
rm -f "$run/run.cpio"; rm -rf "$run/root"

# ---------------------------------------------------------------- boot
append="console=ttyAMA0 panic=-1"
[ "${VM_VERBOSE:-0}" = 1 ] || append+=" quiet"
log=$run/console.log
stdin=/dev/null; [ -t 0 ] && stdin=/dev/stdin   # a terminal keeps Ctrl-A x working
set +e
netdev="user,id=n0,hostfwd=tcp:127.0.0.1:${VM_PORT:-18800}-:8000"
if [ -n "${VM_CONTROL:-}" ]; then
  command -v nc >/dev/null || { echo "run-arm64.sh: VM_CONTROL needs nc (netcat-openbsd)" >&2; exit 127; }
  netdev+=",restrict=on,guestfwd=tcp:10.0.2.100:8080-cmd:nc 127.0.0.1 ${VM_CONTROL}"
fi
# romfile= : no PXE option ROM (efi-virtio.rom is in ipxe-qemu, which is only a Recommends).
timeout --foreground -k 5 "${VM_TIMEOUT:-900}" \
  qemu-system-aarch64 -M virt -cpu "${VM_CPU:-max,pauth-impdef=on}" -smp 2 -m "${VM_MEM:-2048}" \
    -nographic -no-reboot -kernel "$kernel" -initrd "$run/initrd" -append "$append" \
    -netdev "$netdev" -device virtio-net-pci,netdev=n0,romfile= \
    <"$stdin" 2>&1 | sed -u 's/\r$//' | tee "$log"
qrc=${PIPESTATUS[0]}
set -e
rc=$(sed -n 's/^===== VM-OUTPUT-END exit=\([0-9]*\) =====$/\1/p' "$log" | tail -n1)
if [ -z "$rc" ]; then
  if [ "$qrc" = 124 ]; then echo "run-arm64.sh: VM timed out after ${VM_TIMEOUT:-900}s" >&2; exit 124; fi
  echo "run-arm64.sh: the VM ended without an exit marker (qemu exit $qrc)" >&2
  exit 125
fi
exit "$rc"
