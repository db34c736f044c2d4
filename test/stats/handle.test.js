'use strict';
// StatsHandle (openStatsHandle, and a manager's cached handles): the same stats and errors as statsSync, read on held
// descriptors (no descriptor opened per call), a cgroup removed and re-created under the same name, close(), bad
// input. Real cgroups of our own on this kernel (v1 hybrid), and a recorded tree.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { openStatsHandle, statsSync, StatsHandle } = require('../../dist/stats');
const { cachedReader } = require('../../dist/stats/reader');
const { realKernelSkipReason, makeSubtree, ROOT } = require('../helpers/cgroups');

const skip = realKernelSkipReason();
const isV1 = !skip && fs.existsSync(path.join(ROOT, 'memory', 'cgroup.procs')) && !fs.existsSync(path.join(ROOT, 'cgroup.controllers'));
const opts = { skip: skip ?? (isV1 ? false : 'not a cgroup v1 (hybrid) host') };
const H = ['memory', 'cpu', 'cpuacct', 'pids', 'devices', 'blkio'];
const TREES = path.join(__dirname, '..', 'fixtures', 'trees');

/** A CgroupStats without its sample time (two reads of an idle cgroup agree on everything else). */
const still = (s) => ({ ...s, systemNano: 0 });

t.test('recorded tree: the handle reads what statsSync reads, number and bigint', async (t) => {
  const root = path.join(TREES, 'v2-full');
  const ctr = '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice/crio-5f1a3c9e2b7d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f.scope';
  const h = openStatsHandle(ctr, { root });
  t.teardown(() => h.close());
  t.ok(h instanceof StatsHandle);
  t.same(still(h.readSync()), still(statsSync(ctr, { root })), 'number mode');
  t.same(still(h.readSync({ bigint: true })), still(statsSync(ctr, { root, bigint: true })), 'bigint mode');
  t.same(still(await h.read({ controllers: ['memory'] })), still(statsSync(ctr, { root, controllers: ['memory'] })), 'async, other controllers');
});

t.test('a cgroup that is not there: the same error as statsSync', async (t) => {
  const root = path.join(TREES, 'v2-full');
  const h = openStatsHandle('/no-such-cgroup', { root });
  t.teardown(() => h.close());
  let a;
  let b;
  try { h.readSync(); } catch (e) { a = e; }
  try { statsSync('/no-such-cgroup', { root }); } catch (e) { b = e; }
  t.ok(a && b, 'both throw');
  t.equal(a.code, b.code);
  t.equal(a.message, b.message);
});

t.test('close(): reads after it throw ERR_CGROUP_HANDLE_CLOSED; close twice is fine', async (t) => {
  const h = openStatsHandle('/', { root: path.join(TREES, 'v2-full') });
  h.readSync();
  h.close();
  h.close();
  t.throws(() => h.readSync(), { code: 'ERR_CGROUP_HANDLE_CLOSED' });
  await t.rejects(h.read(), { code: 'ERR_CGROUP_HANDLE_CLOSED' });
});

t.test('real cgroups: same stats as statsSync, held descriptors (none opened per read), gone and re-created', opts, async (t) => {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  sub.mkdir('ctr');
  const p = `/${sub.name}/ctr`;
  const h = openStatsHandle(p);
  t.teardown(() => h.close());
  const a = h.readSync({ bigint: true });
  const b = statsSync(p, { bigint: true });
  t.same({ ...still(a), cpu: undefined }, { ...still(b), cpu: undefined }, 'an empty cgroup: the same stats (cpu aside: its counters are live)');
  t.equal(a.memory.usage, 0n);

  const engine = cachedReader({}).engine;
  const before = engine.usage().heldFds;
  const fdsBefore = fs.readdirSync('/proc/self/fd').length;
  for (let i = 0; i < 50; i++) h.readSync();
  t.equal(engine.usage().heldFds, before, 'no descriptor held per read');
  t.equal(fs.readdirSync('/proc/self/fd').length, fdsBefore, 'no descriptor left open per read');

  // Removed: the handle says gone, then (re-created under the same name) reads the new cgroup.
  for (const hier of H) fs.rmdirSync(sub.dir(hier, 'ctr'));
  t.throws(() => h.readSync(), { code: /ERR_CGROUP_GONE|ENOENT/ }, 'removed: an error, never stale numbers');
  sub.mkdir('ctr');
  fs.writeFileSync(sub.dir('memory', 'ctr/memory.limit_in_bytes'), String(64 << 20));
  const c = h.readSync({ bigint: true });
  t.equal(c.memory.limit, BigInt(64 << 20), 're-created: the new cgroup is read');
});

t.test('handles share one output row per plan: interleaved reads of different cgroups never mix', opts, async (t) => {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  const limits = [8 << 20, 16 << 20, 32 << 20];
  const hs = limits.map((limit, i) => {
    sub.mkdir(`l${i}`);
    fs.writeFileSync(sub.dir('memory', `l${i}/memory.limit_in_bytes`), String(limit));
    const h = openStatsHandle(`/${sub.name}/l${i}`);
    t.teardown(() => h.close());
    return h;
  });
  for (let round = 0; round < 3; round++) {
    for (const i of [2, 0, 1]) t.equal(hs[i].readSync().memory.limit, limits[i], `round ${round}: l${i} reads its own limit`);
  }
  // An error row (a removed cgroup) in between leaves the next handle's row whole.
  fs.rmdirSync(sub.dir('memory', 'l1'));
  for (const h of H.filter((x) => x !== 'memory')) fs.rmdirSync(sub.dir(h, 'l1'));
  t.throws(() => hs[1].readSync(), { code: 'ERR_CGROUP_GONE' });
  t.equal(hs[0].readSync().memory.limit, limits[0], 'l0 after a gone row');
  t.equal(hs[2].readSync().memory.limit, limits[2], 'l2 after a gone row');
});

t.test('handles reusing one row view: an error of one read never shows in the next (interleaved bad and good cgroups)', async (t) => {
  const { v2Tree } = require('./fixtures/trees');
  const root = v2Tree(t, { 'memory.current': 'abc\n', 'memory.stat': 'anon 1\nfile 2\n', 'memory.max': 'max\n' }, { cgroup: 'bad' });
  fs.mkdirSync(path.join(root, 'good'));
  fs.writeFileSync(path.join(root, 'good', 'memory.current'), '5\n');
  fs.writeFileSync(path.join(root, 'good', 'memory.stat'), 'anon 1\nfile 2\n');
  fs.writeFileSync(path.join(root, 'good', 'memory.max'), 'max\n');
  const opts = { root, version: 2, hugePageSizes: [] };
  const bad = openStatsHandle('/bad', opts);
  const good = openStatsHandle('/good', opts);
  t.teardown(() => { bad.close(); good.close(); });
  const want = statsSync('/good', { ...opts, controllers: ['memory'] });
  let first;
  for (let i = 0; i < 3; i++) {
    let err;
    try { bad.readSync({ controllers: ['memory'] }); } catch (e) { err = e; }
    t.ok(err, 'the bad cgroup fails');
    t.match(err.message, /memory\.current: strconv\.ParseUint: parsing "abc": invalid syntax/);
    if (first === undefined) first = err;
    else t.not(err, first, 'a new error object per read');
    const s = good.readSync({ controllers: ['memory'] });
    t.equal(s.memory.usage, 5, 'the good one reads right after it');
    t.same(still(s), still(want), 'and the same as statsSync');
  }
});
