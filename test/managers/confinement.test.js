'use strict';
// The managers cannot act outside their cgroup (issue 15 item 5, issue 13 "one way into cgroupfs"): every mkdir,
// rmdir, write and read goes through the engine, beneath the hierarchy root, and no symlink planted in a scratch tree
// redirects any of them; the root cgroup (and whatever resolves to it) is refused by every manager entry; one engine
// and one layout per context serve the handles and their stats; the async pid move is asynchronous.
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const asyncHooks = require('node:async_hooks');
const { spawnSync } = require('node:child_process');
const cgmgr = require('../../dist');
const { native } = require('../../dist/native');
const { scratch, snapshot, mkdirp } = require('./helpers');

/** A directory outside the scratch root that a planted symlink points to; its snapshot must never change. */
function outside(t) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-outside-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

const REFUSED = { code: 'ERR_CGROUP_ROOT_REFUSED' };

t.test('a symlinked parent redirects no mkdir (apply, createSandboxCgroup, moveConmonToCgroup), v2 and v1, sync and async', async (t) => {
  for (const version of [2, 1]) {
    const s = scratch(t, version);
    const out = outside(t);
    const link = version === 2 ? path.join(s.root, 'pod') : path.join(s.root, 'cpu', 'pod');
    if (version === 1) for (const c of ['blkio', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids']) mkdirp(path.join(s.root, c, 'pod'));
    fs.symlinkSync(out, link);
    const before = snapshot(out);
    const m = cgmgr.setCgroupManager('cgroupfs', s.options);
    const cg = cgmgr.libctrManager('ctr', '/pod', false, s.options);
    // mkdir of the symlink's own name meets it (EEXIST, not followed); nothing below it is reached.
    const refused = { code: 'EEXIST', syscall: 'mkdirat' };
    t.throws(() => cg.applySync(-1), refused, `v${version} applySync`);
    await t.rejects(cg.apply(-1), refused, `v${version} apply`);
    t.throws(() => m.createSandboxCgroupSync('/pod', 'sb'), refused, `v${version} createSandboxCgroupSync`);
    await t.rejects(m.createSandboxCgroup('/pod', 'sb'), {}, `v${version} createSandboxCgroup`);
    t.throws(() => m.moveConmonToCgroupSync('cid', '/pod', 'pod', -1, null), { cgroupPathToClean: '/pod/crio-conmon-cid' });
    t.same(snapshot(out), before, `v${version}: nothing created outside the root`);
    t.ok(fs.lstatSync(link).isSymbolicLink(), 'the symlink itself is left alone');
  }
});

t.test('a symlinked parent or cgroup redirects no rmdir: destroy() and removeSandboxCgroup remove nothing outside', async (t) => {
  const s = scratch(t, 2);
  const out = outside(t);
  mkdirp(path.join(out, 'ctr', 'child'));
  mkdirp(path.join(out, 'crio-sb'));
  fs.symlinkSync(out, path.join(s.root, 'pod'));
  mkdirp(path.join(s.root, 'pod2'));
  fs.symlinkSync(path.join(out, 'ctr'), path.join(s.root, 'pod2', 'ctr'));
  const before = snapshot(out);
  const m = cgmgr.setCgroupManager('cgroupfs', s.options);
  t.throws(() => cgmgr.libctrManager('ctr', '/pod', false, s.options).destroySync(), { code: 'ELOOP' });
  await t.rejects(cgmgr.libctrManager('ctr', '/pod', false, s.options).destroy(), { code: 'ELOOP' });
  t.throws(() => m.removeSandboxCgroupSync('/pod', 'sb'), { code: 'ELOOP' });
  await t.rejects(m.removeSandboxCgroup('/pod', 'sb'), { code: 'ELOOP' });
  // The cgroup's own directory is a symlink: rmdir does not follow it (ENOTDIR), listing it is ELOOP.
  t.throws(() => cgmgr.libctrManager('ctr', '/pod2', false, s.options).destroySync(), { code: 'ELOOP' });
  t.same(snapshot(out), before, 'nothing removed outside the root');
  t.ok(fs.lstatSync(path.join(s.root, 'pod2', 'ctr')).isSymbolicLink(), 'the symlink in the cgroup\'s place stays');
});

t.test('a symlinked file redirects no write (set, sched_load_balance) and no read (oomKillCount, exists)', async (t) => {
  const s = scratch(t, 2);
  const out = outside(t);
  const target = path.join(out, 'target');
  fs.writeFileSync(target, 'untouched');
  mkdirp(path.join(s.root, 'pod', 'ctr'));
  for (const f of ['cpu.max', 'memory.max', 'memory.events']) fs.symlinkSync(target, path.join(s.root, 'pod', 'ctr', f));
  const cg = cgmgr.libctrManager('ctr', '/pod', false, s.options);
  t.throws(() => cg.setSync({ cpu: { quota: 50000, period: 100000 } }), { code: 'ELOOP' });
  await t.rejects(cg.set({ memory: { limit: 1 << 30 } }), { code: 'ELOOP' });
  t.throws(() => cg.oomKillCountSync(), { code: 'ELOOP' });
  await t.rejects(cg.oomKillCount(), { code: 'ELOOP' });
  t.equal(fs.readFileSync(target, 'utf8'), 'untouched');
  t.equal(cg.existsSync(), true);
  fs.symlinkSync(out, path.join(s.root, 'elsewhere'));
  t.throws(() => cgmgr.libctrManager('x', '/elsewhere', false, s.options).existsSync(), { code: 'ELOOP' });
  t.equal(cgmgr.libctrManager('nope', '/pod', false, s.options).existsSync(), false);
  await t.rejects(cgmgr.libctrManager('x', '/elsewhere', false, s.options).exists(), { code: 'ELOOP' });

  // v1: cpuset.sched_load_balance of a sandbox cgroup, and the parent's cpuset.cpus copied into a new cgroup.
  const v1 = scratch(t, 1);
  mkdirp(path.join(v1.root, 'cpuset', 'pod', 'crio-sb'));
  fs.symlinkSync(target, path.join(v1.root, 'cpuset', 'pod', 'crio-sb', 'cpuset.sched_load_balance'));
  t.throws(() => cgmgr.setCgroupManager('cgroupfs', v1.options).createSandboxCgroupSync('/pod', 'sb'), {
    code: 'ERR_CGROUP_WRITE', message: /^failed to set sched_load_balance cpuset for newly created cgroup: ELOOP/,
  });
  fs.symlinkSync(target, path.join(v1.root, 'cpuset', 'pod', 'cpuset.cpus'));
  fs.writeFileSync(path.join(v1.root, 'cpuset', 'pod', 'cpuset.mems'), '0');
  mkdirp(path.join(v1.root, 'cpuset', 'pod', 'ctr'));
  fs.writeFileSync(path.join(v1.root, 'cpuset', 'pod', 'ctr', 'cpuset.cpus'), '');
  t.throws(() => cgmgr.libctrManager('ctr', '/pod', false, v1.options).applySync(-1), { code: 'ELOOP' }, 'the parent\'s cpuset.cpus is not followed');
  t.equal(fs.readFileSync(target, 'utf8'), 'untouched');
});

t.test('the engine\'s write side refuses symlinks in both resolution modes and never acts on the hierarchy root', async (t) => {
  const s = scratch(t, 2);
  const out = outside(t);
  fs.writeFileSync(path.join(out, 'f'), 'x');
  fs.symlinkSync(out, path.join(s.root, 'link'));
  mkdirp(path.join(s.root, 'a'));
  fs.symlinkSync(path.join(out, 'f'), path.join(s.root, 'a', 'f'));
  const before = snapshot(out);
  for (const resolve of ['walk', 'openat2']) {
    const e = new cgmgr.Engine({ root: s.root, version: 2, resolve, fdBudget: 8 });
    t.teardown(() => e.destroy());
    const h = e.layout.hierarchies[0];
    // A symlinked directory on the way: openat2 says ELOOP; the walk's O_PATH|O_DIRECTORY|O_NOFOLLOW says ENOTDIR.
    const dirRefused = resolve === 'walk' ? { code: 'ENOTDIR', syscall: 'openat' } : { code: 'ELOOP', syscall: 'openat2' };
    t.throws(() => e.mkdirSync(h, 'link/x'), dirRefused, resolve);
    await t.rejects(e.mkdir(h, 'link/x'), dirRefused);
    t.throws(() => e.rmdirSync(h, 'link/x'), dirRefused);
    t.throws(() => e.childrenSync(h, 'link'), dirRefused);
    await t.rejects(e.children(h, 'link'), dirRefused);
    t.throws(() => e.readTextSync(h, 'link', 'f'), dirRefused);
    await t.rejects(e.writeText(h, 'link', 'f', 'y'), dirRefused);
    // A symlinked file: opened with O_NOFOLLOW in both modes.
    t.throws(() => e.readTextSync(h, 'a', 'f'), { code: 'ELOOP', syscall: 'openat' });
    await t.rejects(e.readText(h, 'a', 'f'), { code: 'ELOOP' });
    t.throws(() => e.writeTextSync(h, 'a', 'f', 'y'), { code: 'ELOOP', syscall: 'openat' });
    t.throws(() => e.mkdirSync(h, 'a/f'), { code: 'EEXIST', syscall: 'mkdirat' }, 'a symlink in the place of a new cgroup');
    t.throws(() => e.rmdirSync(h, 'link'), { code: 'ENOTDIR', syscall: 'unlinkat' }, 'rmdir does not follow a symlink');
  }
  t.same(snapshot(out), before, 'nothing outside changed');
  t.ok(fs.lstatSync(path.join(s.root, 'link')).isSymbolicLink());

  const e = new cgmgr.Engine({ root: s.root, version: 2, fdBudget: 8 });
  t.teardown(() => e.destroy());
  const h = e.layout.hierarchies[0];
  for (const p of ['', '/']) {
    t.throws(() => e.mkdirSync(h, p), REFUSED);
    t.throws(() => e.rmdirSync(h, p), REFUSED);
    await t.rejects(e.rmdir(h, p), REFUSED);
  }
  t.throws(() => native.fsOp(e.nativeEngine, 1, 0, '', '', ''), REFUSED, 'native refuses it too');
  t.throws(() => e.rmdirSync(h, 'a/..'), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => native.fsOp(e.nativeEngine, 1, 0, 'a/..', '', ''), { code: 'ERR_CGROUP_INVALID_PATH' });
  t.throws(() => e.mkdirSync({ ...h }, 'x'), { code: 'ERR_INVALID_ARG_VALUE' }, 'a hierarchy of another layout');
  // Only an Engine is accepted where the native calls want one (a type tag, not the prototype).
  t.throws(() => native.fsOp({}, 2, 0, '', '', ''), TypeError);
  t.throws(() => native.fsOp(Object.create(Object.getPrototypeOf(e.nativeEngine)), 2, 0, '', '', ''), TypeError);
  const watch = new native.OomWatch(() => {});
  const closeWatch = watch.close.bind(watch);
  t.teardown(() => closeWatch());
  Object.setPrototypeOf(watch, Object.getPrototypeOf(e.nativeEngine));
  t.throws(() => native.fsOp(watch, 2, 0, '', '', ''), TypeError, 'another wrapped class with the Engine prototype');
  t.throws(() => native.fsOp(e.nativeEngine, 9, 0, '', '', ''), RangeError);
  t.throws(() => native.fsOp(e.nativeEngine, 2, 7, '', '', ''), RangeError);
  t.same(e.childrenSync(h, '').sort(), ['a'], 'symlinks are not children');
  t.equal(e.childrenSync(h, 'missing'), undefined);
  t.equal(e.mkdirSync(h, 'a'), false, 'an existing directory');
  t.equal(e.mkdirSync(h, 'a/b'), true);
  t.equal(await e.rmdir(h, 'a/b'), true);
  t.equal(e.rmdirSync(h, 'a/b'), false, 'already gone');
});

t.test('FIFOs: a read or write never blocks; only regular files are read or written', async (t) => {
  const s = scratch(t, 2);
  mkdirp(path.join(s.root, 'pod', 'ctr'));
  const fifo = path.join(s.root, 'pod', 'ctr', 'memory.events');
  if (spawnSync('mkfifo', [fifo]).status !== 0) return t.skip('mkfifo is not available');
  spawnSync('mkfifo', [path.join(s.root, 'pod', 'ctr', 'cpu.max')]);
  const cg = cgmgr.libctrManager('ctr', '/pod', false, s.options);
  t.throws(() => cg.oomKillCountSync(), { code: 'ERR_CGROUP_NOT_REGULAR_FILE' });
  await t.rejects(cg.oomKillCount(), { code: 'ERR_CGROUP_NOT_REGULAR_FILE' });
  t.throws(() => cg.setSync({ cpu: { quota: 1000 } }), { code: 'ENXIO' }, 'O_NONBLOCK: a FIFO without a reader');
  cg.setSync({ cpu: { cpus: '0' } });
  t.equal(fs.readFileSync(path.join(s.root, 'pod', 'ctr', 'cpuset.cpus'), 'utf8'), '0', 'a plain directory gets a missing file created');
});

t.test('the root cgroup and what resolves to it are refused by every manager entry; nothing is created or removed', async (t) => {
  const s = scratch(t, 2);
  for (const d of ['a', 'a/b', 'c', 'd/e/f', 'g', 'h', 'i', 'j']) mkdirp(path.join(s.root, d));
  const before = snapshot(s.root);
  for (const name of ['', '/', '.', 'a/..', '//', './.', '../..']) {
    t.throws(() => cgmgr.libctrManager(name, '', false, s.options), REFUSED, `libctrManager(${JSON.stringify(name)}, '')`);
    t.throws(() => cgmgr.libctrManager(name, '/', false, s.options), REFUSED);
    t.throws(() => cgmgr.libctrManager(name, '/a', false, s.options), REFUSED, 'names no cgroup below its parent');
  }
  t.throws(() => cgmgr.libctrManager('..', '/a', false, s.options), REFUSED);
  t.throws(() => cgmgr.libctrManager('b/../..', '/a', false, s.options), REFUSED);
  // A handle on the root built by hand: apply, destroy and set's creation refuse it.
  const ctx = new cgmgr.CgroupContext(s.options);
  const root = new cgmgr.Cgroup({ name: '', parent: '' }, ctx, '/');
  t.throws(() => root.destroySync(), REFUSED);
  await t.rejects(root.destroy(), REFUSED);
  t.throws(() => root.applySync(-1), REFUSED);
  await t.rejects(root.apply(-1), REFUSED);
  t.same(snapshot(s.root), before, 'the scratch tree is unchanged (CRI-O-like removal took 11 → 3 directories)');
  // The same on v1, where destroy walks every hierarchy.
  const v1 = scratch(t, 1);
  mkdirp(path.join(v1.root, 'memory', 'x', 'y'));
  const before1 = snapshot(v1.root);
  const root1 = new cgmgr.Cgroup({ name: '', parent: '' }, new cgmgr.CgroupContext(v1.options), '/');
  t.throws(() => root1.destroySync(), REFUSED);
  t.throws(() => cgmgr.libctrManager('', '', false, v1.options), REFUSED);
  t.same(snapshot(v1.root), before1);
});

t.test('one engine and one layout per context: a mountinfo listing only memory, for the handle and for statsSync', async (t) => {
  const tree = path.join(__dirname, '..', 'fixtures', 'trees', 'v1-real');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-mi-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const mountinfo = path.join(dir, 'mountinfo');
  fs.writeFileSync(mountinfo, `30 25 0:26 / ${tree}/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory\n`);
  const opts = { root: tree, mountinfo, procRoot: dir, hugePageSizes: [], version: 1 };
  const cg = cgmgr.libctrManager('ctr', '/cgmgr-rec', false, opts);
  t.same(cg.context.layout.hierarchies.map((h) => path.basename(h.path)), ['memory']);
  t.equal(cg.context.statsReader().engine, cg.context.engine, "the handle's stats read through the context's engine");
  const fromHandle = cg.statsSync({ bigint: true });
  const fromFunction = cgmgr.statsSync('cgmgr-rec/ctr', { ...opts, bigint: true });
  for (const s of [fromHandle, fromFunction, await cg.stats({ bigint: true })]) {
    t.equal(s.memory.usage, 38387712n, 'memory is read');
    t.ok(s.absent.includes('cpu.totalUsageNano'), 'cpuacct is not mounted in that table: not read');
    t.ok(s.absent.includes('pid.current'));
  }
  const all = cgmgr.statsSync('cgmgr-rec/ctr', { root: tree, procRoot: dir, hugePageSizes: [], version: 1, bigint: true });
  t.equal(all.cpu.totalUsageNano, 1121611892n, 'another mount table of the same root is another engine');
  t.equal(cgmgr.statsSync('cgmgr-rec/ctr', { ...opts, bigint: true }).cpu.totalUsageNano, 0n, 'and the first is still its own');
});

t.test("moveProcessToContainerCgroup: asynchronous (the engine's pool write), its Sync twin not; symlinks refused", async (t) => {
  const s = scratch(t, 1);
  mkdirp(path.join(s.procRoot, '42'));
  fs.writeFileSync(path.join(s.procRoot, '42', 'cgroup'), '12:pids:/pod/ctr\n4:memory:/pod/ctr\n');
  for (const c of ['pids', 'memory']) {
    mkdirp(path.join(s.root, c, 'pod', 'ctr'));
    fs.writeFileSync(path.join(s.root, c, 'pod', 'ctr', 'cgroup.procs'), '');
  }
  const types = [];
  const hook = asyncHooks.createHook({ init(id, type) { types.push(type); } });
  hook.enable();
  let p;
  try {
    p = cgmgr.moveProcessToContainerCgroup(42, 4242, { root: s.root, procRoot: s.procRoot });
  } finally {
    hook.disable();
  }
  await p;
  t.ok(types.includes('cgmgr.writePids'), `the write is queued on the libuv pool (${[...new Set(types)].join(', ')})`);
  for (const c of ['pids', 'memory']) t.equal(fs.readFileSync(path.join(s.root, c, 'pod', 'ctr', 'cgroup.procs'), 'utf8'), '4242');
  types.length = 0;
  hook.enable();
  try {
    cgmgr.moveProcessToContainerCgroupSync(42, 4343, { root: s.root, procRoot: s.procRoot });
  } finally {
    hook.disable();
  }
  t.notOk(types.includes('cgmgr.writePids'), 'the Sync twin writes on the calling thread');
  t.equal(fs.readFileSync(path.join(s.root, 'pids', 'pod', 'ctr', 'cgroup.procs'), 'utf8'), '4343');

  // The cgroup listed for the container is reached through a symlink: refused, nothing written outside.
  const out = outside(t);
  mkdirp(path.join(out, 'ctr'));
  fs.writeFileSync(path.join(out, 'ctr', 'cgroup.procs'), '');
  fs.symlinkSync(out, path.join(s.root, 'pids', 'evil'));
  fs.writeFileSync(path.join(s.procRoot, '42', 'cgroup'), '12:pids:/evil/ctr\n');
  await t.rejects(cgmgr.moveProcessToContainerCgroup(42, 4242, { root: s.root, procRoot: s.procRoot }), { code: 'ELOOP' });
  t.throws(() => cgmgr.moveProcessToContainerCgroupSync(42, 4242, { root: s.root, procRoot: s.procRoot }), { code: 'ELOOP' });
  t.equal(fs.readFileSync(path.join(out, 'ctr', 'cgroup.procs'), 'utf8'), '');
  // A cgroup namespace's path (above the root) names no cgroup here: skipped.
  fs.writeFileSync(path.join(s.procRoot, '42', 'cgroup'), '12:pids:/../../pod/ctr\n');
  await cgmgr.moveProcessToContainerCgroup(42, 5151, { root: s.root, procRoot: s.procRoot });
  t.equal(fs.readFileSync(path.join(s.root, 'pids', 'pod', 'ctr', 'cgroup.procs'), 'utf8'), '4343', 'not written');
});

t.test('fsOp / fsOpAsync survive junk arguments with a real engine, and change nothing', async (t) => {
  const s = scratch(t, 2);
  mkdirp(path.join(s.root, 'a', 'b'));
  fs.writeFileSync(path.join(s.root, 'a', 'f'), 'x');
  const before = snapshot(s.base);
  const e = new cgmgr.Engine({ root: s.root, version: 2, fdBudget: 8 });
  t.teardown(() => e.destroy());
  const junk = [undefined, null, true, -1, 1.5, NaN, 2 ** 32, '', '..', '/', 'a\0b', 'x'.repeat(5000), '../a', 'a/../a',
    {}, [], new Uint32Array(1), Symbol('s'), () => 1, 10n, { toString: () => 'a' }];
  let calls = 0;
  const pending = [];
  for (const fn of [native.fsOp, native.fsOpAsync]) {
    for (const a of junk) {
      for (const op of [0, 1, 2, 3, 4, a]) {
        for (const args of [[e.nativeEngine, op, 0, a, a, a], [e.nativeEngine, op, a, 'a', a, a], [a, op, 0, 'a', 'f', 'y']]) {
          try {
            const r = fn(...args);
            if (r && typeof r.then === 'function') pending.push(r.catch((err) => t.ok(err instanceof Error, 'rejects with an Error')));
          } catch (err) {
            if (!(err instanceof Error)) t.fail(`non-Error thrown: ${String(err)}`);
          }
          calls++;
        }
      }
    }
  }
  await Promise.all(pending);
  t.ok(calls > 700, `${calls} hostile calls, process alive`);
  // 'a' as path with junk names: reads of 'a' itself are refused (name checks); nothing was made, removed or written.
  t.same(snapshot(s.base), before, 'the tree is unchanged');
  t.equal(e.readTextSync(e.layout.hierarchies[0], 'a', 'f'), 'x', 'the engine still works');
});
