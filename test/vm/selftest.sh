#!/bin/bash
# (Copied unchanged from the shared recipe ../shared/cgv2-vm/selftest.sh; see test/vm/README.md.)
# selftest.sh - runs INSIDE the guest (./run.sh ./selftest.sh): exercises the
# cgroup v2 controllers and prints what the files say. Exit 0 = all checks ok.
set -u
CG=/sys/fs/cgroup
T=$CG/cgvm-selftest
fail=0
ok()   { echo "ok   - $*"; }
bad()  { echo "FAIL - $*"; fail=1; }
check() { local d="$1"; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }

echo "# kernel $(uname -r), $(nproc) cpus, $(awk '/MemTotal/{print $2" kB"}' /proc/meminfo)"
check "cgroup2 mounted at $CG" test "$(stat -f -c %T $CG)" = cgroup2fs
check "no v1 hierarchy mounted" test -z "$(awk '$3=="cgroup"' /proc/mounts)"
echo "# root cgroup.controllers:    $(cat $CG/cgroup.controllers)"
echo "# root cgroup.subtree_control: $(cat $CG/cgroup.subtree_control)"
for c in cpu cpuset memory io pids hugetlb; do
  check "controller $c available and enabled at root" grep -qw $c $CG/cgroup.subtree_control
done
echo "# /proc/self/cgroup: $(cat /proc/self/cgroup)"

rmdir $T/a $T/b $T/pidlim $T/oom $T 2>/dev/null
mkdir $T && echo "+cpu +cpuset +memory +io +pids +hugetlb" > $T/cgroup.subtree_control
check "child subtree_control" test "$(cat $T/cgroup.subtree_control)" = "cpuset cpu io memory hugetlb pids"
mkdir $T/a $T/b
check "cpuset.cpus.effective (a) = $(cat $T/a/cpuset.cpus.effective)" test -n "$(cat $T/a/cpuset.cpus.effective)"
echo 0 > $T/b/cpuset.cpus && check "cpuset.cpus=0 on b" test "$(cat $T/b/cpuset.cpus.effective)" = 0

# --- memory: a process in a/ touches 64 MiB of anon memory ----------------
echo "max" > $T/a/memory.max; echo 200M > $T/a/memory.high
node -e '
  const fs=require("fs"); fs.writeFileSync(process.argv[1]+"/cgroup.procs", String(process.pid));
  const b=Buffer.alloc(64<<20, 1);            // 64 MiB anon, touched
  const t=Date.now(); let x=0; while(Date.now()-t<1500) x+=Math.sqrt(x+1);   // 1.5 s of CPU
  const r=f=>fs.readFileSync(process.argv[1]+"/"+f,"utf8").trim();
  console.log("# in-cgroup /proc/self/cgroup:", fs.readFileSync("/proc/self/cgroup","utf8").trim());
  console.log("# memory.current while running:", r("memory.current"));
  console.log("# memory.stat anon:", r("memory.stat").split("\n").find(l=>l.startsWith("anon ")));
  console.log("# pids.current:", r("pids.current"));
  if (b[12345]!==1) process.exit(9);
' $T/a
check "node ran inside a/" test $? = 0
mc=$(cat $T/a/memory.peak 2>/dev/null || echo 0)
echo "# memory.peak: $mc"
check "memory.peak >= 64 MiB" test "$mc" -ge $((64<<20))
usage=$(awk '/usage_usec/{print $2}' $T/a/cpu.stat)
echo "# cpu.stat:"; sed 's/^/#   /' $T/a/cpu.stat
check "cpu.stat usage_usec >= 1.0 s ($usage)" test "$usage" -ge 1000000
echo "# memory.events: $(tr '\n' ' ' < $T/a/memory.events)"
echo "# memory.pressure: $(head -1 $T/a/memory.pressure)"
echo "# cpu.pressure:    $(head -1 $T/a/cpu.pressure)"
echo "# io.pressure:     $(head -1 $T/a/io.pressure)"
check "*.pressure files present" test -r $T/a/cpu.pressure -a -r $T/a/memory.pressure -a -r $T/a/io.pressure
check "root cpu.stat exists" test -r $CG/cpu.stat

# --- cpu.max: 10 ms per 100 ms period, burn 1 s of wall time in b/ ----------
echo "10000 100000" > $T/b/cpu.max; echo 50 > $T/b/cpu.weight
bash -c "echo \$\$ > $T/b/cgroup.procs; exec timeout 1 sh -c 'while :; do :; done'"
echo "# cpu.stat (b, cpu.max=10000 100000): $(grep -E 'usage_usec|nr_throttled' $T/b/cpu.stat | tr '\n' ' ')"
check "cpu.max throttles (nr_throttled > 0)" grep -q '^nr_throttled [1-9]' $T/b/cpu.stat
echo "max 100000" > $T/b/cpu.max

