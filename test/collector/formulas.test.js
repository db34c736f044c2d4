'use strict';
// One set of formulas: for every row of a bigint sweep, EVERY collector column is checked against stats(row) of the
// same row (the CgroupStats field it equals, by the formula written here next to it), or, for the columns CgroupStats
// has no field for (spec values, memory.stat keys CRI-O drops), against the cgroup's own file. A column with no check
// here fails the test, and so does a column whose source key or file was renamed (it would read as absent while the
// CgroupStats field is present). Recorded trees v1/v2 (test/fixtures/trees) and real cgroups of this kernel.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { StatsCollector, FIELDS, ROW_STATUS } = require('../../dist/collector');
const { Engine, listCgroups } = require('../../dist');
const { ROOT, realKernelSkipReason, makeSubtree } = require('../helpers/cgroups');

const TREES = path.join(__dirname, '..', 'fixtures', 'trees');
const MAXU64 = (1n << 64n) - 1n;

/** A cgroup file's text, or undefined when it is not there (v1: in the controller's hierarchy). */
function fileText(root, version, controller, cg, name) {
  const p = version === 2 ? path.join(root, cg, name) : path.join(root, controller, cg, name);
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

const u64 = (s) => (s === undefined ? undefined : s.trim() === 'max' ? MAXU64 : /^-/.test(s.trim()) ? 0n : BigInt(s.trim()));
function statKey(text, key) {
  if (text === undefined) return undefined;
  const line = text.split('\n').find((l) => l.startsWith(key + ' '));
  return line === undefined ? undefined : BigInt(line.slice(key.length + 1).trim());
}
const sum = (entries, op) => entries.filter((e) => e.op === op).reduce((a, e) => a + e.value, 0n);
const sub0 = (a, b) => (a > b ? a - b : 0n);

/** A field of cpu.max ("max" is unlimited), or undefined when the file is not there. */
function cpuMax(text, i) {
  if (text === undefined) return undefined;
  const f = text.trim().split(/\s+/);
  return f[i] === 'max' ? MAXU64 : BigInt(f[i]);
}

/** The memory.stat detail columns: [column, v1 key or undefined (absent on v1), v2 key]. */
const DETAIL = [
  ['memory_dirty_bytes', 'total_dirty', 'file_dirty'],
  ['memory_writeback_bytes', 'total_writeback', 'file_writeback'],
  ['memory_shmem_bytes', 'total_shmem', 'shmem'],
  ['memory_slab_bytes', undefined, 'slab'],
  ['memory_slab_reclaimable_bytes', undefined, 'slab_reclaimable'],
  ['memory_slab_unreclaimable_bytes', undefined, 'slab_unreclaimable'],
  ['memory_sock_bytes', undefined, 'sock'],
  ['memory_pgscan', undefined, 'pgscan'],
  ['memory_pgsteal', undefined, 'pgsteal'],
  ['memory_workingset_refault_anon', 'total_workingset_refault_anon', 'workingset_refault_anon'],
  ['memory_workingset_refault_file', 'total_workingset_refault_file', 'workingset_refault_file'],
];
const detail = (version) => Object.fromEntries(DETAIL.map(([col, k1, k2]) => {
  const key = version === 1 ? k1 : k2;
  return [col, key === undefined ? ['absent'] : ['file', (f) => statKey(f('memory', 'memory.stat'), key)]];
}));

/** The start time cAdvisor's GetSpec gives a cgroup: the lowest mtime of its directories and of cgroup.clone_children
 * (v1) / cgroup.events (v2) in them, as whole ms, not before boot. Written here from stat(2), independently of
 * lib/collector/start-time.ts. */
function expectedStartMs(root, version, cg) {
  const dirs = version === 2 ? [[path.join(root, cg), 'cgroup.events']]
    : fs.readdirSync(root).map((h) => [path.join(root, h, cg), h === 'unified' ? 'cgroup.events' : 'cgroup.clone_children']);
  let lowest = Infinity;
  for (const [dir, file] of dirs) {
    let d;
    try { d = fs.statSync(dir); } catch { continue; }
    if (!d.isDirectory()) continue;
    lowest = Math.min(lowest, d.mtimeMs);
    try { lowest = Math.min(lowest, fs.statSync(path.join(dir, file)).mtimeMs); } catch { /* not there */ }
  }
  const btime = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))[1]) * 1000;
  return lowest === Infinity ? undefined : BigInt(Math.floor(Math.max(lowest, btime)));
}

