'use strict';
// Every async method is asynchronous (issue 13): its I/O goes through the engine's async path (a job on the libuv
// pool), so the promise is still pending once the microtask queue has drained — a method that called its Sync twin
// would have settled by then — and the pool job is seen being queued. Each check is shown to fail on a Sync twin
// wrapped in an async function, so it can tell the two apart.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const asyncHooks = require('node:async_hooks');
const cgmgr = require('../../dist');
const { scratch, mkdirp } = require('./helpers');

/** Lets every queued microtask (and the ones they queue) run; no macrotask (I/O completion, timer) can run meanwhile. */
async function drainMicrotasks() {
  for (let i = 0; i < 50; i++) await null;
}

/**
 * Calls start(); returns { pendingAfterMicrotasks, jobs (async resource types queued during the call), value }.
 * A pool job's completion is a macrotask: a promise waiting on one cannot settle while only microtasks run.
 */
async function observe(start) {
  const jobs = [];
  const hook = asyncHooks.createHook({ init(id, type) { if (type.startsWith('cgmgr.')) jobs.push(type); } });
  let settled = false;
  let p;
  hook.enable();
  try {
    p = start();
  } finally {
    hook.disable();
  }
  p.then(() => { settled = true; }, () => { settled = true; });
  await drainMicrotasks();
  const pendingAfterMicrotasks = !settled;
  let value;
  let error;
  try {
    value = await p;
  } catch (e) {
    error = e;
  }
  return { pendingAfterMicrotasks, jobs, value, error };
}

t.test('the check tells an async method from a Sync twin in an async wrapper', async (t) => {
  const s = scratch(t, 2);
  mkdirp(path.join(s.root, 'pod', 'ctr'));
  fs.writeFileSync(path.join(s.root, 'pod', 'ctr', 'cgroup.procs'), '7\n8\n');
  const cg = cgmgr.libctrManager('ctr', '/pod', false, s.options);
  const fake = await observe(async () => cg.getPidsSync());
  t.equal(fake.pendingAfterMicrotasks, false, 'a Sync twin behind async settles within the microtasks');
  t.same(fake.jobs, [], 'and queues no pool job');
  t.same(fake.value, [7, 8]);
});

for (const version of [2, 1]) {
  t.test(`v${version}: Cgroup.getPids reads cgroup.procs on the pool`, async (t) => {
    const s = scratch(t, version);
    const dir = version === 2 ? path.join(s.root, 'pod', 'ctr') : path.join(s.root, 'devices', 'pod', 'ctr');
    mkdirp(dir);
    fs.writeFileSync(path.join(dir, 'cgroup.procs'), '11\n12\n\n13\n');
    const cg = cgmgr.libctrManager('ctr', '/pod', false, s.options);
    const r = await observe(() => cg.getPids());
    t.equal(r.pendingAfterMicrotasks, true, 'pending until the pool job completes');
    t.same(r.jobs, ['cgmgr.readPids'], 'one readPids job');
    t.same(r.value, [11, 12, 13]);
    t.same(cg.getPidsSync(), [11, 12, 13], 'the Sync twin agrees');
    // Errors reject the promise with what the Sync twin throws.
    fs.writeFileSync(path.join(dir, 'cgroup.procs'), '11\nx\n');
    const bad = await observe(() => cg.getPids());
    t.equal(bad.pendingAfterMicrotasks, true);
    t.match(bad.error, { code: 'ERR_CGROUP_PARSE', message: 'unable to parse cgroup.procs: not a list of pids (line 2)' });
    t.throws(() => cg.getPidsSync(), { code: 'ERR_CGROUP_PARSE', message: bad.error.message });
    fs.rmSync(path.join(dir, 'cgroup.procs'));
    const missing = await observe(() => cg.getPids());
    t.match(missing.error, { code: 'ENOENT', syscall: 'openat', path: path.join(dir, 'cgroup.procs') });
    t.throws(() => cg.getPidsSync(), { code: 'ENOENT', message: missing.error.message });
  });

  t.test(`v${version}: Cgroup.oomKillCount reads oom_kill through the engine's async read`, async (t) => {
    const s = scratch(t, version);
    const dir = version === 2 ? path.join(s.root, 'pod', 'ctr') : path.join(s.root, 'memory', 'pod', 'ctr');
    const file = path.join(dir, version === 2 ? 'memory.events' : 'memory.oom_control');
    mkdirp(dir);
    fs.writeFileSync(file, version === 2 ? 'low 0\noom 2\noom_kill 5\n' : 'oom_kill_disable 0\nunder_oom 0\noom_kill 5\n');
    const cg = cgmgr.libctrManager('ctr', '/pod', false, s.options);
    const r = await observe(() => cg.oomKillCount());
    t.equal(r.pendingAfterMicrotasks, true);
    t.same(r.jobs, ['cgmgr.read'], 'one batch read of the stats events reader');
    t.equal(r.value, 5);
    t.equal(cg.oomKillCountSync(), 5);
    t.equal(cg.statsSync({ controllers: ['memoryEvents'] }).memoryEvents.oomKill, 5, 'the same number as stats()');
    fs.writeFileSync(file, 'oom 1\n');
    t.equal(await cg.oomKillCount(), 0, 'no oom_kill key: 0');
    t.equal(cg.oomKillCountSync(), 0);
    fs.writeFileSync(file, 'oom_kill 1x\n');
    await t.rejects(cg.oomKillCount(), { code: 'ERR_CGROUP_PARSE', message: `unable to parse ${file}: strconv.ParseUint: parsing "1x": invalid syntax` });
    t.throws(() => cg.oomKillCountSync(), { code: 'ERR_CGROUP_PARSE' });
    fs.rmSync(file);
    await t.rejects(cg.oomKillCount(), { code: 'ENOENT', path: file });
    t.throws(() => cg.oomKillCountSync(), { code: 'ENOENT', path: file });
  });
}

