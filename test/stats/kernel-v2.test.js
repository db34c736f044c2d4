'use strict';
// stats() on a real cgroup v2 host (unified mode, controllers enabled): skipped on this machine kind (v1 hybrid); runs
// in the qemu guest of test/vm (`npm run test:v2`; test/v2/stats.test.js has throttling, io, PSI, hugetlb). A cgroup
// of our own with memory, cpu, pids, io (and hugetlb) enabled, a worker moved in before it allocates 64 MiB and burns
// 0.5 s of CPU; every field against the kernel's files and physics; the root cgroup's /proc/meminfo emulation.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const cgmgr = require('../../dist');
const { ROOT, realKernelSkipReason, makeSubtree } = require('../helpers/cgroups');
const { MiB, ALLOC, BURN_MS, startWorker } = require('./fixtures/worker');

const skip = realKernelSkipReason();
const isV2 = !skip && fs.existsSync(path.join(ROOT, 'cgroup.controllers'));
const rootControllers = isV2 ? fs.readFileSync(path.join(ROOT, 'cgroup.subtree_control'), 'utf8').split(/\s+/).filter(Boolean) : [];
const WANT = ['memory', 'cpu', 'pids', 'io'];
const opts = {
  skip: skip ?? (!isV2 ? 'not a cgroup v2 (unified) host' : WANT.every((c) => rootControllers.includes(c)) ? false
    : `the root does not delegate ${WANT.filter((c) => !rootControllers.includes(c)).join(', ')}`),
  timeout: 600000,
};

const kv = (file) => Object.fromEntries(fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split(/\s+/)).map(([k, v]) => [k, v]));
const int = (file) => fs.readFileSync(file, 'utf8').trim();