/**
 * Per version, per column: [kind, expected(stats, file)] where kind 'stats' takes the CgroupStats of the row and
 * `absent(field)` says whether that field is absent; kind 'file' reads the cgroup's file (`file(controller, name)`).
 * `undefined` as the expected value means the column must be absent.
 */
const CHECKS = {
  1: {
    cpu_usage_ns: ['stats', (s) => s.cpu.totalUsageNano, 'cpu.totalUsageNano'],
    cpu_user_ns: ['stats', (s) => s.cpu.usageInUsermode, 'cpu.usageInUsermode'],
    cpu_system_ns: ['stats', (s) => s.cpu.usageInKernelmode, 'cpu.usageInKernelmode'],
    cpu_periods: ['stats', (s) => s.cpu.throttlingActivePeriods, 'cpu.throttlingActivePeriods'],
    cpu_throttled_periods: ['stats', (s) => s.cpu.throttledPeriods, 'cpu.throttledPeriods'],
    cpu_throttled_ns: ['stats', (s) => s.cpu.throttledTime, 'cpu.throttledTime'],
    memory_usage_bytes: ['stats', (s) => s.memory.usage, 'memory.usage'],
    memory_working_set_bytes: ['stats', (s) => s.memory.workingSetBytes, 'memory.workingSetBytes'],
    memory_rss_bytes: ['stats', (s) => s.memory.rssBytes, 'memory.rssBytes'],
    memory_cache_bytes: ['file', (f) => statKey(f('memory', 'memory.stat'), 'total_cache')],
    // v1 CgroupStats swapUsage is memory+swap (memsw): the column is the swap part.
    memory_swap_bytes: ['stats', (s) => sub0(s.memory.swapUsage, s.memory.usage), 'memory.swapUsage'],
    memory_mapped_file_bytes: ['stats', (s) => s.memory.fileMapped, 'memory.fileMapped'],
    memory_kernel_bytes: ['stats', (s) => s.memory.kernelUsage, 'memory.kernelUsage'],
    memory_max_usage_bytes: ['stats', (s) => s.memory.maxUsage, 'memory.maxUsage'],
    memory_failcnt: ['stats', (s) => s.memory.failcnt, 'memory.failcnt'],
    memory_pgfault: ['file', (f) => statKey(f('memory', 'memory.stat'), 'total_pgfault')],
    memory_pgmajfault: ['file', (f) => statKey(f('memory', 'memory.stat'), 'total_pgmajfault')],
    memory_active_file_bytes: ['file', (f) => statKey(f('memory', 'memory.stat'), 'total_active_file')],
    memory_inactive_file_bytes: ['file', (f) => statKey(f('memory', 'memory.stat'), 'total_inactive_file')],
    pids_current: ['stats', (s) => s.pid.current, 'pid.current'],
    // CgroupStats says 0 for "max" (CRI-O); the column says unlimited.
    pids_limit: ['stats', (s) => (s.pid.limit === 0n ? MAXU64 : s.pid.limit), 'pid.limit'],
    processes: ['file', (f) => { const x = f('memory', 'cgroup.procs'); return x === undefined ? undefined : BigInt(x.split('\n').length - 1); }],
    // The process figures only with processMetrics (test/collector/process-figures.test.js).
    file_descriptors: ['absent'],
    sockets: ['absent'],
    io_read_bytes: ['stats', (s) => sum(s.diskIO.ioServiceBytes, 'Read'), 'diskIO.ioServiceBytes'],
    io_write_bytes: ['stats', (s) => sum(s.diskIO.ioServiceBytes, 'Write'), 'diskIO.ioServiceBytes'],
    io_read_ops: ['stats', (s) => sum(s.diskIO.ioServiced, 'Read'), 'diskIO.ioServiced'],
    io_write_ops: ['stats', (s) => sum(s.diskIO.ioServiced, 'Write'), 'diskIO.ioServiced'],
    psi_cpu_some_us: ['stats', (s) => s.cpu.psi?.some.total, 'cpu.psi'],
    psi_cpu_full_us: ['stats', (s) => s.cpu.psi?.full.total, 'cpu.psi'],
    psi_memory_some_us: ['stats', (s) => s.memory.psi?.some.total, 'memory.psi'],
    psi_memory_full_us: ['stats', (s) => s.memory.psi?.full.total, 'memory.psi'],
    psi_io_some_us: ['stats', (s) => s.diskIO.psi?.some.total, 'diskIO.psi'],
    psi_io_full_us: ['stats', (s) => s.diskIO.psi?.full.total, 'diskIO.psi'],
    memory_events_high: ['absent'],
    memory_events_max: ['absent'],
    oom_kill: ['stats', (s) => s.memoryEvents?.oomKill, 'memoryEvents.oomKill'],
    memory_limit_bytes: ['stats', (s) => s.memory.limit, 'memory.limit'],
    memory_swap_limit_bytes: ['stats', (s) => s.memory.swapLimit, 'memory.swapLimit'],
    memory_reservation_bytes: ['file', (f) => u64(f('memory', 'memory.soft_limit_in_bytes'))],
    cpu_shares: ['file', (f) => u64(f('cpu', 'cpu.shares'))],
    cpu_quota_us: ['file', (f) => { const q = u64(f('cpu', 'cpu.cfs_quota_us')); return q === 0n ? MAXU64 : q; }],
    cpu_period_us: ['file', (f) => u64(f('cpu', 'cpu.cfs_period_us'))],
    // memory.stat detail: v1's hierarchical total_* keys where v1 has them; no slab, sock, pgscan, pgsteal on v1.
    ...detail(1),
    // Lifetime: not in CgroupStats or a file's content; checked against stat(2) and the sample time.
    start_time_ms: ['lifetime'],
    last_seen_ms: ['lifetime'],
  },
  2: {
    cpu_usage_ns: ['stats', (s) => s.cpu.totalUsageNano, 'cpu.totalUsageNano'],
    cpu_user_ns: ['stats', (s) => s.cpu.usageInUsermode, 'cpu.usageInUsermode'],
    cpu_system_ns: ['stats', (s) => s.cpu.usageInKernelmode, 'cpu.usageInKernelmode'],
    cpu_periods: ['stats', (s) => s.cpu.throttlingActivePeriods, 'cpu.throttlingActivePeriods'],
    cpu_throttled_periods: ['stats', (s) => s.cpu.throttledPeriods, 'cpu.throttledPeriods'],
    cpu_throttled_ns: ['stats', (s) => s.cpu.throttledTime, 'cpu.throttledTime'],
    memory_usage_bytes: ['stats', (s) => s.memory.usage, 'memory.usage'],
    memory_working_set_bytes: ['stats', (s) => s.memory.workingSetBytes, 'memory.workingSetBytes'],
    memory_rss_bytes: ['stats', (s) => s.memory.rssBytes, 'memory.rssBytes'],
    memory_cache_bytes: ['stats', (s) => s.memory.cache, 'memory.cache'],
    memory_swap_bytes: ['stats', (s) => s.memory.swapUsage, 'memory.swapUsage'],
    memory_mapped_file_bytes: ['stats', (s) => s.memory.fileMapped, 'memory.fileMapped'],
    memory_kernel_bytes: ['file', (f) => statKey(f('memory', 'memory.stat'), 'kernel')],
    memory_max_usage_bytes: ['stats', (s) => s.memory.maxUsage, 'memory.maxUsage'],
    memory_failcnt: ['absent'],
    memory_pgfault: ['stats', (s) => s.memory.pageFaults, 'memory.pageFaults'],
    memory_pgmajfault: ['stats', (s) => s.memory.majorPageFaults, 'memory.majorPageFaults'],
    memory_active_file_bytes: ['file', (f) => statKey(f('memory', 'memory.stat'), 'active_file')],
    memory_inactive_file_bytes: ['file', (f) => statKey(f('memory', 'memory.stat'), 'inactive_file')],
    pids_current: ['stats', (s) => s.pid.current, 'pid.current'],
    pids_limit: ['stats', (s) => (s.pid.limit === 0n ? MAXU64 : s.pid.limit), 'pid.limit'],
    processes: ['file', (f) => { const x = f('', 'cgroup.procs'); return x === undefined ? undefined : BigInt(x.split('\n').length - 1); }],
    // The process figures only with processMetrics (test/collector/process-figures.test.js).
    file_descriptors: ['absent'],
    sockets: ['absent'],
    io_read_bytes: ['stats', (s) => sum(s.diskIO.ioServiceBytes, 'Read'), 'diskIO.ioServiceBytes'],
    io_write_bytes: ['stats', (s) => sum(s.diskIO.ioServiceBytes, 'Write'), 'diskIO.ioServiceBytes'],
    io_read_ops: ['stats', (s) => sum(s.diskIO.ioServiced, 'Read'), 'diskIO.ioServiced'],
    io_write_ops: ['stats', (s) => sum(s.diskIO.ioServiced, 'Write'), 'diskIO.ioServiced'],
    psi_cpu_some_us: ['stats', (s) => s.cpu.psi?.some.total, 'cpu.psi'],
    psi_cpu_full_us: ['stats', (s) => s.cpu.psi?.full.total, 'cpu.psi'],
    psi_memory_some_us: ['stats', (s) => s.memory.psi?.some.total, 'memory.psi'],
    psi_memory_full_us: ['stats', (s) => s.memory.psi?.full.total, 'memory.psi'],
    psi_io_some_us: ['stats', (s) => s.diskIO.psi?.some.total, 'diskIO.psi'],
    psi_io_full_us: ['stats', (s) => s.diskIO.psi?.full.total, 'diskIO.psi'],
    memory_events_high: ['stats', (s) => s.memoryEvents?.high, 'memoryEvents.high'],
    memory_events_max: ['stats', (s) => s.memoryEvents?.max, 'memoryEvents.max'],
    oom_kill: ['stats', (s) => s.memoryEvents?.oomKill, 'memoryEvents.oomKill'],
    memory_limit_bytes: ['stats', (s) => s.memory.limit, 'memory.limit'],
    memory_swap_limit_bytes: ['file', (f) => u64(f('memory', 'memory.swap.max'))],
    memory_reservation_bytes: ['file', (f) => u64(f('memory', 'memory.low'))],
    cpu_shares: ['file', (f) => {
      const w = u64(f('cpu', 'cpu.weight'));
      return w === undefined || w < 1n || w > 10000n ? undefined : 2n + ((w - 1n) * 262142n) / 9999n;
    }],
    // cpu.max "<quota|max> <period>": CgroupStats has no quota or period.
    cpu_quota_us: ['file', (f) => cpuMax(f('cpu', 'cpu.max'), 0)],
    cpu_period_us: ['file', (f) => cpuMax(f('cpu', 'cpu.max'), 1)],
    ...detail(2),
    start_time_ms: ['lifetime'],
    last_seen_ms: ['lifetime'],
  },
};