t.test('sandboxCgroupPath reads the parent\'s memory limit on the pool', async (t) => {
  for (const version of [2, 1]) {
    const s = scratch(t, version);
    const dir = version === 2 ? path.join(s.root, 'pod1') : path.join(s.root, 'memory', 'pod1');
    mkdirp(dir);
    fs.writeFileSync(path.join(dir, version === 2 ? 'memory.max' : 'memory.limit_in_bytes'), '104857600\n');
    const m = cgmgr.setCgroupManager('cgroupfs', s.options);
    const r = await observe(() => m.sandboxCgroupPath('/pod1', 'sb', 12582912));
    t.equal(r.pendingAfterMicrotasks, true, `v${version}: pending until the read completes`);
    t.same(r.jobs, ['cgmgr.fsOp'], `v${version}: one engine read`);
    t.same(r.value, { cgParent: '/pod1', cgPath: '/pod1/crio-sb' });
    t.same(m.sandboxCgroupPathSync('/pod1', 'sb', 12582912), r.value, 'the Sync twin agrees');
    const low = await observe(() => m.sandboxCgroupPath('/pod1', 'sb', 209715200));
    t.match(low.error, { code: 'ERR_CGROUP_MEMORY_TOO_LOW' });
    t.throws(() => m.sandboxCgroupPathSync('/pod1', 'sb', 209715200), { code: 'ERR_CGROUP_MEMORY_TOO_LOW', message: low.error.message });
    // Bad arguments reject (they do not throw synchronously out of an async method).
    const p = m.sandboxCgroupPath('/pod1.slice', 'sb', 0);
    await t.rejects(p, { code: 'ERR_CGROUP_WRONG_DRIVER' });
  }
});

t.test('the other async methods of a Cgroup queue engine jobs too', async (t) => {
  const s = scratch(t, 2);
  mkdirp(path.join(s.root, 'pod', 'ctr'));
  fs.writeFileSync(path.join(s.root, 'pod', 'ctr', 'cgroup.procs'), '');
  const cg = cgmgr.libctrManager('ctr', '/pod', false, s.options);
  for (const [name, start] of [['exists', () => cg.exists()], ['set', () => cg.set({ pids: { limit: 5 } })],
    ['addPids', () => cg.addPids([4242])]]) { // a scratch file, no process moved
    const r = await observe(start);
    t.equal(r.pendingAfterMicrotasks, true, `${name}: pending until its job completes`);
    t.ok(r.jobs.length > 0, `${name}: queues ${r.jobs.join(', ')}`);
  }
  t.equal(fs.readFileSync(path.join(s.root, 'pod', 'ctr', 'pids.max'), 'utf8'), '5');
});