t.test('v2: a process of our own, every field against the kernel and physics', opts, async (t) => {
  const sub = makeSubtree(t, ['']);
  sub.mkdir();
  const enable = rootControllers.filter((c) => [...WANT, 'hugetlb'].includes(c));
  fs.writeFileSync(sub.dir('', 'cgroup.subtree_control'), enable.map((c) => `+${c}`).join(' '));
  sub.mkdir('ctr');
  const dir = (f) => sub.dir('', `ctr/${f}`);
  fs.writeFileSync(dir('memory.max'), String(256 * MiB));
  fs.writeFileSync(dir('pids.max'), '64');
  const { child } = await startWorker(sub, [dir('cgroup.procs')]);
  const p = `${sub.name}/ctr`;

  const s = await cgmgr.stats(p, { bigint: true, controllers: [...Object.keys(cgmgr.CONTROLLERS)] });
  t.equal(s.version, 2);
  const stat = kv(dir('memory.stat'));
  const usage = s.memory.usage;
  t.ok(usage >= BigInt(ALLOC), `usage ${usage} >= the ${ALLOC} bytes allocated after the move`);
  const kUsage = BigInt(int(dir('memory.current')));
  t.ok(usage - kUsage < BigInt(MiB) && kUsage - usage < BigInt(MiB), 'usage = memory.current');
  t.equal(s.memory.limit, BigInt(256 * MiB), 'limit = memory.max');
  t.ok(s.memory.rssBytes >= BigInt(ALLOC - MiB), 'rss (anon) holds the allocation');
  t.ok(Math.abs(Number(s.memory.rssBytes) - Number(stat.anon)) <= MiB, 'rss = memory.stat anon');
  t.ok(Math.abs(Number(s.memory.workingSetBytes) - (Number(kUsage) - Number(stat.inactive_file))) <= MiB, 'working set = memory.current - inactive_file');
  t.equal(s.memory.availableBytes, s.memory.limit - s.memory.workingSetBytes);
  if (fs.existsSync(dir('memory.peak'))) t.ok(s.memory.maxUsage >= usage - BigInt(MiB), 'max usage = memory.peak >= usage');
  // (Not ≥ ALLOC / 4096: with transparent huge pages one fault maps 2 MiB.)
  t.ok(s.memory.pageFaults > 0n && s.memory.pageFaults <= BigInt(kv(dir('memory.stat')).pgfault), 'page faults = memory.stat pgfault');
  t.equal(s.memory.kernelUsage, 0n, 'never set on v2');
  if (fs.existsSync(dir('memory.swap.current'))) {
    t.equal(s.memory.swapUsage, BigInt(int(dir('memory.swap.current'))), 'swap only (v2)');
    const swapMax = int(dir('memory.swap.max'));
    t.equal(s.memory.swapLimit, swapMax === 'max' ? 2n ** 64n - 1n : BigInt(swapMax) + BigInt(256 * MiB));
  }

  const burnt = BigInt(BURN_MS) * 1000000n;
  const cpu = kv(dir('cpu.stat'));
  t.ok(s.cpu.totalUsageNano >= burnt * 9n / 10n, `cpu ${s.cpu.totalUsageNano} ns >= ~${burnt} ns burnt`);
  t.ok(BigInt(cpu.usage_usec) * 1000n - s.cpu.totalUsageNano < 200000000n && s.cpu.totalUsageNano <= BigInt(cpu.usage_usec) * 1000n, 'usage_usec × 1000');
  t.equal(s.cpu.usageInUsermode + s.cpu.usageInKernelmode <= s.cpu.totalUsageNano + 1000000n, true, 'user + system <= total');
  t.equal(s.cpu.perCPUUsage, null);
  t.equal(s.cpu.throttlingActivePeriods, BigInt(cpu.nr_periods ?? 0));
  t.not(s.cpu.psi, null, 'cpu.pressure');
  t.not(s.memory.psi, null, 'memory.pressure');
  t.not(s.diskIO.psi, null, 'io.pressure');

  const threads = Number(/Threads:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]);
  t.equal(s.pid.current, BigInt(int(dir('pids.current'))));
  t.equal(Number(s.pid.current), threads, 'pids.current counts the worker\'s threads');
  t.equal(s.pid.limit, 64n);
  t.same(s.pid.pids, [child.pid]);
  t.equal(s.pid.fileDescriptors, BigInt(fs.readdirSync(`/proc/${child.pid}/fd`).length));
  t.equal(s.memoryEvents.oomKill, BigInt(kv(dir('memory.events')).oom_kill));
  t.type(s.diskIO.ioServiced, Array);
  for (const size of Object.keys(s.hugetlb)) t.equal(s.hugetlb[size].max, 0n, `hugetlb ${size}: v2 has no max usage`);
  for (const f of ['memory.usage', 'memory.limit', 'memory.rssBytes', 'cpu.totalUsageNano', 'pid.current', 'pid.limit']) {
    t.notOk(s.absent.includes(f), `${f} is data`);
  }
  t.comment(`absent: ${s.absent.join(' ')}`);

  const n = cgmgr.statsSync(p);
  t.equal(n.memory.limit, 256 * MiB);
  t.equal(cgmgr.statsSync(sub.name).memory.limit, Infinity, 'memory.max "max" is Infinity as a number');
});

t.test('v2: the root cgroup is emulated from /proc/meminfo', opts, async (t) => {
  const s = cgmgr.statsSync('/', { bigint: true, controllers: ['memory'] });
  const stat = kv(path.join(ROOT, 'memory.stat'));
  const anonFile = BigInt(stat.anon) + BigInt(stat.file);
  t.ok(s.memory.usage > 0n);
  t.ok(s.memory.usage - anonFile < 64n * BigInt(MiB) && anonFile - s.memory.usage < 64n * BigInt(MiB), 'usage = anon + file');
  t.equal(s.memory.limit, 2n ** 64n - 1n);
  t.equal(s.memory.availableBytes, 0n);
  const mi = fs.readFileSync('/proc/meminfo', 'utf8');
  const swapUsed = (BigInt(/SwapTotal:\s+(\d+)/.exec(mi)[1]) - BigInt(/SwapFree:\s+(\d+)/.exec(mi)[1])) * 1024n;
  t.equal(s.memory.swapUsage, swapUsed, '(SwapTotal - SwapFree) × 1024');
});
