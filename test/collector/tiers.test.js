'use strict';
// Read tiers of the collector (lib/collector/tiers.ts): usage files every sweep, spec files on the spec cadence with
// their values carried between reads, detail files only when stats(row) asks. On real v1 cgroups of our own (a new
// memory.limit_in_bytes shows after refreshSpec() / the interval, and at once with specIntervalMs 0), on a scratch
// copy of a recorded v2 tree, and the engine's per-row tiers underneath.
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { StatsCollector, ROW_STATUS } = require('../../dist/collector');
const { Engine, FILE_STATUS } = require('../../dist/engine');
const { discoverHierarchies } = require('../../dist/hierarchy');
const { ROOT, realKernelSkipReason, makeSubtree } = require('../helpers/cgroups');

const skip = realKernelSkipReason();
const isV1 = !skip && fs.existsSync(path.join(ROOT, 'memory', 'cgroup.procs')) && !fs.existsSync(path.join(ROOT, 'cgroup.controllers'));
const v1opts = { skip: skip ?? (isV1 ? false : 'not a cgroup v1 (hybrid) host') };
const H = ['memory', 'cpu', 'cpuacct', 'pids'];
const MiB = 1024 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const V2 = path.join(__dirname, '..', 'fixtures', 'trees', 'v2-full');
const POD = 'kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice';