# --- io: direct reads from the null disk (/dev/vda) in b/ --------------------
if [ -b /dev/vda ]; then
  majmin=$(cat /sys/block/vda/dev)
  bash -c "echo \$\$ > $T/b/cgroup.procs; exec dd if=/dev/vda of=/dev/null bs=1M count=32 iflag=direct status=none"
  echo "# io.stat (b): $(cat $T/b/io.stat)"
  check "io.stat has rbytes for $majmin" grep -q "^$majmin rbytes=33554432" $T/b/io.stat
  echo "$majmin rbps=8388608" > $T/b/io.max
  s=$(date +%s%N)
  bash -c "echo \$\$ > $T/b/cgroup.procs; exec dd if=/dev/vda of=/dev/null bs=1M count=16 skip=64 iflag=direct status=none"
  ms=$(( ($(date +%s%N)-s)/1000000 ))
  echo "# io.max rbps=8M: 16 MiB read took ${ms} ms"
  check "io.max throttles reads (>= 1.5 s)" test $ms -ge 1500
  echo "$majmin rbps=max" > $T/b/io.max
else
  bad "no /dev/vda"
fi

# --- pids.max ---------------------------------------------------------------
mkdir $T/pidlim; echo 3 > $T/pidlim/pids.max
out=$(bash -c "echo \$\$ > $T/pidlim/cgroup.procs; for i in 1 2 3 4 5; do sleep 1 & done; wait" 2>&1)
echo "# pids.events: $(cat $T/pidlim/pids.events)"
check "pids.max enforced (fork failed)" grep -q 'max [1-9]' $T/pidlim/pids.events

# --- memory.max -> OOM kill ---------------------------------------------------
mkdir $T/oom; echo 32M > $T/oom/memory.max; echo 0 > $T/oom/memory.swap.max 2>/dev/null
( bash -c "echo \$\$ > $T/oom/cgroup.procs; exec node -e 'const a=[]; for(;;) a.push(Buffer.alloc(1<<20,1))'"; : ) 2>/dev/null
echo "# oom memory.events: $(tr '\n' ' ' < $T/oom/memory.events)"
check "memory.max enforced (oom_kill >= 1)" grep -q '^oom_kill [1-9]' $T/oom/memory.events

# --- hugetlb ------------------------------------------------------------------
echo 8 > /proc/sys/vm/nr_hugepages
echo "# nr_hugepages: $(cat /proc/sys/vm/nr_hugepages); files: $(cd $T/a && ls -d hugetlb.* | tr '\n' ' ')"
check "hugetlb.2MB.current exists" test -r $T/a/hugetlb.2MB.current
echo 4194304 > $T/a/hugetlb.2MB.max
mkdir -p /dev/hugepages/t
python3 - "$T/a" <<'EOF' 2>&1 | sed 's/^/# /'
import mmap, os, sys
open(sys.argv[1] + "/cgroup.procs", "w").write(str(os.getpid()))
fd = os.open("/dev/hugepages/t/f", os.O_CREAT | os.O_RDWR)
os.ftruncate(fd, 2 << 20)
m = mmap.mmap(fd, 2 << 20); m[0:1] = b"x"
print("hugetlb.2MB.current with 1 page:", open(sys.argv[1] + "/hugetlb.2MB.current").read().strip())
open("/run/cgvm-hugetlb", "w").write(open(sys.argv[1] + "/hugetlb.2MB.current").read())
m.close(); os.close(fd)
EOF
check "hugetlb.2MB.current = 2097152 with one page mapped" test "$(cat /run/cgvm-hugetlb 2>/dev/null)" = 2097152
rm -rf /dev/hugepages/t; echo 0 > /proc/sys/vm/nr_hugepages

# --- freeze / kill ------------------------------------------------------------
mkdir $T/fz; (echo $BASHPID > $T/fz/cgroup.procs; exec sleep 30) & sp=$!
sleep 0.3; echo 1 > $T/fz/cgroup.freeze; sleep 0.3
check "cgroup.freeze -> frozen 1" grep -q 'frozen 1' $T/fz/cgroup.events
echo 1 > $T/fz/cgroup.kill; wait $sp 2>/dev/null
check "cgroup.kill emptied the cgroup" test -z "$(cat $T/fz/cgroup.procs)"

# --- cleanup ------------------------------------------------------------------
for d in fz oom pidlim b a; do rmdir $T/$d || bad "rmdir $d"; done
rmdir $T || bad "rmdir $T"
[ $fail = 0 ] && echo "SELFTEST OK" || echo "SELFTEST FAILED"
exit $fail
