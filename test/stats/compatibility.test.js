'use strict';
// Where cgmgr's stats differ from CRI-O v1.35 on purpose (docs/compatibility.md): one test per deviation, named after
// its id. Each shows CRI-O's value (computed here with Go's u64 arithmetic) beside cgmgr's.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const cgmgr = require('../../dist');
const { native } = require('../../dist/native');
const { v1Tree, v2Tree, tmpdir } = require('./fixtures/trees');

const TREES = path.join(__dirname, '..', 'fixtures', 'trees');
const MAX = 2n ** 64n - 1n;
const u64 = (v) => BigInt.asUintN(64, v); // Go's unsigned arithmetic
const POD = 'kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice';
const C2 = `${POD}/crio-0c7e2a4b6d8f1a3c5e7b9d0f2a4c6e8b1d3f5a7c9e0b2d4f6a8c1e3b5d7f9a0c.scope`;

const V2_BASE = {
  'memory.stat': 'anon 52428800\nfile 41943040\ninactive_file 20971520\nfile_mapped 8388608\npgfault 1\npgmajfault 0\n',
  'memory.current': '104857600\n',
  'memory.max': '209715200\n',
  'memory.swap.current': '0\n',
  'memory.swap.max': 'max\n',
  'cpu.stat': 'usage_usec 1\nuser_usec 1\nsystem_usec 0\n',
  'pids.current': '1\n',
  'pids.max': 'max\n',
  'cgroup.procs': '',
};
const read = (root, version, extra = {}) => cgmgr.statsSync('ctr', { root, version, hugePageSizes: [], bigint: true, ...extra });

t.test('Q-13', async (t) => {
  // v1 "unlimited" is 2^63 rounded down to a page, not 2^64-1: CRI-O reports ~9.2e18 bytes available.
  const s = cgmgr.statsSync('cgmgr-rec/ctr', { root: path.join(TREES, 'v1-unlimited'), bigint: true, hugePageSizes: [] });
  t.equal(s.memory.limit, 9223372036854771712n, 'the limit as the kernel wrote it');
  t.equal(s.memory.availableBytes, 0n, 'cgmgr: unlimited -> 0');
  t.equal(9223372036854771712n - s.memory.workingSetBytes, 9223372036820578304n, 'CRI-O: limit - working set');
  t.ok(cgmgr.isMemoryUnlimited(9223372036854771712n, 1));
  t.ok(cgmgr.isMemoryUnlimited(9223372036854710272n, 1), '64 KiB pages');
  t.notOk(cgmgr.isMemoryUnlimited(9223372036854771712n, 2), 'on v2 only max is unlimited');
  t.notOk(cgmgr.isMemoryUnlimited(2n ** 62n, 1));

  // Usage above the limit (possible on v2 after lowering memory.max): CRI-O wraps around to ~1.8e19.
  const root = v2Tree(t, { ...V2_BASE, 'memory.current': '220000000\n', 'memory.stat': 'inactive_file 0\n' });
  const over = read(root, 2);
  t.equal(over.memory.workingSetBytes, 220000000n);
  t.equal(over.memory.availableBytes, 0n, 'cgmgr: clamped at 0');
  t.equal(u64(209715200n - 220000000n), 18446744073699266816n, 'CRI-O: wrapped');
});

t.test('Q-13 (swap)', async (t) => {
  // memory.max "max", memory.swap.max a number: the library's swap.max + memory.max wraps to swap.max - 1.
  const s = cgmgr.statsSync(C2, { root: path.join(TREES, 'v2-limits'), bigint: true, hugePageSizes: [] });
  t.equal(s.memory.limit, MAX);
  t.equal(s.memory.swapLimit, MAX, 'cgmgr: unlimited');
  t.equal(u64(134217728n + MAX), 134217727n, 'CRI-O: 134217727');
  t.equal(cgmgr.statsSync(C2, { root: path.join(TREES, 'v2-limits'), hugePageSizes: [] }).memory.swapLimit, Infinity);
});

