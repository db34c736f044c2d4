'use strict';
// stats() on real cgroups of this kernel. A cgroup of our own in every hierarchy, a process of our own moved into it
// before it allocates 64 MiB and burns 0.5 s of CPU; then the numbers are checked against the kernel's files and
// against physics (usage >= what was allocated, CPU >= what was burnt). Then the same cgroup on the unified (v2)
// hierarchy of this hybrid host, which has no controllers enabled: what it has is data, the rest is absent.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const cgmgr = require('../../dist');
const { ROOT, realKernelSkipReason, hierarchyDirs, makeSubtree } = require('../helpers/cgroups');
const { MiB, ALLOC, BURN_MS, startWorker } = require('./fixtures/worker');

const skip = realKernelSkipReason();
const isV1 = !skip && fs.existsSync(path.join(ROOT, 'memory', 'cgroup.procs')) && !fs.existsSync(path.join(ROOT, 'cgroup.controllers'));
const hasUnified = isV1 && fs.existsSync(path.join(ROOT, 'unified', 'cgroup.procs'));
const opts = { skip: skip ?? (isV1 ? false : 'not a cgroup v1 (hybrid) host') };

function kernelInt(file) {
  return Number(fs.readFileSync(file, 'utf8').trim());
}
function kernelKV(file) {
  return Object.fromEntries(fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(/\s+/)).map(([k, v]) => [k, Number(v)]));
}

