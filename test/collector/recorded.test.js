'use strict';
// StatsCollector on recorded trees (test/fixtures/trees): the layout, every column against the kernel files of the
// tree and against stats() of the same tree (one set of formulas), absent columns as NaN / present = 0 (never 0),
// bigint sweeps, sweeps refilled in place, stats(row) from the sweep and its staleness, and bad input.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const cgmgr = require('../../dist');
const { StatsCollector, Sweep, FIELD, FIELDS, FIELD_COUNT, LAYOUT_VERSION, ROW_STATUS } = require('../../dist/collector');

const TREES = path.join(__dirname, '..', 'fixtures', 'trees');
const V1 = path.join(TREES, 'v1-real');
const V1_CTR = '/cgmgr-rec/ctr';
const V2 = path.join(TREES, 'v2-full');
const V2_POD = '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice';
const V2_CTR = `${V2_POD}/crio-5f1a3c9e2b7d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f.scope`;

const int = (file) => Number(fs.readFileSync(file, 'utf8').trim());
const kv = (file) => Object.fromEntries(fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(/\s+/)).map(([k, v]) => [k, Number(v)]));

t.test('layout: versioned, names unique, FIELD indexes FIELDS', async (t) => {
  t.equal(LAYOUT_VERSION, 2);
  t.equal(FIELDS.length, FIELD_COUNT);
  t.equal(new Set(FIELDS).size, FIELDS.length, 'no duplicate column');
  FIELDS.forEach((f, i) => t.equal(FIELD[f], i, f));
  t.ok(Object.isFrozen(FIELD));
});

