'use strict';
// The deviations of DECISIONS.md that concern the managers, each under its bug id, on scratch trees: B-1 (cgroupfs
// sandbox stats), B-2 (conmon always placed), B-3 (create, then set, then move), Q-6 (bounded caches, evicted by
// remove…CgManager, no stale handle for a reused id), plus the Cgroup handle's set() values and the systemd stub.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const cgmgr = require('../../dist');
const { scratch, mkdirp } = require('./helpers');

t.test('B-1: cgroupfs sandboxCgroupManager/Stats use the pod parent cgroup (CRI-O: invalid slice name)', async (t) => {
  const s = scratch(t, 2);
  const m = cgmgr.setCgroupManager('cgroupfs', s.options);
  const cg = m.sandboxCgroupManager('/kubepods/pod1', 'sbid');
  t.equal(cg.path(), path.join(s.root, 'kubepods/pod1'));
  t.equal(m.sandboxCgroupManager('kubepods/pod1', 'sb2').path(), path.join(s.root, 'kubepods/pod1'), 'relative parent forced absolute');
  t.throws(() => m.sandboxCgroupManager('', 'sbid'), { code: 'ERR_CGROUP_NO_PARENT' });
  // Stats really read that directory.
  const d = path.join(s.root, 'kubepods/pod1');
  mkdirp(d);
  fs.writeFileSync(path.join(d, 'pids.current'), '7\n');
  fs.writeFileSync(path.join(d, 'pids.max'), 'max\n');
  fs.writeFileSync(path.join(d, 'cgroup.procs'), '');
  const st = await m.sandboxCgroupStats('/kubepods/pod1', 'sbid', { controllers: ['pids'] });
  t.equal(st.pid.current, 7);
  t.equal(m.sandboxCgroupStatsSync('/kubepods/pod1', 'sbid', { controllers: ['pids'] }).pid.current, 7);
});

t.test('B-2: cgroupfs moveConmonToCgroup places conmon without CPU resources (CRI-O: does nothing)', async (t) => {
  const s = scratch(t, 1);
  const m = cgmgr.setCgroupManager('cgroupfs', s.options);
  // pid -1: create only (a scratch tree cannot take a pid without a prepared cgroup.procs).
  t.equal(await m.moveConmonToCgroup('cid', '/kubepods/pod1', 'pod', -1, null), '/kubepods/pod1/crio-conmon-cid');
  for (const c of ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'devices', 'blkio', 'freezer']) {
    t.ok(fs.statSync(path.join(s.root, c, 'kubepods/pod1/crio-conmon-cid')).isDirectory(), `created in ${c}`);
  }
  t.notOk(fs.existsSync(path.join(s.root, 'cpu', 'kubepods/pod1/crio-conmon-cid/cpu.shares')), 'no resources: nothing written');
});

t.test('B-3: the conmon cgroup is created before the CPU limits are written', async (t) => {
  for (const version of [1, 2]) {
    const s = scratch(t, version);
    const m = cgmgr.setCgroupManager('cgroupfs', s.options);
    const res = { cpu: { cpus: '0-1', shares: 1024, quota: 50000, period: 100000 } };
    t.equal(m.moveConmonToCgroupSync('cid', '/pod', '', -1, res), '/pod/crio-conmon-cid');
    const dir = (c) => path.join(s.root, version === 2 ? '' : c, 'pod/crio-conmon-cid');
    t.equal(fs.readFileSync(path.join(dir('cpuset'), 'cpuset.cpus'), 'utf8'), '0-1');
    if (version === 2) {
      t.equal(fs.readFileSync(path.join(dir('cpu'), 'cpu.max'), 'utf8'), '50000 100000');
      t.equal(fs.readFileSync(path.join(dir('cpu'), 'cpu.weight'), 'utf8'), '39', 'shares converted (CRI-O drops them on v2)');
    } else {
      t.equal(fs.readFileSync(path.join(dir('cpu'), 'cpu.shares'), 'utf8'), '1024');
      t.equal(fs.readFileSync(path.join(dir('cpu'), 'cpu.cfs_period_us'), 'utf8'), '100000');
      t.equal(fs.readFileSync(path.join(dir('cpu'), 'cpu.cfs_quota_us'), 'utf8'), '50000');
    }
  }
});

