'use strict';
// stats() on the recorded and derived trees of test/fixtures/trees (README there): the numbers the kernel wrote
// (v1-real, recorded on this machine's kernel) and the cases the derived trees exercise, through the public API.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const cgmgr = require('../../dist');
const { tmpdir, write } = require('./fixtures/trees');

const TREES = path.join(__dirname, '..', 'fixtures', 'trees');
const tree = (name) => path.join(TREES, name);
const CTR = 'cgmgr-rec/ctr';
const POD = 'kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice';
const C1 = `${POD}/crio-5f1a3c9e2b7d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f.scope`;
const C2 = `${POD}/crio-0c7e2a4b6d8f1a3c5e7b9d0f2a4c6e8b1d3f5a7c9e0b2d4f6a8c1e3b5d7f9a0c.scope`;
const MAX = 2n ** 64n - 1n;

let noProc;
t.before(() => { noProc = fs.mkdtempSync('/tmp/cgmgr-noproc-'); });
t.teardown(() => fs.rmSync(noProc, { recursive: true, force: true }));
const opts = (name, extra = {}) => ({ root: tree(name), procRoot: noProc, hugePageSizes: [], ...extra });
const big = (name, p = CTR, extra = {}) => cgmgr.statsSync(p, { ...opts(name, extra), bigint: true });

t.test('v1-real: every CRI-O field as the README of the recording lists it', async (t) => {
  const s = big('v1-real');
  t.equal(s.version, 1);
  t.same(s.memory, {
    usage: 38387712n, cache: 4194304n, limit: 268435456n, maxUsage: 67698688n, workingSetBytes: 34193408n,
    rssBytes: 33767424n, pageFaults: 0n, majorPageFaults: 0n, availableBytes: 268435456n - 34193408n, kernelUsage: 188416n,
    kernelTCPUsage: 0n, swapUsage: 38387712n, swapLimit: 536870912n, swapAvailableBytes: 536870912n - 38387712n,
    fileMapped: 0n, failcnt: 0n, psi: null,
  });
  t.same(s.cpu, {
    totalUsageNano: 1121611892n, perCPUUsage: [762947275n, 358664617n], usageInKernelmode: 430000000n,
    usageInUsermode: 680000000n, throttlingActivePeriods: 27n, throttledPeriods: 20n, throttledTime: 320265891n, psi: null,
  });
  t.same(s.pid, {
    current: 1n, limit: 64n, pids: [11106], fileDescriptors: 0n, sockets: 0n, threads: 1n, threadsMax: 64n, ulimitsSoft: 0n,
  });
  const ops = ['Read', 'Write', 'Sync', 'Async', 'Discard', 'Total'];
  t.same(s.diskIO.ioServiced, [32n, 48n, 80n, 0n, 0n, 80n].map((value, i) => ({ major: 7n, minor: 0n, op: ops[i], value })));
  t.same(s.diskIO.ioServiceBytes, [2097152n, 3145728n, 5242880n, 0n, 0n, 5242880n].map((value, i) => ({ major: 7n, minor: 0n, op: ops[i], value })));
  t.same(s.hugetlb, {}, 'no hugetlb hierarchy in the recording');
  t.same(s.absent, ['cpu.psi', 'diskIO.psi', 'hugetlb', 'memory.majorPageFaults', 'memory.pageFaults', 'memory.psi']);
  t.type(s.systemNano, 'bigint');
  t.ok(s.systemNano > BigInt(Date.now() - 60000) * 1000000n, 'systemNano is wall-clock ns');

  const n = cgmgr.statsSync(CTR, opts('v1-real'));
  t.equal(n.memory.usage, 38387712);
  t.same(n.cpu.perCPUUsage, [762947275, 358664617]);
  t.type(n.systemNano, 'number');
  const a = await cgmgr.stats(CTR, opts('v1-real'));
  t.same({ ...a, systemNano: 0 }, { ...n, systemNano: 0 }, 'async and sync agree');
  t.equal(big('v1-real', `/${CTR}/`).memory.usage, 38387712n, 'leading and trailing slashes are accepted');
});