t.test('Q-3', async (t) => {
  // Swap used beyond the (lowered) swap limit: swap_available_bytes = SwapLimit - SwapUsage wraps in CRI-O.
  const root = v2Tree(t, { ...V2_BASE, 'memory.max': '100\n', 'memory.swap.max': '0\n', 'memory.swap.current': '1048576\n' });
  const s = read(root, 2);
  t.equal(s.memory.swapLimit, 100n, 'swap.max + memory.max');
  t.equal(s.memory.swapUsage, 1048576n);
  t.equal(s.memory.swapAvailableBytes, 0n, 'cgmgr: clamped at 0');
  t.equal(u64(100n - 1048576n), 18446744073708503140n, 'CRI-O: wrapped');
  // Without a swap problem both agree: the memory limit is "available swap" when swap is off (the quirk, kept).
  const off = read(v2Tree(t, { ...V2_BASE, 'memory.swap.max': '0\n' }), 2);
  t.equal(off.memory.swapAvailableBytes, 209715200n);
});

t.test('Q-13 (no wrap)', async (t) => {
  // (a) v2: memory.swap.current without memory.swap.max leaves the library's SwapUsage zero; CRI-O's
  //     SwapUsage.Usage - Usage then wraps to ~1.8e19. cgmgr clamps at 0.
  const noMax = { ...V2_BASE, 'memory.swap.current': '4096\n' };
  delete noMax['memory.swap.max'];
  const s = read(v2Tree(t, noMax), 2);
  t.equal(s.memory.swapUsage, 0n);
  t.equal(u64(0n - 104857600n), 18446744073604694016n, 'CRI-O: wrapped');
  // (b) v1: cpuacct.stat ticks × 10^9 wraps past 1.8e10 ticks (5.8 CPU-years; the root cgroup of a 192-core node in
  //     11 days). cgmgr computes the product exactly.
  const ticks = 20000000000n;
  const root = v1Tree(t, {
    'cpu,cpuacct/cpuacct.stat': `user ${ticks}\nsystem 0\n`,
    'cpu,cpuacct/cpuacct.usage': '1\n',
    'cpu,cpuacct/cpuacct.usage_percpu': '1 \n',
    'devices/cgroup.procs': '',
  });
  const v1 = read(root, 1, { controllers: ['cpu'] });
  t.equal(v1.cpu.usageInUsermode, ticks * 10000000n, 'cgmgr: ticks × 10^7 exactly');
  t.equal(u64(ticks * 1000000000n) / 100n, 15532559262904483n, 'CRI-O: wrapped before dividing');
});

t.test('Q-18', async (t) => {
  // v2: every controller is read, the errors collected; CRI-O throws the partial stats away, cgmgr hands them over.
  const root = v2Tree(t, {
    ...V2_BASE,
    'memory.stat': 'anon 1\nrss_huge\n',
    'cpu.pressure': 'some avg10=0.50 avg60=x avg300=0.10 total=1\n',
    'pids.current': '7\n',
    'pids.max': '9\n',
  });
  const err = await cgmgr.stats('ctr', { root, version: 2, hugePageSizes: [] }).then(() => undefined, (e) => e);
  t.ok(err instanceof cgmgr.CgroupError);
  t.equal(err.errors.length, 2, 'both errors');
  t.match(err.message, /^error while statting cgroup v2: \[unable to parse \S+\/memory\.stat: line "rss_huge" is not in "key value" format unable to parse \S+\/cpu\.pressure: invalid avg60 PSI value: .*\]$/);
  t.equal(err.partial.pid.current, 7, 'the controllers that were read are in the partial result');
  t.equal(err.partial.pid.limit, 9);
  t.ok(err.partial.absent.includes('memory.usage'));
  t.ok(err.partial.absent.includes('cpu.psi'));
  let syncErr;
  try {
    cgmgr.statsSync('ctr', { root, version: 2, hugePageSizes: [], bigint: true });
  } catch (e) {
    syncErr = e;
  }
  t.equal(syncErr?.partial?.pid.current, 7n, 'statsSync throws the same way, bigint partial');

  // A batch returns a status per cgroup and never fails as a whole.
  const v2full = path.join(TREES, 'v2-full');
  const paths = [POD, `${POD}/nope`, `${POD}/crio-5f1a3c9e2b7d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f.scope`];
  for (const results of [await cgmgr.statsMany(paths, { root: v2full, hugePageSizes: [] }), cgmgr.statsManySync(paths, { root: v2full, hugePageSizes: [] })]) {
    t.same(results.map((r) => r.ok), [true, false, true]);
    t.same(results.map((r) => r.path), paths);
    t.equal(results[0].stats.memory.limit, 1073741824);
    t.equal(results[1].error.code, 'ENOENT');
    t.match(results[1].error.message, /^error while statting cgroup v2: \[ENOENT: no such file or directory, openat '\S+\/nope\/cgroup\.procs'\]$/);
    t.equal(results[1].error.partial, undefined, 'a cgroup that does not exist: nothing read');
    t.equal(results[2].stats.pid.current, 3);
  }

  // A cgroup that disappears between open and read: an error for that cgroup, carrying what was read.
  const gone = v2Tree(t, V2_BASE, { cgroup: 'a' });
  fs.mkdirSync(path.join(gone, 'b'));
  for (const [k, v] of Object.entries(V2_BASE)) fs.writeFileSync(path.join(gone, 'b', k), v);
  class VanishingEngine extends cgmgr.Engine {
    readSync(plan, ids, result) {
      fs.rmSync(path.join(gone, 'a'), { recursive: true, force: true });
      return super.readSync(plan, ids, result);
    }
  }
  const engine = new VanishingEngine({ root: gone, version: 2 });
  t.teardown(() => engine.destroy());
  const reader = new cgmgr.StatsReader({ engine, hugePageSizes: [], procRoot: tmpdir(t) });
  const [a, b] = reader.readSync(['a', 'b']);
  t.equal(a.ok, false);
  t.equal(a.error.code, 'ERR_CGROUP_GONE');
  t.match(a.error.message, /^error while statting cgroup v2: \[cgroup \/a is gone\]$/);
  t.ok(a.error.partial, 'the partial result');
  t.ok(a.error.partial.absent.includes('memory.usage'));
  t.equal(b.ok, true, 'its neighbour reads on');
  t.equal(b.stats.memory.usage, 104857600);
});