t.test('v1 recorded tree: columns against the files and against stats()', async (t) => {
  const c = new StatsCollector({ root: V1 });
  t.teardown(() => c.close());
  c.add(V1_CTR, { name: 'ctr' });
  t.equal(c.size, 1);
  t.ok(c.has('cgmgr-rec/ctr'), 'has() takes the path with or without a leading slash');
  const s = c.collect();
  t.equal(s.rows, 1);
  t.equal(s.status[0], ROW_STATUS.ok);
  t.equal(s.version, 1);
  t.type(s.values, Float64Array);
  const m = (f) => int(path.join(V1, 'memory', V1_CTR, f));
  const ms = kv(path.join(V1, 'memory', V1_CTR, 'memory.stat'));
  const g = (f) => s.get(0, f);
  t.equal(g('memory_usage_bytes'), m('memory.usage_in_bytes'));
  t.equal(g('memory_working_set_bytes'), m('memory.usage_in_bytes') - ms.total_inactive_file);
  t.equal(g('memory_rss_bytes'), ms.total_rss);
  t.equal(g('memory_cache_bytes'), ms.total_cache);
  t.equal(g('memory_swap_bytes'), Math.max(0, m('memory.memsw.usage_in_bytes') - m('memory.usage_in_bytes')));
  t.equal(g('memory_pgfault'), ms.total_pgfault);
  t.equal(g('memory_limit_bytes'), m('memory.limit_in_bytes'));
  t.equal(g('memory_swap_limit_bytes'), m('memory.memsw.limit_in_bytes'));
  t.equal(g('memory_reservation_bytes'), m('memory.soft_limit_in_bytes'));
  t.equal(g('cpu_usage_ns'), int(path.join(V1, 'cpuacct', V1_CTR, 'cpuacct.usage')));
  const acct = kv(path.join(V1, 'cpuacct', V1_CTR, 'cpuacct.stat'));
  t.equal(g('cpu_user_ns'), acct.user * 1e7, 'USER_HZ ticks -> ns');
  t.equal(g('cpu_system_ns'), acct.system * 1e7);
  const cs = kv(path.join(V1, 'cpu', V1_CTR, 'cpu.stat'));
  t.equal(g('cpu_periods'), cs.nr_periods);
  t.equal(g('cpu_throttled_periods'), cs.nr_throttled);
  t.equal(g('cpu_throttled_ns'), cs.throttled_time);
  t.equal(g('cpu_shares'), int(path.join(V1, 'cpu', V1_CTR, 'cpu.shares')));
  t.equal(g('cpu_quota_us'), int(path.join(V1, 'cpu', V1_CTR, 'cpu.cfs_quota_us')));
  t.equal(g('pids_current'), int(path.join(V1, 'pids', V1_CTR, 'pids.current')));
  t.equal(g('pids_limit'), int(path.join(V1, 'pids', V1_CTR, 'pids.max')));
  const procs = fs.readFileSync(path.join(V1, 'memory', V1_CTR, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).length;
  t.equal(g('processes'), procs);
  const blk = fs.readFileSync(path.join(V1, 'blkio', V1_CTR, 'blkio.throttle.io_service_bytes_recursive'), 'utf8')
    .split('\n').map((l) => l.split(' ')).filter((p) => p.length === 3);
  t.equal(g('io_read_bytes'), blk.filter((p) => p[1] === 'Read').reduce((a, p) => a + Number(p[2]), 0));
  t.equal(g('io_write_bytes'), blk.filter((p) => p[1] === 'Write').reduce((a, p) => a + Number(p[2]), 0));
  t.equal(g('oom_kill'), kv(path.join(V1, 'memory', V1_CTR, 'memory.oom_control')).oom_kill);
  t.equal(g('memory_events_high'), undefined, 'no memory.events on v1: absent');
  t.ok(Number.isNaN(s.values[FIELD.memory_events_high]), 'absent is NaN in a number sweep');
  t.equal(s.present[FIELD.memory_events_high], 0);

  const st = cgmgr.statsSync(V1_CTR, { root: V1, controllers: ['memory', 'cpu', 'cpuacct', 'pids'] });
  t.equal(g('memory_working_set_bytes'), st.memory.workingSetBytes, 'same formula as stats()');
  t.equal(g('memory_usage_bytes'), st.memory.usage);
  t.equal(g('cpu_usage_ns'), st.cpu.totalUsageNano);
  t.equal(g('cpu_user_ns'), st.cpu.usageInUsermode);
  t.equal(g('cpu_throttled_ns'), st.cpu.throttledTime);

  const fromSweep = s.stats(0);
  t.equal(fromSweep.memory.workingSetBytes, st.memory.workingSetBytes, 'stats(row) from the sweep matches stats()');
  t.equal(fromSweep.cpu.totalUsageNano, st.cpu.totalUsageNano);
  t.equal(fromSweep.pid.current, st.pid.current);
  t.same(s.rates(0), undefined, 'no rates on a first sample');

  c.collect();
  t.throws(() => s.stats(0), { code: 'ERR_SWEEP_STALE' }, 'the raw data behind stats() is reused by the next sweep');
  t.equal(s.get(0, 'memory_usage_bytes'), m('memory.usage_in_bytes'), 'the sweep\'s own values stay');
});

t.test('v2 recorded tree: two rows, labels, bigint sweep, sweep refilled in place', async (t) => {
  const c = new StatsCollector({ root: V2, bigint: true });
  t.teardown(() => c.close());
  c.add(V2_POD, { name: 'pod' }).add(V2_CTR, { name: 'ctr', container: 'app' });
  const s = c.collect();
  t.type(s.values, BigUint64Array);
  t.equal(s.rows, 2);
  t.same(s.paths, [V2_POD, V2_CTR]);
  t.same(s.labels[1], { name: 'ctr', container: 'app' });
  const dir = path.join(V2, V2_CTR);
  const ms = kv(path.join(dir, 'memory.stat'));
  const cur = BigInt(fs.readFileSync(path.join(dir, 'memory.current'), 'utf8').trim());
  t.equal(s.get(1, 'memory_usage_bytes'), cur);
  t.equal(s.get(1, 'memory_working_set_bytes'), cur - BigInt(ms.inactive_file));
  t.equal(s.get(1, 'cpu_usage_ns'), BigInt(kv(path.join(dir, 'cpu.stat')).usage_usec) * 1000n);
  t.equal(s.get(1, 'memory_swap_limit_bytes'), (1n << 64n) - 1n, '"max" is 2^64-1 in a bigint sweep');
  t.equal(s.get(1, 'pids_limit'), (1n << 64n) - 1n);
  t.equal(s.get(1, 'memory_failcnt'), undefined, 'no failcnt on v2: absent, present = 0');
  t.equal(s.present[FIELD_COUNT + FIELD.memory_failcnt], 0);
  const weight = BigInt(fs.readFileSync(path.join(dir, 'cpu.weight'), 'utf8').trim());
  t.equal(s.get(1, 'cpu_shares'), 2n + ((weight - 1n) * 262142n) / 9999n, 'v2 cpu.weight as shares (cAdvisor)');
  t.equal(s.get(1, 'cpu_quota_us'), undefined, 'v2 cpu.max is not read: absent');
  const psi = fs.readFileSync(path.join(dir, 'cpu.pressure'), 'utf8');
  t.equal(s.get(1, 'psi_cpu_some_us'), BigInt(/some .*total=(\d+)/.exec(psi)[1]));
  t.equal(s.get(1, 'psi_cpu_full_us'), BigInt(/full .*total=(\d+)/.exec(psi)[1]));
  const st = cgmgr.statsSync(V2_CTR, { root: V2, bigint: true });
  t.equal(s.stats(1).memory.workingSetBytes, st.memory.workingSetBytes);
  t.equal(s.stats(1).cpu.totalUsageNano, st.cpu.totalUsageNano);

  const again = c.collect({ into: s });
  t.equal(again, s, 'into: the same Sweep object and arrays are refilled');
  t.equal(s.get(1, 'memory_usage_bytes'), cur);
  const small = new Sweep(1, true);
  const grown = c.collect({ into: small });
  t.not(grown, small, 'a sweep without room for every row is replaced');
  t.equal(grown.rows, 2);
});

t.test('addContainer: by manager and ids, as CRI-O places the container', async (t) => {
  const c = new StatsCollector({ root: V2 });
  t.teardown(() => c.close());
  const m = cgmgr.setCgroupManager('systemd');
  const id = '5f1a3c9e2b7d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f';
  t.equal(c.addContainer(m, 'kubepods-burstable-pod123.slice', id, { pod: 'web-0' }), V2_CTR);
  const s = c.collect();
  t.same(s.paths, [V2_CTR]);
  t.same(s.labels[0], { name: id, pod: 'web-0' });
  t.equal(s.status[0], ROW_STATUS.ok);
  t.throws(() => c.addContainer(cgmgr.setCgroupManager('cgroupfs'), '/kubepods/pod1', 'abc'), { code: 'ENOENT' });
});

t.test('absent is never a silent 0: a tree without swap accounting', async (t) => {
  const root = path.join(TREES, 'v1-nomemsw');
  const c = new StatsCollector({ root });
  t.teardown(() => c.close());
  c.add(V1_CTR);
  const s = c.collect();
  t.equal(s.status[0], ROW_STATUS.ok);
  t.equal(s.get(0, 'memory_swap_bytes'), undefined);
  t.equal(s.get(0, 'memory_swap_limit_bytes'), undefined);
  t.ok(s.get(0, 'memory_usage_bytes') > 0, 'the rest is there');
  const b = new StatsCollector({ root, bigint: true });
  t.teardown(() => b.close());
  b.add(V1_CTR);
  const sb = b.collect();
  t.equal(sb.present[FIELD.memory_swap_bytes], 0, 'bigint sweeps flag absence in present');
  t.equal(sb.get(0, 'memory_swap_bytes'), undefined);
});

t.test('bad input and lifecycle', async (t) => {
  const c = new StatsCollector({ root: V1 });
  t.throws(() => c.add('/no/such/cgroup'), { code: 'ENOENT' });
  t.throws(() => c.add('../etc'), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => c.add(V1_CTR, 'x'), { code: 'ERR_INVALID_ARG_VALUE' });
  t.equal(c.size, 0);
  c.add(V1_CTR);
  c.add(V1_CTR, { name: 'relabelled' });
  t.equal(c.size, 1, 'adding a registered path again relabels it');
  t.same(c.collect().labels[0], { name: 'relabelled' });
  t.equal(c.remove(V1_CTR), true);
  t.equal(c.remove(V1_CTR), false);
  t.equal(c.collect().rows, 0, 'an empty collector sweeps to zero rows');
  t.same(c.files().map((f) => f.name).filter((n) => n === 'memory.stat'), ['memory.stat'], 'files(): memory.stat read once');
  c.close();
  c.close();
  t.throws(() => c.collect(), { code: 'ERR_COLLECTOR_CLOSED' });
  t.throws(() => c.add(V1_CTR), { code: 'ERR_COLLECTOR_CLOSED' });
  await t.rejects(c.collectAsync(), { code: 'ERR_COLLECTOR_CLOSED' });
});

t.test('collectAsync: same values as collect, queued when concurrent', async (t) => {
  const c = new StatsCollector({ root: V2 });
  t.teardown(() => c.close());
  c.add(V2_POD).add(V2_CTR);
  const a = c.collect();
  const rowA = [a.row(0), a.row(1)];
  const [x, y] = await Promise.all([c.collectAsync(), c.collectAsync()]);
  t.same([x.row(0), x.row(1)], rowA);
  t.same([y.row(0), y.row(1)], rowA);
  const p = c.collectAsync();
  t.throws(() => c.collect(), { code: 'ERR_COLLECTOR_BUSY' }, 'no sync sweep into the buffers an async one is filling');
  await p;
});

t.test('a file that fails (not merely absent) makes the row an error row: its columns absent, the rest read, the reason given', async (t) => {
  const root = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'cgmgr-collector-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.cpSync(V1, root, { recursive: true });
  fs.writeFileSync(path.join(root, 'memory', V1_CTR, 'memory.usage_in_bytes'), 'not a number\n');
  const c = new StatsCollector({ root });
  t.teardown(() => c.close());
  c.add(V1_CTR).add('/cgmgr-rec');
  const s = c.collect();
  t.equal(s.status[0], ROW_STATUS.error, 'the row with the malformed file');
  t.notOk(s.ok(0));
  t.equal(s.get(0, 'memory_usage_bytes'), undefined, 'its column is absent, not 0');
  t.equal(s.get(0, 'pids_current'), int(path.join(root, 'pids', V1_CTR, 'pids.current')), 'the other columns are read');
  const e = s.error(0);
  t.match(e, { code: 'ERR_CGROUP_PARSE', path: path.join(root, 'memory', V1_CTR, 'memory.usage_in_bytes') });
  t.equal(s.status[1], ROW_STATUS.ok, 'the neighbour is unaffected');
  t.equal(s.error(1), undefined);
  const text = cgmgr.renderMetrics(s);
  t.match(text, `container_cpu_usage_seconds_total{id="${V1_CTR}"`, 'an error row is still exported with what was read');
  t.notMatch(text, `container_memory_usage_bytes{id="${V1_CTR}"`, 'but not the failed column');
  c.collect();
  t.throws(() => s.error(0), { code: 'ERR_SWEEP_STALE' });
});

t.test('the controllers asked for bound the files a sweep reads (the columns\' extra files included)', async (t) => {
  const files = (controllers) => {
    const c = new StatsCollector({ root: V1, controllers });
    const f = c.files().map((x) => `${x.controller}:${x.name}`);
    c.close();
    return f;
  };
  const mem = files(['memory']);
  t.ok(mem.length > 0);
  t.ok(mem.every((f) => f.startsWith('memory:')), `memory only: ${mem.join(' ')}`);
  const cpu = files(['cpu', 'cpuacct']);
  t.ok(cpu.every((f) => /^(cpu|cpuacct):/.test(f)), `cpu only: ${cpu.join(' ')}`);
  t.ok(cpu.includes('cpu:cpu.shares') && cpu.includes('cpu:cpu.cfs_quota_us'), 'with the cpu spec files');
  const all = files(undefined);
  t.ok(all.includes('blkio:blkio.throttle.io_service_bytes_recursive'), 'the default reads the throttle files');
  t.ok(all.includes('blkio:blkio.io_service_bytes_recursive'),
    'and the rest of the stats reader\'s blkio family search (the io columns read what stats().diskIO reads)');
});