t.test('v1-real: the parent with the kernel\'s "unlimited" values, and the extras', async (t) => {
  const s = big('v1-real', 'cgmgr-rec', { controllers: ['memory', 'memoryEvents', 'pids'] });
  t.equal(s.memory.limit, 9223372036854771712n, 'v1 unlimited is reported as the kernel wrote it');
  t.equal(s.memory.availableBytes, 0n, 'and counts as unlimited (Q-13)');
  t.equal(s.pid.limit, 0n, 'pids.max "max" -> 0');
  t.same(s.memoryEvents, { low: 0n, high: 0n, max: 0n, oom: 0n, oomKill: 0n, oomGroupKill: 0n });
  for (const f of ['low', 'high', 'max', 'oom', 'oomGroupKill']) t.ok(s.absent.includes(`memoryEvents.${f}`), `v1 has no ${f} counter`);
  t.notOk(s.absent.includes('memoryEvents.oomKill'), 'oom_kill from memory.oom_control');
  t.ok(s.absent.includes('cpu.totalUsageNano'), 'cpu not asked for: absent');
  t.equal(s.pid.pids, null, 'process not asked for');
  t.ok(s.absent.includes('pid.pids'));

  const psi = big('v1-real', CTR, { controllers: ['psi'] });
  t.not(psi.cpu.psi, null, 'hybrid host: PSI from the unified hierarchy when asked for explicitly');
  t.equal(psi.cpu.psi.some.total, BigInt(/some .*total=(\d+)/.exec(fs.readFileSync(tree('v1-real/unified/cgmgr-rec/ctr/cpu.pressure'), 'utf8'))[1]));
  t.equal(big('v1-real').cpu.psi, null, 'but not by default (CRI-O reports no PSI on v1)');
});

t.test('v1-comounted: cpu,cpuacct in one directory gives the same CPU numbers', async (t) => {
  t.same(big('v1-comounted').cpu, big('v1-real').cpu);
});

t.test('v1-nomemsw: no swap accounting, SwapUsage/SwapLimit 0 and absent', async (t) => {
  const s = big('v1-nomemsw');
  t.equal(s.memory.swapUsage, 0n);
  t.equal(s.memory.swapLimit, 0n);
  t.equal(s.memory.usage, 38387712n);
  for (const f of ['swapUsage', 'swapLimit', 'swapAvailableBytes']) t.ok(s.absent.includes(`memory.${f}`));
});

t.test('v1-negative: a negative single value parses as 0, working set clamps', async (t) => {
  const s = big('v1-negative');
  t.equal(s.memory.usage, 0n);
  t.equal(s.memory.workingSetBytes, 0n);
  t.equal(s.memory.availableBytes, 268435456n);
});

t.test('v1-long-memory-stat: values beyond int64, exact in bigint mode', async (t) => {
  const kv = Object.fromEntries(fs.readFileSync(tree(`v1-long-memory-stat/memory/${CTR}/memory.stat`), 'utf8').trim().split('\n').map((l) => l.split(' ')));
  const s = big('v1-long-memory-stat');
  t.equal(s.memory.rssBytes, BigInt(kv.total_rss));
  t.equal(s.memory.cache, BigInt(kv.cache));
  t.equal(s.memory.fileMapped, BigInt(kv.total_mapped_file));
  const inactive = BigInt(kv.total_inactive_file);
  t.equal(s.memory.workingSetBytes, 38387712n > inactive ? 38387712n - inactive : 0n);
});

t.test('v1-empty: an empty cpuset.cpus fails the whole v1 read, as in CRI-O', async (t) => {
  const err = await cgmgr.stats(CTR, opts('v1-empty')).then(() => undefined, (e) => e);
  t.ok(err instanceof cgmgr.CgroupError);
  t.equal(err.code, 'ERR_CGROUP_PARSE');
  t.match(err.message, /^unable to parse .*\/cpuset\/cgmgr-rec\/ctr\/cpuset\.cpus: empty file$/);
  t.equal(err.partial.memory.usage, 38387712, 'the partial result carries what was read');
  t.same(err.errors, [err]);
  const s = big('v1-empty', CTR, { controllers: cgmgr.DEFAULT_CONTROLLERS[1] & ~cgmgr.CONTROLLERS.cpuset });
  t.equal(s.pid.pids, null, 'empty cgroup.procs -> no pids');
  t.equal(s.pid.fileDescriptors, 0n);
});

