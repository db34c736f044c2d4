#!/bin/bash
# build.sh - prepare a kernel + initramfs (from Debian bookworm packages) for a
# throw-away qemu guest that runs on a pure cgroup v2 hierarchy.
#
# Copied from the shared recipe ../shared/cgv2-vm/build.sh (proven there; see
# test/vm/README.md) so that a fresh clone needs nothing outside the project.
# Changes from the original: CGVM_DIR defaults to a cgmgr-specific temp dir;
# the vmlinux offset is found with node, not python3; xz-utils is installed
# with qemu when missing; CGVM_QEMU names the qemu binary (no apt install
# then); one build at a time per CGVM_DIR (flock).
#
# Touches nothing of the host's /boot or /lib/modules: the kernel package is
# fetched with `apt-get download` and unpacked with `dpkg -x` into $CGVM_DIR.
# The only host change is `apt-get install qemu-system-x86` (skipped when
# qemu-system-x86_64 is already there; CGVM_NO_APT=1 to forbid it).
#
# Output (in $CGVM_DIR, default ${TMPDIR:-/tmp}/cgmgr-cgv2vm):
#   vmlinuz          the Debian "amd64" kernel (has 9p; the "cloud" flavour does not)
#   vmlinux          the same, uncompressed (ELF with a PVH entry: boots ~3 s faster)
#   initramfs.cpio.gz busybox-static + the few modules needed + init
#   kver             the kernel version string
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
CGVM_DIR="${CGVM_DIR:-${TMPDIR:-/tmp}/cgmgr-cgv2vm}"
QEMU="${CGVM_QEMU:-qemu-system-x86_64}"
# Debian kernel flavour: "amd64" (generic). "cloud-amd64" has NO 9p support.
KPKG_META="${CGVM_KPKG_META:-linux-image-amd64}"

log() { echo "[build] $*" >&2; }

mkdir -p "$CGVM_DIR"
cd "$CGVM_DIR"
# one build at a time in this directory (concurrent `npm test` runs)
if command -v flock >/dev/null; then exec 9>"$CGVM_DIR/.build.lock"; flock 9; fi

# up to date? (initramfs newer than this script and the guest scripts)
if [ "${CGVM_REBUILD:-0}" != 1 ] && [ -s initramfs.cpio.gz ] && [ -s vmlinuz ] && [ -s kver ] \
   && [ -z "$(find "$HERE/build.sh" "$HERE/guest" -newer initramfs.cpio.gz 2>/dev/null)" ] \
   && command -v "$QEMU" >/dev/null; then
  log "up to date: $CGVM_DIR (kernel $(cat kver)); CGVM_REBUILD=1 to force"
  exit 0
fi

# 1. qemu (and xz for the vmlinux extraction) --------------------------------
pkgs=()
if ! command -v "$QEMU" >/dev/null; then
  [ -n "${CGVM_QEMU:-}" ] && { log "CGVM_QEMU=$CGVM_QEMU: no such command"; exit 1; }
  pkgs+=(qemu-system-x86)