t.test('the plan names each file\'s tier: spec files by name, the columns\' other files usage, the rest detail', async (t) => {
  const c = new StatsCollector({ root: V2, version: 2 });
  t.teardown(() => c.close());
  const tier = Object.fromEntries(c.files().map((f) => [f.name, f.tier]));
  for (const f of ['memory.max', 'memory.swap.max', 'memory.low', 'cpu.weight', 'pids.max']) t.equal(tier[f], 'spec', f);
  for (const f of ['memory.stat', 'memory.current', 'cpu.stat', 'io.stat', 'pids.current', 'memory.events']) t.equal(tier[f], 'usage', f);
  t.equal(c.specIntervalMs, 60000, 'the default interval');
  t.throws(() => new StatsCollector({ root: V2, version: 2, specIntervalMs: -1 }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => new StatsCollector({ root: V2, version: 2, specIntervalMs: NaN }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => new StatsCollector({ root: V2, version: 2, specIntervalMs: '5' }), { code: 'ERR_INVALID_ARG_VALUE' });
});

t.test('v2 (scratch copy of a recorded tree): spec values carried between reads, re-read after refreshSpec()', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-tiers-v2-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.cpSync(V2, root, { recursive: true });
  const c = new StatsCollector({ root, version: 2, oomEvents: false });
  t.teardown(() => c.close());
  const rel = { name: POD };
  const dir = path.join(root, rel.name);
  fs.writeFileSync(path.join(dir, 'memory.max'), '104857600\n');
  fs.writeFileSync(path.join(dir, 'cpu.weight'), '100\n');
  c.add(`/${rel.name}`);
  let s = c.collect();
  t.equal(s.specMs[0], s.sampleMs[0], 'the first sweep of a cgroup reads its spec files');
  t.equal(s.get(0, 'memory_limit_bytes'), 104857600);
  t.equal(s.get(0, 'cpu_shares'), 2 + Math.floor(99 * 262142 / 9999));
  const readAt = s.specMs[0];
  fs.writeFileSync(path.join(dir, 'memory.max'), '209715200\n');
  fs.writeFileSync(path.join(dir, 'cpu.weight'), '200\n');
  fs.writeFileSync(path.join(dir, 'memory.current'), '4096\n');
  s = c.collect({ into: s });
  t.equal(s.status[0], ROW_STATUS.ok);
  t.equal(s.get(0, 'memory_usage_bytes'), 4096, 'usage files are read by every sweep');
  t.equal(s.specMs[0], readAt, 'the spec files were not read again: their values are carried');
  t.equal(s.get(0, 'memory_limit_bytes'), 104857600, 'the carried limit');
  t.equal(s.stats(0).memory.limit, 104857600, 'stats(row) reports the carried limit too');
  t.ok(s.sampleMs[0] - s.specMs[0] < c.specIntervalMs, 'within the interval');
  t.ok(c.refreshSpec(`/${rel.name}`));
  t.notOk(c.refreshSpec('/no/such/cgroup'));
  s = c.collect({ into: s });
  t.equal(s.specMs[0], s.sampleMs[0], 'refreshSpec(): read again');
  t.equal(s.get(0, 'memory_limit_bytes'), 209715200);
  t.equal(s.get(0, 'cpu_shares'), 2 + Math.floor(199 * 262142 / 9999));
  t.equal(s.stats(0).memory.limit, 209715200);
});

t.test('v1: a new memory.limit_in_bytes shows after refreshSpec(), after the interval, and at once with interval 0', v1opts, async (t) => {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  const p = `/${sub.name}`;
  const limitFile = sub.dir('memory', 'memory.limit_in_bytes');
  fs.writeFileSync(limitFile, String(256 * MiB));

  const lazy = new StatsCollector({ controllers: H });
  t.teardown(() => lazy.close());
  const eager = new StatsCollector({ controllers: H, specIntervalMs: 0 });
  t.teardown(() => eager.close());
  const timed = new StatsCollector({ controllers: H, specIntervalMs: 300 });
  t.teardown(() => timed.close());
  for (const c of [lazy, eager, timed]) c.add(p);
  let sl = lazy.collect();
  let se = eager.collect();
  let st = timed.collect();
  for (const s of [sl, se, st]) {
    t.equal(s.get(0, 'memory_limit_bytes'), 256 * MiB, 'the first sweep reads the limit');
    t.equal(s.specMs[0], s.sampleMs[0]);
  }
  const heldLazy = lazy.usage().heldFds;
  const heldEager = eager.usage().heldFds;
  const spec = lazy.files().filter((f) => f.tier === 'spec').length;
  t.ok(spec >= 5, `spec files: ${spec}`);
  t.ok(heldLazy <= heldEager - spec, `no descriptor held for spec or detail files (${heldLazy} held, ${heldEager} without tiers)`);

  const tWrite = Date.now();
  fs.writeFileSync(limitFile, String(128 * MiB));
  sl = lazy.collect({ into: sl });
  t.equal(sl.get(0, 'memory_limit_bytes'), 256 * MiB, 'lazy: the carried limit (read before the write)');
  t.ok(sl.specMs[0] < tWrite);
  t.equal(sl.stats(0).memory.limit, 256 * MiB, 'stats(row) says the same');
  t.equal(sl.stats(0).cpu.perCPUUsage.length, os.cpus().length, 'the detail file (cpuacct.usage_percpu) is read when stats(row) asks');
  se = eager.collect({ into: se });
  t.equal(se.get(0, 'memory_limit_bytes'), 128 * MiB, 'interval 0: the new limit at once');
  t.equal(se.specMs[0], se.sampleMs[0]);
  t.equal(se.stats(0).memory.limit, 128 * MiB);

  // The timed collector shows it once its interval has passed, and never carries a value older than the interval.
  const end = Date.now() + 20000;
  let seen = false;
  while (!seen && Date.now() < end) {
    const before = Date.now();
    st = timed.collect({ into: st });
    const v = st.get(0, 'memory_limit_bytes');
    t.ok(st.sampleMs[0] - st.specMs[0] <= timed.specIntervalMs + (st.sampleMs[0] - before), 'carried spec never older than the interval');
    if (st.specMs[0] < tWrite) t.equal(v, 256 * MiB, 'read before the write: the old limit');
    else {
      t.equal(v, 128 * MiB, 'read after the write: the new limit');
      t.equal(st.stats(0).memory.limit, 128 * MiB);
      seen = true;
    }
    await sleep(25);
  }
  t.ok(seen, 'the new limit showed after the interval');

  t.ok(lazy.refreshSpec());
  sl = lazy.collect({ into: sl });
  t.equal(sl.get(0, 'memory_limit_bytes'), 128 * MiB, 'lazy after refreshSpec(): the new limit');
});

t.test('v1: spec reads are spread over the interval, a slice of the cgroups per sweep', v1opts, async (t) => {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  const n = 20;
  for (let i = 0; i < n; i++) sub.mkdir(`c${i}`);
  const interval = 2000;
  const c = new StatsCollector({ controllers: H, specIntervalMs: interval });
  t.teardown(() => c.close());
  for (let i = 0; i < n; i++) c.add(`/${sub.name}/c${i}`);
  let s = await c.collectAsync();
  t.equal(Array.from({ length: n }, (_, r) => s.specMs[r] === s.sampleMs[r]).filter(Boolean).length, n, 'the first sweep reads every spec');
  const first = Float64Array.from(s.specMs.subarray(0, n));
  const reread = new Set();
  let last = Date.now();
  const end = Date.now() + 30000;
  while (reread.size < n && Date.now() < end) {
    await sleep(50);
    const gap = Date.now() - last;
    last = Date.now();
    s = await c.collectAsync({ into: s });
    let k = 0;
    for (let r = 0; r < n; r++) {
      t.equal(s.status[r], ROW_STATUS.ok);
      if (s.specMs[r] === s.sampleMs[r]) { k++; reread.add(r); }
      else if (s.specMs[r] !== first[r] && !reread.has(r)) t.fail(`row ${r}: carried a spec read that never happened`);
    }
    // Sweeps close together re-read a slice, never everything at once (the phases spread the interval).
    if (gap < interval / 4) t.ok(k <= n / 2, `a sweep ${gap} ms after the last re-read ${k} of ${n}`);
  }
  t.equal(reread.size, n, 'every cgroup re-read its spec files within about one interval');
});

t.test('engine: per-row tiers read the files up to the row\'s tier; the others are notRead', async (t) => {
  const e = new Engine({ layout: discoverHierarchies({ root: V2, version: 2 }) });
  t.teardown(() => e.destroy());
  const rel = { name: POD };
  const id = e.open(rel.name);
  t.teardown(() => e.close(id));
  const plan = e.plan([
    { controller: 'memory', name: 'memory.current', format: 'single' },
    { controller: 'memory', name: 'memory.max', format: 'single', tier: 1, hold: false },
  ]);
  t.throws(() => e.plan([{ controller: 'memory', name: 'memory.max', format: 'single', tier: 256 }]), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => e.plan([{ controller: 'memory', name: 'memory.max', format: 'single', tier: 0.5 }]), { code: 'ERR_INVALID_ARG_VALUE' });
  const check = (r) => {
    t.equal(r.status(0, 0), FILE_STATUS.ok);
    t.equal(r.status(0, 1), FILE_STATUS.notRead, 'tier 1 above row 0\'s tier 0: not read');
    t.equal(r.get(0, 1), undefined, 'its slot is absent');
    t.equal(r.error(0, 1).code, 'ERR_CGROUP_NOT_READ');
    t.equal(r.status(1, 0), FILE_STATUS.ok);
    t.equal(r.status(1, 1), FILE_STATUS.ok, 'row 1 (tier 1) reads it');
  };
  const tiers = Uint8Array.from([0, 1]);
  check(e.readSync(plan, [id, id], e.result(plan, 2, { bigint: true }), { tiers }));
  check(await e.read(plan, [id, id], e.result(plan, 2, { bigint: true }), { tiers, workers: 2 }));
  const all = e.readSync(plan, [id, id], e.result(plan, 2));
  t.equal(all.status(0, 1), FILE_STATUS.ok, 'without tiers every file is read');
  t.throws(() => e.readSync(plan, [id, id], undefined, { tiers: new Uint8Array(1) }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => e.readSync(plan, [id], undefined, { tiers: [0] }), { code: 'ERR_INVALID_ARG_VALUE' });
});

t.test('engine: keepUnread leaves the cells of the files a row does not read as the result held them', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-tiers-keep-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.cpSync(V2, root, { recursive: true });
  const dir = path.join(root, POD);
  const e = new Engine({ layout: discoverHierarchies({ root, version: 2 }) });
  t.teardown(() => e.destroy());
  const id = e.open(POD);
  const gone = e.open(POD);
  e.close(gone); // a handle that is no more: its row's read files say skipped
  // Usage and spec files interleaved (the async copy-out gathers runs of cells: a kept file ends one).
  const plan = e.plan([
    { controller: 'memory', name: 'memory.current', format: 'single' },
    { controller: 'memory', name: 'memory.max', format: 'single', tier: 1, hold: false },
    { controller: 'memory', name: 'memory.stat', format: 'flatKeyed', keys: ['anon', 'file'], tier: 1 },
    { controller: 'pids', name: 'pids.current', format: 'single' },
    { controller: 'pids', name: 'cgroup.procs', format: 'list', cap: 4 },
  ]);
  const write = (f, v) => fs.writeFileSync(path.join(dir, f), v);
  for (const bigint of [true, false]) {
    for (const mode of ['sync', 'async']) {
      const read = (r, tiers, ids = [id, id, id]) =>
        mode === 'sync'
          ? e.readSync(plan, ids, r, { tiers: Uint8Array.from(tiers), keepUnread: true })
          : e.read(plan, ids, r, { tiers: Uint8Array.from(tiers), keepUnread: true, workers: 3 });
      const what = `${mode}, ${bigint ? 'bigint' : 'numbers'}`;
      const n = (v) => (bigint ? BigInt(v) : v);
      const r = e.result(plan, 3, { bigint });
      t.same([...r.fileStatus], new Array(15).fill(FILE_STATUS.notRead), `${what}: a new result has read nothing`);
      write('cgroup.procs', '7\n9\n');
      write('memory.current', '4096\n');
      write('memory.max', '1048576\n');
      write('memory.stat', 'anon 10\nfile 20\n');
      await read(r, [1, 1, 1]);
      for (let row = 0; row < 3; row++) t.equal(r.get(row, 1), n(1048576), `${what}: row ${row} read its limit`);
      write('memory.current', '8192\n');
      write('cgroup.procs', '5\n');
      write('memory.max', '2097152\n');
      write('memory.stat', 'anon 30\nfile 40\n');
      await read(r, [0, 1, 0]);
      for (const row of [0, 2]) {
        t.equal(r.get(row, 0), n(8192), `${what}: row ${row} read its usage file`);
        t.same([r.get(row, 4, 0), r.get(row, 4, 1)], [n(1), n(5)], `${what}: row ${row} read its list (count, pid)`);
        t.equal(r.status(row, 1), FILE_STATUS.ok, `${what}: row ${row} kept its limit's status`);
        t.equal(r.get(row, 1), n(1048576), `${what}: row ${row} kept the limit it read before`);
        t.equal(r.get(row, 2, 0), n(10), `${what}: row ${row} kept memory.stat anon`);
        t.equal(r.get(row, 2, 1), n(20), `${what}: row ${row} kept memory.stat file`);
      }
      t.equal(r.get(1, 1), n(2097152), `${what}: the row of tier 1 read the new limit`);
      t.equal(r.get(1, 2), n(30), `${what}: and the new memory.stat`);
      // A row whose handle is gone: the files it would read are skipped, the others keep their cells.
      await read(r, [0, 0, 1], [id, gone, id]);
      t.equal(r.itemStatus[1], 2, `${what}: a closed handle's row is a bad handle`);
      t.equal(r.status(1, 0), FILE_STATUS.skipped, `${what}: its usage file skipped`);
      t.equal(r.status(1, 1), FILE_STATUS.ok, `${what}: its kept limit untouched`);
      t.equal(r.get(1, 1), n(2097152), `${what}: with its value`);
      // Without keepUnread the same read says notRead, slots absent.
      const plain = mode === 'sync'
        ? e.readSync(plan, [id], e.result(plan, 1, { bigint }), { tiers: Uint8Array.of(0) })
        : await e.read(plan, [id], e.result(plan, 1, { bigint }), { tiers: Uint8Array.of(0) });
      t.equal(plain.status(0, 1), FILE_STATUS.notRead, `${what}: without keepUnread not read`);
      t.equal(plain.get(0, 1), undefined, `${what}: its slot absent`);
    }
  }
  t.throws(() => e.readSync(plan, [id], undefined, { tiers: Uint8Array.of(0), keepUnread: 'yes' }), { code: 'ERR_INVALID_ARG_VALUE' });
  e.close(id);
});

t.test('v2: carried spec values stay with their cgroup when rows move (a cgroup removed or added)', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-tiers-rows-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.cpSync(V2, root, { recursive: true });
  // Three pods made from the recorded one, each with its own limit.
  const cgroups = ['a', 'b', 'c'].map((x) => `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${x}.slice`);
  const limits = [111 * MiB, 222 * MiB, 333 * MiB];
  cgroups.forEach((p, k) => {
    fs.cpSync(path.join(root, POD), path.join(root, p), { recursive: true });
    fs.writeFileSync(path.join(root, p, 'memory.max'), `${limits[k]}\n`);
  });
  for (const mode of ['sync', 'async']) {
    const c = new StatsCollector({ root, version: 2, oomEvents: false });
    t.teardown(() => c.close());
    const sweep = (s) => (mode === 'sync' ? c.collect({ into: s }) : c.collectAsync({ into: s }));
    for (const p of cgroups) c.add(`/${p}`);
    let s = await sweep();
    s = await sweep(s);
    const check = (why) => {
      for (let row = 0; row < s.rows; row++) {
        const k = cgroups.indexOf(s.paths[row].slice(1));
        t.equal(s.get(row, 'memory_limit_bytes'), limits[k], `${mode}: ${why}: row ${row} (${s.paths[row]}) has its own limit`);
        t.equal(s.stats(row).memory.limit, limits[k], `${mode}: ${why}: stats(row ${row}) too`);
        t.ok(s.specMs[row] < s.sampleMs[row] || s.rows === 1, `${mode}: ${why}: row ${row} carried, not read again`);
      }
    };
    check('steady');
    c.remove(`/${cgroups[0]}`);
    s = await sweep(s);
    t.equal(s.rows, 2);
    check('the first cgroup removed');
    c.add(`/${cgroups[0]}`);
    s = await sweep(s);
    s = await sweep(s);
    check('added back');
  }
});