t.test('v1-malformed: the library\'s parse errors, v1 stops at the first', async (t) => {
  t.throws(() => cgmgr.statsSync(CTR, opts('v1-malformed')), {
    code: 'ERR_CGROUP_PARSE', message: /^unable to parse .*\/memory\/cgmgr-rec\/ctr\/memory\.stat: line "rss_huge" is not in "key value" format$/,
  }, 'memory is visited before cpuacct');
  try {
    cgmgr.statsSync(CTR, opts('v1-malformed'));
  } catch (err) {
    t.equal(err.errors.length, 1, 'v1: one error');
    t.ok(err.partial.absent.includes('memory.usage'), 'a controller that failed is absent as a whole');
    t.equal(err.partial.cpu.throttledPeriods, 20, 'the other controllers are in the partial result');
  }
  t.throws(() => cgmgr.statsSync('cgmgr-rec/ctr-cpuacct', opts('v1-malformed')), {
    code: 'ERR_CGROUP_PARSE', message: /^unable to parse .*\/cpuacct\.stat: malformed line: usr 68/,
  });
});

t.test('v1-missing: no memory.stat -> memory zero, no error; no cpuacct directory -> usage 0, throttling read', async (t) => {
  const s = big('v1-missing');
  t.equal(s.memory.usage, 0n);
  t.equal(s.memory.limit, 0n);
  t.equal(s.memory.availableBytes, 0n);
  t.equal(s.cpu.totalUsageNano, 0n);
  t.equal(s.cpu.perCPUUsage, null);
  t.equal(s.cpu.throttledPeriods, 20n);
  for (const f of ['memory.usage', 'memory.limit', 'cpu.totalUsageNano', 'cpu.perCPUUsage']) t.ok(s.absent.includes(f), `${f} absent`);
  t.notOk(s.absent.includes('cpu.throttledPeriods'));
});

t.test('v1-blkio-families: the first family whose first file has entries wins', async (t) => {
  const ops = (list) => list.map((e) => `${e.op}=${e.value}`).join(' ');
  const want = 'Read=32 Write=48 Sync=80 Async=0 Discard=0 Total=80';
  const wantBytes = 'Read=2097152 Write=3145728 Sync=5242880 Async=0 Discard=0 Total=5242880';
  for (const c of ['ctr', 'ctr-bfq-total0']) {
    const s = big('v1-blkio-families', `cgmgr-rec/${c}`, { controllers: ['io'] });
    t.equal(ops(s.diskIO.ioServiced), want, `${c}: throttle recursive family`);
    t.equal(ops(s.diskIO.ioServiceBytes), wantBytes);
  }
  const base = big('v1-blkio-families', 'cgmgr-rec/ctr-throttle-rec-total0', { controllers: ['blkio'] });
  const text = fs.readFileSync(tree('v1-blkio-families/blkio/cgmgr-rec/ctr-throttle-rec-total0/blkio.throttle.io_serviced'), 'utf8');
  t.equal(base.diskIO.ioServiced.length, text.trim().split('\n').filter((l) => !/^Total /.test(l)).length, 'non-recursive throttle family');
  const second = big('v1-blkio-families', 'cgmgr-rec/ctr-second-missing', { controllers: ['io'] });
  t.equal(ops(second.diskIO.ioServiced), want, 'first file read');
  t.same(second.diskIO.ioServiceBytes, [], 'second missing: empty, no error');
  t.notOk(second.absent.includes('diskIO.ioServiceBytes'), 'empty is data (the family exists), not absent');
});