t.test('cgroupfs moveConmonToCgroup errors carry cgroupPathToClean', async (t) => {
  const s = scratch(t, 2);
  const m = cgmgr.setCgroupManager('cgroupfs', s.options);
  // The directory exists but has no cgroup.procs: the pid move fails, wrapped as CRI-O words it.
  mkdirp(path.join(s.root, 'pod/crio-conmon-cid'));
  await t.rejects(m.moveConmonToCgroup('cid', '/pod', 'pod', 4242), {
    message: /^failed to add conmon to cgroupfs sandbox cgroup: /, cgroupPathToClean: '/pod/crio-conmon-cid',
  });
});

t.test('Q-6: v1 handle caches are bounded, evicted by remove…CgManager, and never stale', async (t) => {
  const s = scratch(t, 1);
  const m = cgmgr.setCgroupManager('cgroupfs', { ...s.options, cacheSize: 2 });
  const a = m.containerCgroupManager('/p', 'a');
  t.equal(m.containerCgroupManager('/p', 'a'), a, 'cached');
  t.not(m.containerCgroupManager('/q', 'a'), a, 'same id, other parent: a fresh handle (CRI-O returned the stale one)');
  t.equal(m.containerCgroupManager('/q', 'a').innerPath, '/q/crio-a');
  const a2 = m.containerCgroupManager('/q', 'a');
  m.removeContainerCgManager('a');
  t.equal(m.cacheSizes().containers, 0);
  t.not(m.containerCgroupManager('/q', 'a'), a2, 'evicted');
  m.containerCgroupManager('/p', 'b');
  m.containerCgroupManager('/p', 'c');
  t.equal(m.cacheSizes().containers, 2, 'bounded');
  const b = m.containerCgroupManager('/p', 'b');
  t.equal(m.containerCgroupManager('/p', 'b'), b);
  const sb = m.sandboxCgroupManager('/p', 'sb');
  t.equal(m.sandboxCgroupManager('/p', 'sb'), sb);
  m.removeSandboxCgManager('sb');
  t.equal(m.cacheSizes().sandboxes, 0);
  t.not(m.sandboxCgroupManager('/p', 'sb'), sb);
  const v2 = cgmgr.setCgroupManager('cgroupfs', scratch(t, 2).options);
  t.equal(v2.hasCaches, false);
  t.not(v2.containerCgroupManager('/p', 'a'), v2.containerCgroupManager('/p', 'a'), 'v2: no cache, as in CRI-O');
  t.throws(() => cgmgr.setCgroupManager('cgroupfs', { ...s.options, cacheSize: 0 }), { code: 'ERR_INVALID_ARG_VALUE' });
});

t.test('LruCache evicts the least recently used', async (t) => {
  const c = new cgmgr.LruCache(2);
  c.set('a', 'p', 1);
  c.set('b', 'p', 2);
  t.equal(c.get('a', 'p'), 1);
  c.set('c', 'p', 3);
  t.equal(c.get('b', 'p'), undefined, 'b was the oldest');
  t.equal(c.get('a', 'p'), 1);
  t.equal(c.get('a', 'other'), undefined);
  t.equal(c.has('a'), false, 'a stale entry is dropped');
});

t.test('LruCache: a hit by argument and a set of a cached key count as uses; a miss does not', async (t) => {
  const gone = [];
  const c = new cgmgr.LruCache(3, (v) => gone.push(v));
  c.set('a', 'p', 1, 'x');
  c.set('b', 'p', 2, 'y');
  c.set('c', 'p', 3, 'z');
  t.equal(c.getByArg('a', 'x'), 1, 'a: now the most recently used');
  c.set('b', 'p', 2); // b after it (the same value: not evicted)
  c.set('d', 'p', 4);
  t.same(gone, [3], 'c, the least recently used, leaves');
  t.equal(c.getByArg('a', 'other'), undefined, 'another argument misses (and is no use)');
  c.set('e', 'p', 5);
  t.same(gone, [3, 1], 'then a');
  t.equal(c.size, 3);
  t.same([c.has('b'), c.has('d'), c.has('e')], [true, true, true]);
});