/** v2 root cgroup: memory.current/max do not exist; stats() emulates the usage block from /proc/meminfo. */
const ROOT_EMULATED = new Set(['memory_usage_bytes', 'memory_working_set_bytes', 'memory_swap_bytes', 'memory_limit_bytes',
  'memory_max_usage_bytes']);

t.test('every column has a check, for both versions', async (t) => {
  for (const version of [1, 2]) {
    t.same(Object.keys(CHECKS[version]).sort(), [...FIELDS].sort(), `v${version}: the checks cover FIELDS exactly`);
  }
});

/**
 * Sweeps `paths` with a bigint collector and checks every column of every ok row. `stableFiles(row)` says whether the
 * file checks apply to the row (a live cgroup with processes changes between the sweep and the file read).
 * Returns the number of rows checked.
 */
function checkSweep(t, collector, root, version, paths, stableFiles = () => true) {
  for (const p of paths) collector.add(p);
  const sweep = collector.collect();
  let checked = 0;
  let columnsChecked = 0;
  let uncomparable = 0;
  for (let row = 0; row < sweep.rows; row++) {
    let s;
    try {
      s = sweep.stats(row);
    } catch (err) {
      // stats() fails where the library does; the sweep says why for a malformed file (an error row), and shows a
      // required file that is not there (ENOENT: the library's error) as absent columns of an ok row.
      if (sweep.status[row] === ROW_STATUS.error) t.equal(err.code, sweep.error(row).code, `${sweep.paths[row]}: the same error`);
      else t.equal(err.code, 'ENOENT', `${sweep.paths[row]}: stats() fails on a missing required file: ${err.message}`);
      uncomparable++;
      continue;
    }
    if (sweep.status[row] !== ROW_STATUS.ok) t.fail(`${sweep.paths[row]}: status ${sweep.status[row]} but stats() succeeds`);
    const cg = sweep.paths[row];
    const absent = new Set(s.absent);
    const file = (controller, name) => fileText(root, version, controller, cg, name);
    checked++;
    for (const name of FIELDS) {
      const [kind, f, field] = CHECKS[version][name];
      const got = sweep.get(row, name);
      let want;
      if (kind === 'absent') {
        want = undefined;
      } else if (kind === 'lifetime') {
        want = name === 'last_seen_ms' ? BigInt(Math.floor(sweep.sampleMs[row])) : expectedStartMs(root, version, cg);
      } else if (kind === 'stats' && version === 2 && cg === '/' && ROOT_EMULATED.has(name)) {
        continue; // stats() emulates the v2 root's memory from /proc/meminfo; sweeps read no /proc
      } else if (kind === 'stats') {
        want = absent.has(field) || [...absent].some((a) => field.startsWith(a + '.')) ? undefined : f(s);
      } else {
        if (!stableFiles(row)) continue;
        want = f(file);
      }
      columnsChecked++;
      if (got !== want) t.fail(`${cg} ${name} (${kind}${field ? ' ' + field : ''}): column ${got}, expected ${want}`);
    }
  }
  t.equal(checked + uncomparable, sweep.rows, `${checked} rows compared (${columnsChecked} cells), ${uncomparable} failing in stats()`);
  t.ok(checked > 0 || uncomparable > 0);
  return checked;
}