t.test('v1 blkio: bfq debug and cfq families read their intermediate files only when in use', async (t) => {
  const root = tmpdir(t);
  const dir = path.join(root, 'blkio', 'ctr');
  for (const h of ['memory', 'devices']) fs.mkdirSync(path.join(root, h, 'ctr'), { recursive: true });
  const lines = (op) => `8:0 Read ${op}\n8:0 Write ${op}\nTotal ${2 * op}\n`;
  for (const f of ['sectors_recursive', 'io_service_time_recursive', 'io_wait_time_recursive', 'io_merged_recursive',
    'io_queued_recursive', 'time_recursive']) write(path.join(dir, `blkio.${f}`), lines(1));
  write(path.join(dir, 'blkio.io_serviced_recursive'), lines(5));
  write(path.join(dir, 'blkio.io_service_bytes_recursive'), lines(4096));
  write(path.join(dir, 'blkio.throttle.io_serviced_recursive'), lines(9));
  const s = cgmgr.statsSync('ctr', { root, version: 1, controllers: ['io'], bigint: true });
  t.same(s.diskIO.ioServiced.map((e) => e.value), [5n, 5n], 'cfq family');
  t.same(s.diskIO.ioServiceBytes.map((e) => e.value), [4096n, 4096n]);
  // An intermediate file with no data lines ends the read: the lists stay empty, no error (the library's behaviour).
  write(path.join(dir, 'blkio.io_merged_recursive'), 'Total 0\n');
  const ended = cgmgr.statsSync('ctr', { root, version: 1, controllers: ['io'], bigint: true });
  t.same(ended.diskIO.ioServiced, []);
  // A malformed intermediate file fails the read.
  write(path.join(dir, 'blkio.io_merged_recursive'), '8:0 Read\n');
  t.throws(() => cgmgr.statsSync('ctr', { root, version: 1, controllers: ['io'] }), { code: 'ERR_CGROUP_PARSE', message: /io_merged_recursive/ });
  // A malformed first file only skips its family.
  write(path.join(dir, 'blkio.sectors_recursive'), 'garbage\n');
  const skipped = cgmgr.statsSync('ctr', { root, version: 1, controllers: ['io'], bigint: true });
  t.same(skipped.diskIO.ioServiced.map((e) => e.value), [9n, 9n], 'cfq skipped, throttle recursive used');
  t.same(skipped.diskIO.ioServiceBytes, [], 'its second file is missing: empty, no error');
});

function fileKV(p) {
  return Object.fromEntries(fs.readFileSync(p, 'utf8').trim().split('\n').map((l) => l.split(' ')).map(([k, v]) => [k, BigInt(v)]));
}

t.test('v2-full: the container, every controller', async (t) => {
  const dir = tree(`v2-full/${C1}`);
  const stat = fileKV(path.join(dir, 'memory.stat'));
  const s = big('v2-full', C1, { hugePageSizes: ['2MB', '1GB'], controllers: [...Object.keys(cgmgr.CONTROLLERS)] });
  t.equal(s.version, 2);
  t.same(s.memory.usage, 153092096n);
  t.same(s.memory.limit, 536870912n);
  t.same(s.memory.maxUsage, 201326592n);
  t.equal(s.memory.cache, stat.file);
  t.equal(s.memory.rssBytes, stat.anon);
  t.equal(s.memory.workingSetBytes, 153092096n - stat.inactive_file);
  t.equal(s.memory.availableBytes, 536870912n - (153092096n - stat.inactive_file));
  t.equal(s.memory.pageFaults, 312845n);
  t.equal(s.memory.majorPageFaults, 118n);
  t.equal(s.memory.fileMapped, stat.file_mapped);
  t.equal(s.memory.swapUsage, 2097152n, 'v2 swap usage is swap only');
  t.equal(s.memory.swapLimit, MAX, 'memory.swap.max "max"');
  t.equal(s.memory.kernelUsage, 0n);
  const cpu = fileKV(path.join(dir, 'cpu.stat'));
  t.equal(s.cpu.totalUsageNano, cpu.usage_usec * 1000n, 'µs -> ns');
  t.equal(s.cpu.usageInUsermode, cpu.user_usec * 1000n);
  t.equal(s.cpu.usageInKernelmode, cpu.system_usec * 1000n);
  t.equal(s.cpu.perCPUUsage, null);
  t.equal(s.cpu.psi.some.avg10, 0.42);
  t.equal(s.pid.current, 3n);
  t.equal(s.pid.limit, 0n, 'pids.max "max" -> 0');
  t.same(s.pid.pids, [4242, 4250]);
  t.same(s.hugetlb, { '2MB': { usage: 6291456n, max: 0n }, '1GB': { usage: 0n, max: 0n } }, 'rsvd.current preferred');
  t.same(s.diskIO.ioServiced.map((e) => `${e.major}:${e.minor} ${e.op} ${e.value}`).sort(),
    ['253:0 Read 97', '253:0 Write 320', '8:0 Read 97', '8:0 Write 512']);
  t.same(s.memoryEvents, { low: 0n, high: 0n, max: 0n, oom: 0n, oomKill: 0n, oomGroupKill: 0n });
  t.same(s.absent, ['cpu.perCPUUsage', 'hugetlb.1GB.max', 'hugetlb.2MB.max', 'memory.failcnt', 'memory.kernelTCPUsage', 'memory.kernelUsage']);
  const n = cgmgr.statsSync(C1, opts('v2-full', { hugePageSizes: ['2MB'] }));
  t.equal(n.memory.swapLimit, Infinity, 'max is Infinity as a number');
  t.equal(n.memory.swapAvailableBytes, Infinity);
  t.same(Object.keys(n.hugetlb), ['2MB']);
});