t.test('v1 hybrid: a process of our own, every field against the kernel and physics', opts, async (t) => {
  const hierarchies = hierarchyDirs();
  const sub = makeSubtree(t, hierarchies);
  sub.mkdir();
  sub.mkdir('ctr');
  fs.writeFileSync(sub.dir('memory', 'ctr/memory.limit_in_bytes'), String(256 * MiB));
  fs.writeFileSync(sub.dir('pids', 'ctr/pids.max'), '64');
  const { child, report } = await startWorker(sub, hierarchies.filter((h) => h !== 'unified' || hasUnified).map((h) => sub.dir(h, 'ctr/cgroup.procs')));
  t.ok(report.x);
  const p = `${sub.name}/ctr`;

  // cpuacct.stat ticks can still move (the idle worker's runtime wakes now and then): bracket the read.
  const acctBefore = kernelKV(sub.dir('cpuacct', 'ctr/cpuacct.stat'));
  const s = await cgmgr.stats(p, { bigint: true });
  const mem = (f) => kernelInt(sub.dir('memory', `ctr/${f}`));
  const memStat = kernelKV(sub.dir('memory', 'ctr/memory.stat'));
  t.equal(s.version, 1, 'a hybrid host is v1, as in CRI-O');

  // Memory: against the kernel (the worker is idle, so the numbers hold still within a page or two) and physics.
  const usage = Number(s.memory.usage);
  t.ok(usage >= ALLOC, `usage ${usage} >= the ${ALLOC} bytes allocated after the move`);
  t.ok(Math.abs(usage - mem('memory.usage_in_bytes')) <= MiB, 'usage = memory.usage_in_bytes');
  t.equal(s.memory.limit, BigInt(256 * MiB));
  t.ok(Number(s.memory.rssBytes) >= ALLOC - MiB, 'rss (total_rss) holds the allocation');
  t.ok(Math.abs(Number(s.memory.rssBytes) - memStat.total_rss) <= MiB, 'rss = total_rss');
  t.ok(Math.abs(Number(s.memory.workingSetBytes) - (mem('memory.usage_in_bytes') - memStat.total_inactive_file)) <= MiB, 'working set = usage - total_inactive_file');
  t.ok(Number(s.memory.workingSetBytes) >= ALLOC - MiB, 'the allocation is in the working set');
  t.equal(s.memory.availableBytes, s.memory.limit - s.memory.workingSetBytes, 'available = limit - working set');
  t.equal(s.memory.maxUsage >= s.memory.usage, true, 'max usage >= usage');
  t.equal(s.memory.fileMapped, BigInt(memStat.total_mapped_file), 'use_hierarchy 1 -> total_mapped_file');
  t.equal(s.memory.pageFaults, 0n, 'v1: no page faults (CRI-O)');
  if (fs.existsSync(sub.dir('memory', 'ctr/memory.memsw.usage_in_bytes'))) {
    t.ok(s.memory.swapUsage >= s.memory.usage - BigInt(MiB), 'v1 swap usage is memory+swap (memsw)');
    t.equal(s.memory.swapLimit, BigInt(mem('memory.memsw.limit_in_bytes')));
  }

  // CPU: the worker burnt >= 0.5 s after the move; cpuacct counts it.
  const burnt = BigInt(BURN_MS) * 1000000n;
  const total = s.cpu.totalUsageNano;
  t.ok(total >= burnt * 9n / 10n, `cpu total ${total} ns >= ~${burnt} ns burnt`);
  t.ok(total < burnt * 20n, 'and not absurdly more');
  const kTotal = BigInt(fs.readFileSync(sub.dir('cpuacct', 'ctr/cpuacct.usage'), 'utf8').trim());
  t.ok(kTotal >= total && kTotal - total < 100000000n, 'total = cpuacct.usage');
  const acct = kernelKV(sub.dir('cpuacct', 'ctr/cpuacct.stat'));
  const between = (v, lo, hi) => v >= BigInt(lo) * 10000000n && v <= BigInt(hi) * 10000000n;
  t.equal(s.cpu.usageInUsermode % 10000000n, 0n, 'user is whole ticks × 10^9 / USER_HZ');
  t.ok(between(s.cpu.usageInUsermode, acctBefore.user, acct.user), 'user = cpuacct.stat user × 10^7 (read between two kernel reads)');
  t.equal(s.cpu.usageInKernelmode % 10000000n, 0n, 'system is whole ticks × 10^7');
  t.ok(between(s.cpu.usageInKernelmode, acctBefore.system, acct.system), 'system = cpuacct.stat system × 10^7 (read between two kernel reads)');
  const sumModes = s.cpu.usageInUsermode + s.cpu.usageInKernelmode;
  t.ok(sumModes > total - 300000000n && sumModes < total + 300000000n, 'user + system ~ total (tick resolution)');
  t.equal(s.cpu.perCPUUsage.length, fs.readFileSync(sub.dir('cpuacct', 'ctr/cpuacct.usage_percpu'), 'utf8').trim().split(/\s+/).length);
  const perSum = s.cpu.perCPUUsage.reduce((a, b) => a + b, 0n);
  t.ok(perSum >= total - 1000000n && perSum <= kTotal + 1000000n, 'per-CPU usage sums to the total');
  t.equal(s.cpu.throttledPeriods, BigInt(kernelKV(sub.dir('cpu', 'ctr/cpu.stat')).nr_throttled));

  // Pids and the process scan.
  const threads = Number(/Threads:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]);
  t.equal(s.pid.current, BigInt(kernelInt(sub.dir('pids', 'ctr/pids.current'))), 'current = pids.current');
  t.equal(Number(s.pid.current), threads, 'pids.current counts the worker\'s threads');
  t.equal(s.pid.limit, 64n);
  t.equal(s.pid.threads, s.pid.current);
  t.equal(s.pid.threadsMax, 64n);
  t.same(s.pid.pids, [child.pid], 'GetPids: the worker (devices/cgroup.procs)');
  const fdDir = `/proc/${child.pid}/fd`;
  const fds = fs.readdirSync(fdDir);
  t.equal(s.pid.fileDescriptors, BigInt(fds.length), 'file descriptors = entries of /proc/<pid>/fd');
  const sockets = fds.filter((f) => { try { return fs.readlinkSync(path.join(fdDir, f)).startsWith('socket'); } catch { return false; } }).length;
  t.equal(s.pid.sockets, BigInt(sockets), 'sockets (the stdio socketpairs node uses)');
  const soft = /Max open files\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/limits`, 'utf8'))[1];
  t.equal(s.pid.ulimitsSoft, BigInt(soft), 'ulimits soft = "Max open files" of the worker');

  t.type(s.diskIO.ioServiced, Array);
  t.equal(s.memory.psi, null, 'no PSI on v1 by default (CRI-O)');
  t.same(s.absent, [...s.absent].sort());

  // The parent is hierarchical; a batch reads both; number mode agrees.
  const [parent, ctr] = await cgmgr.statsMany([sub.name, p], { controllers: ['memory', 'cpu', 'pids', 'memoryEvents', 'psi'] });
  t.ok(parent.ok && ctr.ok);
  t.ok(parent.stats.memory.usage >= ctr.stats.memory.usage - MiB, 'the parent\'s usage includes the child\'s');
  t.ok(parent.stats.cpu.totalUsageNano >= ctr.stats.cpu.totalUsageNano);
  t.equal(parent.stats.memory.limit, 9223372036854771712, 'v1 unlimited as the kernel wrote it');
  t.equal(parent.stats.memory.availableBytes, 0, 'and counted as unlimited (Q-13)');
  t.equal(ctr.stats.memoryEvents.oomKill, 0);
  if (hasUnified) t.not(ctr.stats.cpu.psi, null, 'PSI from the unified hierarchy when asked for');
  const n = cgmgr.statsSync(p);
  t.type(n.memory.usage, 'number');
  t.ok(Math.abs(n.memory.usage - usage) <= MiB);
  t.equal(n.memory.limit, 256 * MiB);

  // The unified hierarchy of this hybrid host, read as a cgroup v2 root: no controllers are enabled there.
  if (hasUnified) {
    t.test('the unified (v2) hierarchy: what it has, and the rest absent', async (t) => {
      const u = await cgmgr.stats(p, { root: path.join(ROOT, 'unified'), bigint: true });
      t.equal(u.version, 2);
      const cpuStat = kernelKV(sub.dir('unified', 'ctr/cpu.stat'));
      t.ok(u.cpu.totalUsageNano >= burnt * 9n / 10n, 'cpu.stat usage_usec counts the burn');
      t.ok(u.cpu.totalUsageNano <= BigInt(cpuStat.usage_usec) * 1000n, 'usage = cpu.stat usage_usec × 1000 (µs -> ns)');
      t.ok(BigInt(cpuStat.usage_usec) * 1000n - u.cpu.totalUsageNano < 100000000n);
      t.equal(u.cpu.usageInUsermode % 1000n, 0n, 'from µs');
      t.not(u.cpu.psi, null, 'cpu.pressure');
      t.not(u.memory.psi, null, 'memory.pressure');
      t.not(u.diskIO.psi, null, 'io.pressure');
      const procsLines = fs.readFileSync(sub.dir('unified', 'ctr/cgroup.procs'), 'utf8').split('\n').length - 1;
      t.equal(u.pid.current, BigInt(procsLines), 'no pids controller: the newline count of cgroup.procs');
      t.same(u.pid.pids, [child.pid]);
      t.equal(u.memory.usage, 0n);
      for (const f of ['memory.usage', 'memory.limit', 'memory.workingSetBytes', 'memory.rssBytes', 'memory.swapUsage',
        'pid.limit', 'pid.threadsMax', 'cpu.throttledPeriods', 'cpu.throttledTime', 'cpu.perCPUUsage',
        'diskIO.ioServiced', 'diskIO.ioServiceBytes', 'hugetlb']) {
        t.ok(u.absent.includes(f), `${f} is absent, not a zero passed off as data`);
      }
      for (const f of ['cpu.totalUsageNano', 'cpu.usageInUsermode', 'cpu.usageInKernelmode', 'cpu.psi', 'memory.psi',
        'diskIO.psi', 'pid.current', 'pid.pids']) {
        t.notOk(u.absent.includes(f), `${f} is data`);
      }
    });
  }
});

t.test('v1 hybrid: a cgroup removed between open and read is an error for that cgroup only', opts, async (t) => {
  const hierarchies = hierarchyDirs();
  const sub = makeSubtree(t, hierarchies);
  sub.mkdir();
  sub.mkdir('a');
  sub.mkdir('b');
  class VanishingEngine extends cgmgr.Engine {
    async read(plan, ids, result) {
      for (const h of hierarchies) fs.rmdirSync(sub.dir(h, 'a'));
      return super.read(plan, ids, result);
    }
  }
  const engine = new VanishingEngine();
  t.teardown(() => engine.destroy());
  const reader = new cgmgr.StatsReader({ engine });
  const [a, b] = await reader.read([`${sub.name}/a`, `${sub.name}/b`]);
  t.equal(a.ok, false);
  t.equal(a.error.code, 'ERR_CGROUP_GONE');
  t.ok(a.error.partial, 'with what was read');
  t.equal(b.ok, true, 'the other cgroup reads on');
  t.equal(b.stats.pid.current, 0);
  t.equal(b.stats.memory.limit, 9223372036854771712);
  // A cgroup that is not there at all: CRI-O's GetPids error (devices/cgroup.procs).
  await t.rejects(cgmgr.stats(`${sub.name}/a`), { code: 'ENOENT', path: path.join(ROOT, 'devices', sub.name, 'a', 'cgroup.procs') });
});

t.test('every cgroup of this machine: CRI-O\'s numbers, or CRI-O\'s error and the numbers of the controllers it has', opts, async (t) => {
  // Read-only: the machine's own cgroups (the root, memory-only groups such as process_api) are only read.
  const paths = cgmgr.listCgroups(cgmgr.discoverHierarchies(), { depth: 2 }).filter((p) => !p.startsWith('cgmgr-'));
  const results = await cgmgr.statsMany(paths);
  for (const r of results) {
    if (r.ok) {
      t.pass(`${r.path || '/'}: read`);
      continue;
    }
    // The library opens pids.current of the pids root (which has none) and devices/<cgroup>/cgroup.procs (GetPids)
    // whether or not the cgroup is there: CRI-O fails the same way.
    t.equal(r.error.code, 'ENOENT', `${r.path || '/'}: ${r.error.message}`);
    t.match(r.error.path, r.path === '' ? /^\/sys\/fs\/cgroup\/pids\/pids\.current$/ : /^\/sys\/fs\/cgroup\/devices\/.*\/cgroup\.procs$/);
    t.ok(r.error.partial, 'with the partial result');
    const usageFile = path.join(ROOT, 'memory', r.path, 'memory.usage_in_bytes');
    const controllers = { controllers: ['memory', 'cpu', 'io', 'hugetlb', 'memoryEvents'], bigint: true };
    if (!fs.existsSync(usageFile)) {
      t.ok(await cgmgr.stats(r.path, controllers), `${r.path || '/'}: the controllers it has read`);
      continue;
    }
    // A live counter (the root's is the whole machine's, moving by megabytes on a busy host): the value read must lie
    // between two reads of the kernel's file made around it — retried until one read is bracketed, since the counter
    // can move both ways in between; a wrong file or formula is never bracketed.
    const slack = BigInt(MiB);
    let seen = '';
    let bracketed = false;
    for (let attempt = 0; attempt < 50 && !bracketed; attempt++) {
      const k0 = BigInt(fs.readFileSync(usageFile, 'utf8').trim());
      const s = await cgmgr.stats(r.path, controllers);
      const k1 = BigInt(fs.readFileSync(usageFile, 'utf8').trim());
      const lo = k0 < k1 ? k0 : k1;
      const hi = k0 < k1 ? k1 : k0;
      bracketed = s.memory.usage + slack >= lo && s.memory.usage <= hi + slack;
      seen = `${s.memory.usage} between reads of memory.usage_in_bytes ${k0} and ${k1}`;
    }
    t.ok(bracketed, `${r.path || '/'}: memory usage ${seen}`);
  }
});