t.test('LruCache calls onEvict for every value that leaves it', async (t) => {
  const gone = [];
  const c = new cgmgr.LruCache(2, (v) => gone.push(v));
  c.set('a', 'p', 1);
  c.set('b', 'p', 2);
  c.set('c', 'p', 3);
  t.same(gone, [1], 'evicted as the oldest');
  c.set('b', 'p', 20);
  t.same(gone, [1, 2], 'replaced');
  c.set('b', 'p', 20);
  t.same(gone, [1, 2], 'the same value set again is not evicted');
  t.equal(c.get('c', 'other'), undefined);
  t.same(gone, [1, 2, 3], 'rebuilt for another parent');
  t.equal(c.delete('b'), true);
  t.equal(c.delete('b'), false);
  t.same(gone, [1, 2, 3, 20], 'deleted once');
  c.set('d', 'p', 4);
  c.clear();
  t.same(gone, [1, 2, 3, 20, 4], 'cleared');
});

t.test('v1 handles leaving the manager cache give their held descriptors back at once', async (t) => {
  const s = scratch(t, 1);
  const m = cgmgr.setCgroupManager('cgroupfs', { ...s.options, cacheSize: 2 });
  for (const id of ['a', 'b', 'c']) {
    for (const h of ['memory', 'cpu', 'cpuacct', 'pids']) fs.mkdirSync(path.join(s.root, h, 'p', `crio-${id}`), { recursive: true });
    fs.writeFileSync(path.join(s.root, 'memory', 'p', `crio-${id}`, 'memory.usage_in_bytes'), '4096\n');
    fs.writeFileSync(path.join(s.root, 'pids', 'p', `crio-${id}`, 'pids.current'), '1\n');
  }
  const read = (id) => {
    try {
      m.containerCgroupStatsSync('/p', id);
    } catch { /* a scratch tree lacks most files: the read still opens and holds what is there */ }
  };
  const engine = m.context.engine;
  read('a');
  const one = engine.usage().heldFds;
  t.ok(one > 0, `one container's read holds descriptors (${one})`);
  read('b');
  t.ok(engine.usage().heldFds > one, 'two containers hold more');
  t.equal(engine.usage().handles, 2);
  read('c');
  t.equal(m.cacheSizes().containers, 2);
  t.equal(engine.usage().handles, 2, 'the evicted handle was closed, not left to the garbage collector');
  m.removeContainerCgManager('b');
  m.removeContainerCgManager('c');
  t.equal(engine.usage().handles, 0, 'removed handles are closed');
  t.equal(engine.usage().heldFds, 0, 'and hold nothing');
  t.throws(() => cgmgr.setCgroupManager('cgroupfs', { ...s.options, maxOpenFiles: -1 }), { code: 'ERR_INVALID_ARG_VALUE' });
});