t.test('v2-full: the pod slice lists no pids of its own (PROC-4), the root cgroup is emulated from /proc/meminfo', async (t) => {
  const pod = big('v2-full', POD);
  t.equal(pod.pid.pids, null);
  t.equal(pod.pid.current, 3n, 'pids.current is hierarchical');
  t.equal(pod.memory.limit, 1073741824n);
  const proc = tmpdir(t, 'cgmgr-proc-');
  write(path.join(proc, 'meminfo'), 'MemTotal:       16384000 kB\nSwapTotal:        1000 kB\nSwapFree:          400 kB\n');
  const root = cgmgr.statsSync('/', { root: tree('v2-full'), procRoot: proc, hugePageSizes: [], bigint: true });
  const stat = fileKV(tree('v2-full/memory.stat'));
  t.equal(root.memory.usage, stat.anon + stat.file, 'usage = anon + file');
  t.equal(root.memory.limit, MAX);
  t.equal(root.memory.availableBytes, 0n);
  t.equal(root.memory.swapUsage, 600n * 1024n, '(SwapTotal - SwapFree) * 1024');
  t.equal(root.memory.swapLimit, MAX);
  t.ok(root.absent.includes('memory.maxUsage'));
  t.notOk(root.absent.includes('memory.usage'), 'emulated usage is data');
});

t.test('v2-nopids: Current from the newline count of cgroup.procs, Limit 0 and absent', async (t) => {
  const s = big('v2-nopids', C1);
  t.equal(s.pid.current, 3n);
  t.equal(s.pid.limit, 0n);
  t.ok(s.absent.includes('pid.limit'));
  t.ok(s.absent.includes('pid.threadsMax'));
  t.notOk(s.absent.includes('pid.current'));
});

t.test('v2-old-kernel: no memory.peak -> MaxUsage 0; no rsvd files -> hugetlb from .current', async (t) => {
  const s = big('v2-old-kernel', C1, { hugePageSizes: ['2MB', '1GB'] });
  t.equal(s.memory.maxUsage, 0n);
  t.ok(s.absent.includes('memory.maxUsage'));
  t.equal(s.hugetlb['2MB'].usage, 4194304n);
});

t.test('v2-noswap: no swap accounting: SwapUsage 0, SwapLimit = memory.max (CRI-O), both absent', async (t) => {
  const s = big('v2-noswap', C1);
  t.equal(s.memory.swapUsage, 0n);
  t.equal(s.memory.swapLimit, 536870912n);
  t.ok(s.absent.includes('memory.swapUsage'));
  t.ok(s.absent.includes('memory.swapLimit'));
});