fi
command -v xz >/dev/null || pkgs+=(xz-utils)
if [ ${#pkgs[@]} -gt 0 ]; then
  if [ "${CGVM_NO_APT:-0}" = 1 ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    log "missing ${pkgs[*]} and cannot install (needs root and apt-get; CGVM_NO_APT=${CGVM_NO_APT:-0})"
  else
    log "installing ${pkgs[*]} (apt-get, --no-install-recommends)"
    [ -n "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -v -e lock -e partial)" ] || apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null; } \
      || log "apt-get install ${pkgs[*]} failed"
  fi
  command -v "$QEMU" >/dev/null || { log "$QEMU missing and not installable"; exit 1; }
fi

# 2. kernel + busybox, downloaded and extracted (never installed) ---------
need_dl() { [ ! -s vmlinuz ] || [ ! -s kver ] || [ ! -x bb/bin/busybox ] || [ ! -d kx/lib/modules ]; }
if need_dl || [ "${CGVM_REBUILD:-0}" = 1 ]; then
  KPKG="$(apt-cache depends "$KPKG_META" 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')"
  if [ -z "$KPKG" ]; then apt-get update -qq; KPKG="$(apt-cache depends "$KPKG_META" | awk '/Depends: linux-image-[0-9]/{print $2; exit}')"; fi
  [ -n "$KPKG" ] || { log "cannot resolve $KPKG_META"; exit 1; }
  log "kernel package: $KPKG"
  rm -rf debs kx bb && mkdir -p debs
  # _apt cannot write into a root-only dir; download into a world-writable temp dir
  dl="$(mktemp -d)"; chmod 777 "$dl"
  ( cd "$dl" && apt-get download -qq "$KPKG" busybox-static ) || { apt-get update -qq; ( cd "$dl" && apt-get download -qq "$KPKG" busybox-static ); }
  mv "$dl"/*.deb debs/ && rmdir "$dl"
  dpkg -x debs/"$KPKG"_*.deb kx
  dpkg -x debs/busybox-static_*.deb bb
  KVER="$(ls kx/lib/modules | head -1)"
  echo "$KVER" > kver
  cp kx/boot/vmlinuz-"$KVER" vmlinuz
  ls debs > packages.txt
fi
# Uncompressed ELF vmlinux: qemu boots it through its PVH entry point, which
# skips SeaBIOS and the in-guest decompression (about 3 s under TCG).
if [ ! -s vmlinux ] || [ vmlinux -ot vmlinuz ]; then
  off="$(node -e "process.stdout.write(String(require('fs').readFileSync('vmlinuz').indexOf(Buffer.from([0xfd,0x37,0x7a,0x58,0x5a,0x00]))))" 2>/dev/null || echo -1)"
  rm -f vmlinux.tmp
  if [ "${off:--1}" -ge 0 ] 2>/dev/null && command -v xz >/dev/null; then tail -c +$((off+1)) vmlinuz | xz -dc 2>/dev/null > vmlinux.tmp || true; fi
  if [ -s vmlinux.tmp ] && head -c 4 vmlinux.tmp | grep -q ELF; then
    mv vmlinux.tmp vmlinux
  else
    rm -f vmlinux.tmp; log "could not extract vmlinux; run.sh will boot the slower vmlinuz"
  fi
fi
KVER="$(cat kver)"
BB="$CGVM_DIR/bb/bin/busybox"
log "kernel $KVER"

# 3. initramfs --------------------------------------------------------------
# modules: virtio-pci transport, 9p (root + shares), overlay (writable root),
# virtio_console (stdout/stderr ports), virtio_blk (a null disk so io.stat has
# a device), virtio-rng (entropy)
MODS="virtio_pci virtio_console virtio_blk virtio-rng 9pnet_virtio 9p overlay"
MD="kx/lib/modules/$KVER"
[ -s "$MD/modules.dep" ] || "$BB" depmod -b kx "$KVER"
rm -rf initrd && mkdir -p initrd/{bin,proc,sys,dev,newroot,host,ctl,rw,etc} "initrd/lib/modules/$KVER"
cp "$BB" initrd/bin/busybox
resolve() { # print module + deps (paths relative to $MD), deps first
  local m="$1" line; line="$(grep -E "(^|/)$m\.ko:" "$MD/modules.dep")" || { log "no module $m"; exit 1; }
  local self="${line%%:*}" deps="${line#*:}" d
  for d in $deps; do echo "$d"; done | tac
  echo "$self"
}
for m in $MODS; do resolve "$m"; done | awk '!s[$0]++' > initrd/etc/modules
while read -r p; do
  mkdir -p "initrd/lib/modules/$KVER/$(dirname "$p")"
  cp "$MD/$p" "initrd/lib/modules/$KVER/$p"
done < initrd/etc/modules
cp "$MD"/modules.{order,builtin} "initrd/lib/modules/$KVER/" 2>/dev/null || true
cp "$HERE/guest/init" initrd/init && chmod 755 initrd/init
cp "$HERE/guest/stage2" initrd/stage2 && chmod 755 initrd/stage2
(cd initrd && find . | "$BB" cpio -o -H newc 2>/dev/null | gzip -1 > ../initramfs.cpio.gz.new)
mv initramfs.cpio.gz.new initramfs.cpio.gz
log "initramfs: $(du -h initramfs.cpio.gz | cut -f1), modules: $(wc -l < initrd/etc/modules)"
# the unpacked package is ~450 MB; keep it only with CGVM_SLIM=0
if [ "${CGVM_SLIM:-1}" = 1 ]; then rm -rf kx debs initrd; fi
log "done: $CGVM_DIR/{vmlinuz,initramfs.cpio.gz}"