const trees = fs.readdirSync(TREES).filter((d) => /^v[12]-/.test(d));
for (const tree of trees) {
  t.test(`recorded tree ${tree}: every column of every row against stats(row)`, async (t) => {
    const root = path.join(TREES, tree);
    const engine = new Engine({ root });
    const version = engine.layout.version;
    const paths = listCgroups(engine.layout, { depth: 8 }).map((p) => '/' + p);
    engine.destroy();
    const c = new StatsCollector({ root, bigint: true, oomEvents: false });
    t.teardown(() => c.close());
    checkSweep(t, c, root, version, paths);
  });
}

const skip = realKernelSkipReason();
const isV1 = !skip && fs.existsSync(path.join(ROOT, 'memory', 'cgroup.procs')) && !fs.existsSync(path.join(ROOT, 'cgroup.controllers'));
const H = ['memory', 'cpu', 'cpuacct', 'pids', 'blkio'];

t.test('real kernel (v1): every column of every row against stats(row)', { skip: skip ?? (isV1 ? false : 'not a cgroup v1 (hybrid) host') }, async (t) => {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  for (const x of ['busy', 'idle', 'limited']) sub.mkdir(x);
  fs.writeFileSync(sub.dir('memory', 'limited/memory.limit_in_bytes'), String(64 << 20));
  fs.writeFileSync(sub.dir('pids', 'limited/pids.max'), '20');
  fs.writeFileSync(sub.dir('cpu', 'limited/cpu.cfs_quota_us'), '20000');
  fs.writeFileSync(sub.dir('cpu', 'limited/cpu.shares'), '256');
  const child = sub.spawnSleep();
  await new Promise((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
  for (const h of H) fs.writeFileSync(sub.dir(h, 'busy/cgroup.procs'), String(child.pid));
  const c = new StatsCollector({ bigint: true, oomEvents: false });
  t.teardown(() => c.close());
  const paths = ['', 'busy', 'idle', 'limited'].map((x) => `/${sub.name}${x ? '/' + x : ''}`);
  // The subtree's top and 'busy' hold a live process (memory.stat counters may move between sweep and file read).
  const n = checkSweep(t, c, ROOT, 1, paths, (row) => row >= 2);
  t.equal(n, 4, 'every row read and checked');
});