t.test('v2-limits: numeric limits everywhere', async (t) => {
  const s = big('v2-limits', C1);
  t.equal(s.memory.limit, 268435456n);
  t.equal(s.memory.swapLimit, 268435456n + 134217728n);
  t.equal(s.pid.threadsMax, 100n);
  t.equal(s.cpu.throttlingActivePeriods, 1204n);
  t.equal(s.cpu.throttledPeriods, 85n);
  t.equal(s.cpu.throttledTime, 4123456000n);
});

t.test('v2-unified-real: a cgroup2 hierarchy without controllers (this host\'s)', async (t) => {
  const s = big('v2-unified-real');
  t.equal(s.version, 2);
  t.ok(s.cpu.totalUsageNano > 0n, 'cpu.stat core keys exist without the cpu controller');
  t.not(s.cpu.psi, null);
  t.not(s.memory.psi, null);
  t.not(s.diskIO.psi, null);
  t.equal(s.pid.current, 1n, 'newline count of cgroup.procs');
  for (const f of ['memory.usage', 'memory.limit', 'memory.workingSetBytes', 'cpu.throttledPeriods', 'pid.limit',
    'diskIO.ioServiced', 'hugetlb']) t.ok(s.absent.includes(f), `${f} absent`);
  for (const f of ['cpu.totalUsageNano', 'cpu.usageInUsermode', 'cpu.psi', 'memory.psi', 'pid.current']) t.notOk(s.absent.includes(f), `${f} present`);
});

t.test('v2-real: the container as a real v2 kernel wrote it, every field as the README of the recording lists it', async (t) => {
  const dir = tree(`v2-real/${CTR}`);
  const stat = fileKV(path.join(dir, 'memory.stat'));
  const s = big('v2-real', CTR, { hugePageSizes: ['2MB', '1GB'], controllers: [...Object.keys(cgmgr.CONTROLLERS)] });
  t.equal(s.version, 2);
  t.same(s.memory, {
    usage: 49553408n, cache: 12562432n, limit: 268435456n, maxUsage: 49610752n, workingSetBytes: 49553408n - 12169216n,
    rssBytes: 36569088n, pageFaults: 2392n, majorPageFaults: 22n, availableBytes: 268435456n - (49553408n - 12169216n),
    kernelUsage: 0n, kernelTCPUsage: 0n, swapUsage: 0n, swapLimit: 268435456n + 268435456n, swapAvailableBytes: 536870912n,
    fileMapped: 8134656n, failcnt: 0n,
    psi: { some: { avg10: 0, avg60: 0, avg300: 0, total: 0n }, full: { avg10: 0, avg60: 0, avg300: 0, total: 0n } },
  });
  t.equal(s.memory.cache, stat.file, 'cache = file');
  t.equal(s.memory.rssBytes, stat.anon, 'rss = anon');
  t.equal(s.memory.fileMapped, stat.file_mapped, 'file_mapped');
  t.same(s.cpu, {
    totalUsageNano: 4851904000n, perCPUUsage: null, usageInKernelmode: 2638408000n, usageInUsermode: 2213495000n,
    throttlingActivePeriods: 101n, throttledPeriods: 93n, throttledTime: 3989783000n,
    psi: { some: { avg10: 2.58, avg60: 4.17, avg300: 1.24, total: 3740539n }, full: { avg10: 2.58, avg60: 4.17, avg300: 1.24, total: 3727650n } },
  });
  t.same(s.pid, { current: 1n, limit: 64n, pids: [172], fileDescriptors: 0n, sockets: 0n, threads: 1n, threadsMax: 64n, ulimitsSoft: 0n });
  t.same(s.diskIO.ioServiceBytes, [{ major: 254n, minor: 0n, op: 'Read', value: 11796480n }, { major: 254n, minor: 0n, op: 'Write', value: 3145728n }]);
  t.same(s.diskIO.ioServiced, [{ major: 254n, minor: 0n, op: 'Read', value: 71n }, { major: 254n, minor: 0n, op: 'Write', value: 48n }]);
  t.equal(s.diskIO.psi.some.total, 64534n);
  t.same(s.hugetlb, { '2MB': { usage: 4194304n, max: 0n }, '1GB': { usage: 0n, max: 0n } }, 'rsvd.current (2 pages mapped), not current (1 touched)');
  t.equal(fs.readFileSync(path.join(dir, 'hugetlb.2MB.current'), 'utf8'), '2097152\n');
  t.same(s.memoryEvents, { low: 0n, high: 0n, max: 0n, oom: 0n, oomKill: 0n, oomGroupKill: 0n });
  t.same(s.absent, ['cpu.perCPUUsage', 'hugetlb.1GB.max', 'hugetlb.2MB.max', 'memory.failcnt', 'memory.kernelTCPUsage', 'memory.kernelUsage']);
  const n = cgmgr.statsSync(CTR, opts('v2-real'));
  t.equal(n.memory.limit, 268435456);
  t.equal(n.cpu.throttledTime, 3989783000);
  t.same({ ...(await cgmgr.stats(CTR, opts('v2-real'))), systemNano: 0 }, { ...n, systemNano: 0 }, 'async and sync agree');
});

