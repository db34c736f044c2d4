#!/bin/bash
# run.sh [options] [--] CMD [ARGS...]
#
# Boots the kernel + initramfs made by build.sh under qemu (TCG, no KVM needed),
# with the host's / visible read-only (9p) under a tmpfs overlay, a pure cgroup
# v2 hierarchy at /sys/fs/cgroup (cgroup_no_v1=all, every controller enabled
# in the root's cgroup.subtree_control), runs CMD there (cwd and environment
# as here), and exits with CMD's exit code. CMD's stdout/stderr stream to this
# script's stdout/stderr (virtio-serial ports).
#
# Options:
#   --rw DIR         share DIR read-write at the same path (repeatable). Every
#                    other write lands in a guest tmpfs and is thrown away.
#   --cwd DIR        working directory in the guest (default: $PWD)
#   --mem SIZE       guest RAM, qemu syntax (default: $CGVM_MEM or 2G)
#   --smp N          vCPUs (default: $CGVM_SMP or the host's nproc)
#   --timeout SEC    hard limit for the whole VM (default: $CGVM_TIMEOUT or 900)
#   --systemd        boot Debian's systemd as PID 1; CMD runs as cgvm.service
#   --no-controllers leave the root's cgroup.subtree_control empty
#   --append ARGS    extra kernel command line; the guest's init reads
#                    cgvm.cgopts=OPTS (cgroup2 mount options, default
#                    nsdelegate,memory_recursiveprot; "none" for none),
#                    cgvm.rootcache=loose|mmap|none (9p cache of the host root)
#   -v               copy the guest's serial console (kernel log) to stderr
# Exit codes: CMD's own; 124 = timed out while CMD ran; 123 = the VM ended
# while CMD ran without reporting its exit code (guest crash); 125 = the VM
# failed before CMD ran (no qemu, qemu error, boot failure or timeout before
# CMD started) - the only code that means "could not test".
# Env: CGVM_DIR (build output, default ${TMPDIR:-/tmp}/cgmgr-cgv2vm),
# CGVM_QEMU (qemu binary, default qemu-system-x86_64), CGVM_ACCEL (default
# TCG: "-accel tcg,thread=multi -cpu max"; KVM only when asked for, e.g.
# CGVM_ACCEL="-accel kvm -cpu host"), CGVM_KEEP=1 keeps the control dir
# (serial.log, timings), CGVM_TIMES=1 prints timings, CGVM_SYSTEMD_ARGS (extra
# systemd arguments) and CGVM_SYSTEMD_MASK (units to mask, space-separated)
# under --systemd.
#
# Copied from the shared recipe ../shared/cgv2-vm/run.sh (see test/vm/README.md).
# Changes from the original: TCG unless CGVM_ACCEL says otherwise (KVM crashed
# qemu with an MSR assertion on the machine this was made on); CGVM_QEMU;
# CGVM_DIR default; the 123/124/125 split above (a timeout or crash after CMD
# started is a failure, not "the VM failed"); CGVM_SYSTEMD_MASK (the guest's
# stage2 already masks the units named in SYSTEMD_MASK of its config).
set -uo pipefail

CGVM_DIR="${CGVM_DIR:-${TMPDIR:-/tmp}/cgmgr-cgv2vm}"
QEMU="${CGVM_QEMU:-qemu-system-x86_64}"
MEM="${CGVM_MEM:-2G}"; SMP="${CGVM_SMP:-$(nproc)}"; TIMEOUT="${CGVM_TIMEOUT:-900}"
MODE=cmd; ENABLE_CONTROLLERS=1; APPEND=""; VERBOSE=0; CWD="$PWD"
RW=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rw) d="$(realpath -e "$2")" && [ -d "$d" ] || { echo "run.sh: --rw $2: no such directory" >&2; exit 125; }
          RW+=("$d"); shift 2;;
    --cwd) CWD="$2"; shift 2;;
    --mem) MEM="$2"; shift 2;;
    --smp) SMP="$2"; shift 2;;
    --timeout) TIMEOUT="$2"; shift 2;;
    --systemd) MODE=systemd; shift;;
    --no-controllers) ENABLE_CONTROLLERS=0; shift;;
    --append) APPEND="$APPEND $2"; shift 2;;
    -v) VERBOSE=1; shift;;
    --) shift; break;;
    -*) echo "run.sh: unknown option $1" >&2; exit 125;;
    *) break;;
  esac