t.test('Q-22', async (t) => {
  // CRI-O compares the limit with sysinfo's raw totalram, ignoring mem_unit; cgmgr multiplies by mem_unit.
  const si = native.sysinfo();
  t.equal(si.totalram, si.rawTotalram * BigInt(si.memUnit || 1));
  const memTotal = /MemTotal:\s+(\d+) kB/.exec(fs.readFileSync('/proc/meminfo', 'utf8'))[1];
  t.equal(cgmgr.memLimitGivenSystem(MAX), BigInt(memTotal) * 1024n, 'max -> physical RAM, in bytes (= MemTotal)');
  t.equal(cgmgr.memLimitGivenSystem(Infinity), Number(BigInt(memTotal) * 1024n));
  t.equal(cgmgr.memLimitGivenSystem(4096n), 4096n);
  // A machine with mem_unit 4096 (32-bit, > 4 GiB) reporting 2^20 units: 4 GiB, where CRI-O would say 1 MiB.
  t.equal(cgmgr.memLimitGivenSystem(MAX, { sysinfo: () => ({ totalram: (1n << 20n) * 4096n }) }), 4n << 30n);
  t.throws(() => cgmgr.memLimitGivenSystem(-1n), { code: 'ERR_INVALID_ARG_VALUE' });
});

t.test('F-1', async (t) => {
  // Files the library requires but whose values CRI-O drops are not read (memory.memsw.max_usage_in_bytes,
  // memory.memsw.failcnt, memory.kmem.{max_usage_in_bytes,failcnt,limit_in_bytes}, memory.kmem.tcp.* but usage,
  // hugetlb.<size>.failcnt, cpuacct.usage_all, memory.numa_stat, the cpuset single-value files). CRI-O fails when
  // one of them is missing or malformed while its siblings exist (no kernel writes such a cgroup); cgmgr does not.
  const root = v1Tree(t, {
    'memory/memory.stat': 'cache 0\ntotal_rss 0\ntotal_inactive_file 0\nmapped_file 0\ntotal_mapped_file 0\n',
    'memory/memory.usage_in_bytes': '4096\n',
    'memory/memory.max_usage_in_bytes': '4096\n',
    'memory/memory.failcnt': '0\n',
    'memory/memory.limit_in_bytes': '8192\n',
    'memory/memory.memsw.usage_in_bytes': '4096\n',
    'memory/memory.memsw.limit_in_bytes': '16384\n',
    'memory/memory.memsw.failcnt': 'garbage\n', // CRI-O: unable to parse ... memory.memsw.failcnt
    'memory/memory.use_hierarchy': '1\n',
    'devices/cgroup.procs': '',
  });
  const s = read(root, 1, { controllers: ['memory'] });
  t.equal(s.memory.swapUsage, 4096n);
  t.equal(s.memory.availableBytes, 4096n);
});