t.test('v2-real: a real OOM kill in memory.events; the parent with the kernel\'s "max"; the root from /proc/meminfo', async (t) => {
  const oom = big('v2-real', 'cgmgr-rec/oom', { controllers: ['memory', 'memoryEvents', 'pids'] });
  t.same(oom.memoryEvents, { low: 0n, high: 0n, max: 78n, oom: 1n, oomKill: 1n, oomGroupKill: 0n }, 'oom 1, oom_kill 1');
  t.equal(oom.memory.limit, 33554432n);
  t.equal(oom.memory.swapLimit, 33554432n, 'memory.swap.max 0: memory.max + 0');
  t.equal(oom.pid.current, 0n, 'the killed process is gone');

  const parent = big('v2-real', 'cgmgr-rec', { controllers: ['memory', 'cpu', 'pids', 'io'] });
  t.equal(parent.memory.limit, MAX, 'memory.max "max"');
  t.equal(parent.memory.availableBytes, 0n);
  t.equal(parent.memory.swapLimit, MAX);
  t.equal(parent.pid.limit, 0n, 'pids.max "max" -> 0');
  t.equal(parent.pid.current, 1n, 'pids.current is hierarchical');
  t.equal(parent.pid.pids, null, 'no processes of its own (PROC-4)');
  t.equal(parent.cpu.throttledPeriods, 0n, 'cpu.max "max 100000": never throttled');
  t.same(parent.diskIO.ioServiceBytes.map((e) => e.value), [11796480n, 3145728n], 'io.stat is hierarchical');
  t.equal(cgmgr.statsSync('cgmgr-rec', opts('v2-real')).memory.limit, Infinity, '"max" is Infinity as a number');

  const proc = tmpdir(t, 'cgmgr-proc-');
  write(path.join(proc, 'meminfo'), 'MemTotal:        2000000 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n');
  const root = cgmgr.statsSync('/', { root: tree('v2-real'), procRoot: proc, hugePageSizes: [], bigint: true });
  const stat = fileKV(tree('v2-real/memory.stat'));
  t.equal(root.memory.usage, stat.anon + stat.file, 'no memory.current on the root: usage = anon + file');
  t.equal(root.memory.limit, MAX);
  t.equal(root.memory.swapUsage, 0n);
  t.ok(root.cpu.totalUsageNano > 0n, 'the root cpu.stat');
  t.equal(root.pid.pids.length, fs.readFileSync(tree('v2-real/cgroup.procs'), 'utf8').trim().split('\n').length);
});

t.test('bad arguments', async (t) => {
  t.throws(() => cgmgr.statsSync('../etc', opts('v1-real')), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => cgmgr.statsSync(CTR, opts('v1-real', { controllers: ['nope'] })), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => cgmgr.statsSync(CTR, opts('v1-real', { controllers: -1 })), { code: 'ERR_INVALID_ARG_VALUE' });
  await t.rejects(cgmgr.stats(42, opts('v1-real')), { code: 'ERR_INVALID_ARG_VALUE' });
  t.equal(cgmgr.controllerMask(['blkio'], 1), cgmgr.CONTROLLERS.io, "'blkio' is 'io'");
});