t.test('set(): v1 and v2 values, runc conversions', async (t) => {
  t.equal(cgmgr.sharesToWeight(2), 1);
  t.equal(cgmgr.sharesToWeight(1024), 39);
  t.equal(cgmgr.sharesToWeight(262144), 10000);
  t.equal(cgmgr.cpuMaxValue(undefined, undefined), '');
  t.equal(cgmgr.cpuMaxValue(-1, undefined), 'max 100000');
  t.equal(cgmgr.cpuMaxValue(50000, undefined), '50000 100000');
  t.equal(cgmgr.cpuMaxValue(0, 20000), 'max 20000');
  const s = scratch(t, 2);
  const cg = cgmgr.libctrManager('c', '/p', false, s.options);
  cg.applySync(-1);
  cg.setSync({ memory: { limit: -1 }, pids: { limit: 5 }, cpu: { mems: '0' } });
  const d = path.join(s.root, 'p/c');
  t.equal(fs.readFileSync(path.join(d, 'memory.max'), 'utf8'), 'max');
  t.equal(fs.readFileSync(path.join(d, 'pids.max'), 'utf8'), '5');
  t.equal(fs.readFileSync(path.join(d, 'cpuset.mems'), 'utf8'), '0');
  t.equal(fs.readFileSync(path.join(s.root, 'p', 'cgroup.subtree_control'), 'utf8'), '+cpuset +cpu +io +memory +pids');
  t.throws(() => cg.setSync({ memory: { limit: -5 } }), { code: 'ERR_INVALID_ARG_VALUE', message: /resources\.memory\.limit/ });
  t.throws(() => cg.setSync({ cpu: { cpus: '0;rm' } }), { code: 'ERR_INVALID_ARG_VALUE', message: /resources\.cpu\.cpus/ });
  fs.writeFileSync(path.join(d, 'memory.events'), 'low 0\nhigh 0\nmax 0\noom 2\noom_kill 3\n');
  t.equal(await cg.oomKillCount(), 3);
  const v1 = scratch(t, 1);
  const c1 = cgmgr.libctrManager('c', '/p', false, v1.options);
  c1.applySync(-1);
  fs.writeFileSync(path.join(v1.root, 'memory/p/c/memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 4\n');
  t.equal(c1.oomKillCountSync(), 4);
  t.same(Object.keys(c1.paths).sort(), ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids']);
});

t.test('systemd manager: moveConmonToCgroup goes to D-Bus (real systemd: test/systemd); the rest works', async (t) => {
  const s = scratch(t, 2);
  const m = cgmgr.newSystemdManager({ ...s.options, bus: { address: 'unix:path=/nonexistent/cgmgr-fixes-bus' } });
  await t.rejects(m.moveConmonToCgroup('cid', 'kubepods-pod1.slice', 'pod', 1234, null), {
    code: 'ERR_DBUS_CONNECT', cgroupPathToClean: '',
    message: /^failed to add conmon to systemd sandbox cgroup: start transient unit "crio-conmon-cid.scope": cannot connect to D-Bus/,
  });
  t.throws(() => cgmgr.newSystemdManager({ ...s.options, systemdRunning: false }).containerCgroupManager('a.slice', 'x'),
    { message: 'systemd not running on this host, cannot use systemd cgroups manager' });
  let probed = 0;
  cgmgr.newSystemdManager({ ...s.options, systemdRunning: () => { probed++; return true; } }).containerCgroupManager('a.slice', 'x');
  t.equal(probed, 1, 'the injected probe is used');
  t.equal(typeof cgmgr.isSystemdRunning(), 'boolean');
  t.equal(cgmgr.isSystemdRunning(), fs.existsSync('/run/systemd/system') && fs.lstatSync('/run/systemd/system').isDirectory());
  await m.createSandboxCgroup('a-b.slice', 'sb');
  t.ok(fs.statSync(path.join(s.root, 'a.slice/a-b.slice/crio-sb')).isDirectory());
  await m.removeSandboxCgroup('a-b.slice', 'sb');
  t.notOk(fs.existsSync(path.join(s.root, 'a.slice/a-b.slice/crio-sb')));
  t.equal(cgmgr.CRIO_PREFIX, 'crio');
  t.equal(cgmgr.DEFAULT_CGROUP_MANAGER, 'systemd');
});

t.test('sandbox parent memory check (spec §5.3): read errors, int64 range, negative values', async (t) => {
  const s = scratch(t, 2);
  const m = cgmgr.setCgroupManager('cgroupfs', s.options);
  const file = path.join(s.root, 'pod/memory.max');
  mkdirp(path.dirname(file));
  mkdirp(file); // a directory where the file should be: a read error other than "not found"
  t.throws(() => m.sandboxCgroupPathSync('/pod', 'sb', 1), { message: /^unable to read memory file for cgroups at \/pod: EISDIR/ });
  fs.rmdirSync(file);
  fs.writeFileSync(file, '9223372036854775807\n');
  t.same(m.sandboxCgroupPathSync('/pod', 'sb', 12582912), { cgParent: '/pod', cgPath: '/pod/crio-sb' });
  fs.writeFileSync(file, '9223372036854775808\n');
  t.throws(() => m.sandboxCgroupPathSync('/pod', 'sb', 1), {
    message: 'error converting cgroup memory value from string to int "9223372036854775808": strconv.ParseInt: parsing "9223372036854775808": value out of range',
  });
  fs.writeFileSync(file, '-1\n\n');
  t.throws(() => m.sandboxCgroupPathSync('/pod', 'sb', 12582912), { message: 'pod set memory limit -1 too low; should be at least 12582912 bytes', code: 'ERR_CGROUP_MEMORY_TOO_LOW' });
  fs.writeFileSync(file, '12582912');
  t.same(await m.sandboxCgroupPath('/pod', 'sb', 12582912n), { cgParent: '/pod', cgPath: '/pod/crio-sb' }, 'equality passes, bigint min');
  fs.writeFileSync(file, '12582911');
  await t.rejects(m.sandboxCgroupPath('/pod', 'sb', 12582912), { message: 'pod set memory limit 12582911 too low; should be at least 12582912 bytes' });
});