done
[ $# -gt 0 ] || { echo "usage: run.sh [options] [--] CMD [ARGS...]" >&2; exit 125; }
for f in vmlinuz initramfs.cpio.gz; do
  [ -s "$CGVM_DIR/$f" ] || { echo "run.sh: $CGVM_DIR/$f missing: run build.sh" >&2; exit 125; }
done

command -v "$QEMU" >/dev/null || { echo "run.sh: $QEMU: not found (run build.sh, or set CGVM_QEMU)" >&2; exit 125; }
CTL="$(mktemp -d "${TMPDIR:-/tmp}/cgmgr-cgvm-run.XXXXXX")" || exit 125
QPID=""; C1=""; C2=""; TPID=""
cleanup() {
  # ends only what this script started, by pid: timeout(1) -> qemu, cat x2, tail
  if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then
    local qp; qp="$(cat "$CTL/qemu.pid" 2>/dev/null)"
    kill -TERM "$QPID" 2>/dev/null          # timeout(1) passes TERM on to qemu
    for _ in $(seq 50); do kill -0 "$QPID" 2>/dev/null || break; sleep 0.1; done
    if [ -n "$qp" ] && [ "$(cat /proc/"$qp"/comm 2>/dev/null)" = "$(basename "$QEMU" | cut -c1-15)" ]; then
      kill -KILL "$qp" 2>/dev/null
    fi
    wait "$QPID" 2>/dev/null
  fi
  for p in $C1 $C2 $TPID; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  [ "${CGVM_KEEP:-0}" = 1 ] && echo "run.sh: control dir kept: $CTL" >&2 || rm -rf "$CTL"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- what the guest needs to know ---------------------------------------
{
  printf 'MODE=%q\nENABLE_CONTROLLERS=%q\n' "$MODE" "$ENABLE_CONTROLLERS"
  printf 'RW_PATHS=%q\n' "$(printf '%s\n' "${RW[@]+"${RW[@]}"}")"
  printf 'SYSTEMD_ARGS=%q\n' "${CGVM_SYSTEMD_ARGS:-}"
  printf 'SYSTEMD_MASK=%q\n' "${CGVM_SYSTEMD_MASK:-}"
} > "$CTL/config"
export -p | grep -Ev '^declare -x (PWD|OLDPWD|SHLVL|_|HOSTNAME|TMPDIR|INVOCATION_ID|JOURNAL_STREAM|SYSTEMD_EXEC_PID|DBUS_[A-Z_]+|XDG_RUNTIME_DIR|NOTIFY_SOCKET|LISTEN_[A-Z]+)=' > "$CTL/env.sh"
{
  echo "read -r up _ < /proc/uptime; echo \$up > /run/cgvm/ctl/t_cmd"
  echo '. /run/cgvm/ctl/env.sh'
  printf 'cd %q || exit 125\n' "$CWD"
  printf 'exec'; printf ' %q' "$@"; echo
} > "$CTL/cmd.sh"

# --- qemu ------------------------------------------------------------------
# "pc" (i440fx) + virtio-pci. "-M microvm" boots ~0.5 s faster but hangs in
# about 1 boot out of 3 under TCG (TSC calibration), so it is not used.
MACHINE="${CGVM_MACHINE:-pc}"
P9DEV=virtio-9p-pci
KERNEL="${CGVM_KERNEL:-$CGVM_DIR/vmlinux}"; [ -s "$KERNEL" ] || KERNEL="$CGVM_DIR/vmlinuz"
# Software emulation (TCG) unless CGVM_ACCEL asks for more: qemu with KVM died
# on an MSR assertion on the machine this was adapted on, while TCG is proven.
CGVM_ACCEL="${CGVM_ACCEL:--accel tcg,thread=multi -cpu max}"
Q=("$QEMU" -machine "$MACHINE" ${CGVM_QEMU_EXTRA:-} $CGVM_ACCEL
   -smp "$SMP" -m "$MEM" -nodefaults -no-user-config -nographic -no-reboot
   -pidfile "$CTL/qemu.pid" -kernel "$KERNEL" -initrd "$CGVM_DIR/initramfs.cpio.gz"
   -chardev "file,id=ser0,path=$CTL/serial.log" -serial chardev:ser0
   -device virtio-serial-pci
   -chardev "file,id=cout,path=$CTL/stdout.fifo"
   -device virtserialport,chardev=cout,name=cgvm.stdout
   -chardev "file,id=cerr,path=$CTL/stderr.fifo"
   -device virtserialport,chardev=cerr,name=cgvm.stderr
   -device virtio-rng-pci
   -blockdev driver=null-co,node-name=null0,size=1073741824,read-zeroes=on
   -device virtio-blk-pci,drive=null0,serial=cgvm-null
   -fsdev "local,id=ctl,path=$CTL,security_model=none"
   -device "$P9DEV,fsdev=ctl,mount_tag=cgvmctl")
# the host's / , read-only (enforced by qemu: readonly=on)
Q+=(-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap
    -device "$P9DEV,fsdev=hostroot,mount_tag=hostroot")
i=0
for d in "${RW[@]+"${RW[@]}"}"; do
  Q+=(-fsdev "local,id=rw$i,path=$d,security_model=none,multidevs=remap" -device "$P9DEV,fsdev=rw$i,mount_tag=rw$i")
  i=$((i+1))
done
KCMD="console=ttyS0 quiet loglevel=4 panic=-1 rdinit=/init cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1 $APPEND"

# The guest's stdout/stderr ports go through FIFOs to cat(1), which write to
# our own fds (qemu reopening /proc/self/fd/N would get its own file offset and
# clobber a regular file that we also write to).
mkfifo "$CTL/stdout.fifo" "$CTL/stderr.fifo"
cat "$CTL/stdout.fifo" & C1=$!
cat "$CTL/stderr.fifo" >&2 & C2=$!
t0=$(date +%s.%N)
timeout -k 5 "$TIMEOUT" "${Q[@]}" -append "$KCMD" < /dev/null &
QPID=$!
if [ "$VERBOSE" = 1 ]; then
  tail -n +1 -F --pid="$QPID" "$CTL/serial.log" >&2 2>/dev/null & TPID=$!
fi
wait "$QPID"; qrc=$?
# qemu is gone; a cat still blocked in open() (qemu never opened its FIFO) is
# released by opening the FIFO once for writing
for f in stdout stderr; do
  c=$C1; [ $f = stderr ] && c=$C2
  kill -0 "$c" 2>/dev/null && timeout 2 sh -c ': > "$1"' _ "$CTL/$f.fifo"
done
wait "$C1" "$C2" 2>/dev/null; C1=""; C2=""
[ -n "$TPID" ] && { wait "$TPID" 2>/dev/null; TPID=""; }
t1=$(date +%s.%N)
if [ -s "$CTL/rc" ]; then
  rc=$(cat "$CTL/rc")
  tcmd=$(stat -c %.Y "$CTL/t_cmd" 2>/dev/null)
  if [ "${CGVM_TIMES:-0}" = 1 ]; then
    echo "run.sh: wall $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}")s, to cmd start $(awk "BEGIN{printf \"%.2f\", $tcmd - $t0}")s; guest uptime at cmd start $(cat "$CTL/t_cmd" 2>/dev/null)s, at end $(cat "$CTL/t_end" 2>/dev/null)s" >&2
  fi
  exit "$rc"
fi
started=0; [ -e "$CTL/t_cmd" ] && started=1
if [ "$qrc" = 137 ] || [ "$qrc" = 124 ]; then
  echo "run.sh: VM timed out after ${TIMEOUT}s ($([ $started = 1 ] && echo "while CMD ran" || echo "before CMD started")); serial log tail:" >&2
  tail -n 20 "$CTL/serial.log" 2>/dev/null | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' >&2; echo >&2
  [ $started = 1 ] && exit 124 || exit 125
fi
echo "run.sh: VM ended (qemu rc $qrc) without a result $([ $started = 1 ] && echo "while CMD ran" || echo "before CMD started"); serial log tail:" >&2
[ -s "$CTL/fatal" ] && cat "$CTL/fatal" >&2
tail -n 40 "$CTL/serial.log" 2>/dev/null | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' >&2; echo >&2
[ $started = 1 ] && exit 123
exit 125
