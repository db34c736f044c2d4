'use strict';
// Issue 15 item 4 (memory and exception safety) and item 6 (lesser), each a regression test of what broke before:
// buffers detached during async reads, detached/shared/wrong buffers, throwing getters and Proxies (double throw →
// abort), plans never freed, handle ids recycled after 256 cycles of a slot, FIFOs that hung reads, blkio files past
// the engine's capacity (bare RangeError), plan() errors without a code, UTF-16 path lengths, watch() raw errors.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { Engine, StatsCollector, statsSync, ROW_STATUS, CgroupError } = require('../../dist');
const { ITEM_STATUS, FILE_STATUS } = require('../../dist/engine');
const { scratchTree, spoil, blkioLines } = require('../helpers/scratch-tree');

const TREE = path.join(__dirname, '..', 'fixtures', 'trees', 'v1-real');

function engineWithPlan(t, root = TREE) {
  const engine = new Engine({ root, version: 1 });
  t.teardown(() => engine.destroy());
  const plan = engine.plan([
    { controller: 'memory', name: 'memory.stat', format: 'flatKeyed', keys: ['cache', 'rss'] },
    { controller: 'pids', name: 'pids.max', format: 'single' },
  ]);
  return { engine, plan };
}

const detach = (ab) => structuredClone(ab, { transfer: [ab] });

t.test('a shared result (written in place by the workers) cannot be detached while a read runs', async (t) => {
  const { engine, plan } = engineWithPlan(t);
  const ids = Array.from({ length: 2000 }, () => engine.open('cgmgr-rec'));
  const plain = engine.readSync(plan, ids, engine.result(plan, ids.length, { bigint: true }));
  for (let i = 0; i < 8; i++) {
    const r = engine.result(plan, ids.length, { bigint: true, shared: true });
    t.ok(r.values.buffer instanceof SharedArrayBuffer && r.fileStatus.buffer instanceof SharedArrayBuffer);
    const p = engine.read(plan, ids, r, { workers: 1 + (i % 4) });
    t.throws(() => detach(i % 2 ? r.values.buffer : r.fileStatus.buffer), undefined, `round ${i}: no transfer`);
    await p;
    t.same([...r.fileStatus], [...plain.fileStatus], `round ${i}: read in place, statuses as a sync read's`);
    t.same([...r.values], [...plain.values], `round ${i}: values as a sync read's`);
  }
});

t.test('detaching a result buffer while engine.read() runs is refused, not a use-after-free', async (t) => {
  // Before: the worker wrote into the transferred (freed) backing store: SIGSEGV 3 of 3, a heap-use-after-free
  // under ASan. Now the read fills native memory and the copy back finds the arrays detached: a TypeError.
  const { engine, plan } = engineWithPlan(t);
  const ids = Array.from({ length: 2000 }, () => engine.open('cgmgr-rec'));
  for (let i = 0; i < 20; i++) {
    const r = engine.result(plan, ids.length);
    const p = engine.read(plan, ids, r, { workers: 1 + (i % 4) });
    const moved = detach(i % 2 ? r.values.buffer : r.fileStatus.buffer);
    t.equal(moved.byteLength > 0, true, 'the buffer moved away');
    await t.rejects(p, { name: 'TypeError', code: 'ERR_INVALID_STATE' }, `round ${i}: the read rejects`);
  }
  // The ids array may be detached too: the read copied it when it started.
  const r = engine.result(plan, 3);
  const ids3 = Uint32Array.from(ids.slice(0, 3));
  const p = engine.read(plan, ids3, r);
  detach(ids3.buffer);
  await p;
  t.equal(r.itemStatus.join(), '0,0,0', 'ids detached after the call: every row read');
  t.equal(r.get(2, 1), Infinity);
  // pid writes copy their inputs and outputs the same way
  const results = new Int32Array(1);
  const wp = engine.nativeEngine.writePidsAsync(new Uint32Array([0xfffffff0]), new Int32Array([1]), -1, results);
  detach(results.buffer);
  await t.rejects(wp, { code: 'ERR_INVALID_STATE' });
});

t.test('a detached buffer passed in is a TypeError; shared buffers work', async (t) => {
  const { engine, plan } = engineWithPlan(t);
  const ne = engine.nativeEngine;
  const id = engine.open('cgmgr-rec');
  const args = () => [new Uint32Array([id]), new Float64Array(plan.slots), new Uint8Array(plan.slots), new Int32Array(2), new Int32Array(1), new Float64Array(1)];
  for (let k = 0; k < 6; k++) {
    const a = args();
    detach(a[k].buffer);
    t.throws(() => ne.read(plan.id, ...a, true), k === 0 ? { name: 'TypeError' } : { name: k === 0 ? 'TypeError' : /TypeError|RangeError/ }, `argument ${k + 1} detached`);
    await t.rejects(async () => ne.readAsync(plan.id, ...a, true), { name: /TypeError|RangeError/ }, `argument ${k + 1} detached (async)`);
  }
  const a = args();
  detach(a[1].buffer);
  t.throws(() => ne.read(plan.id, ...a, true), { name: 'TypeError', code: 'ERR_INVALID_STATE' }, 'the values buffer detached: says so');
  // SharedArrayBuffer-backed arrays are plain memory to the engine.
  const sab = (T, n) => new T(new SharedArrayBuffer(T.BYTES_PER_ELEMENT * n));
  const s = [Uint32Array.from([id]), sab(Float64Array, plan.slots), sab(Uint8Array, plan.slots), sab(Int32Array, 2), sab(Int32Array, 1), sab(Float64Array, 1)];
  ne.read(plan.id, ...s, true);
  t.equal(s[4][0], ITEM_STATUS.ok);
  t.equal(s[1][plan.files[1].offset], Infinity, 'pids.max read into shared memory');
  s[1].fill(0);
  await ne.readAsync(plan.id, ...s, true);
  t.equal(s[1][plan.files[1].offset], Infinity, 'and asynchronously');
});

t.test('throwing getters, Proxies and wrong typed arrays give one clear error, never a double throw', async (t) => {
  // Before: a throwing getter in plan() keys, or wrong typed arrays to writePids, threw twice and aborted the process
  // (17 of 20 random-argument fuzz runs).
  const { engine } = engineWithPlan(t);
  const ne = engine.nativeEngine;
  const boom = () => { throw new Error('boom'); };
  t.throws(() => ne.createPlan([{ hierarchy: 0, name: 'memory.stat', format: 1, get keys() { return boom(); } }]), { message: 'boom' });
  t.throws(() => ne.createPlan([{ hierarchy: 0, name: 'memory.stat', format: 1, keys: new Proxy(['a'], { get: boom }) }]), Error, 'a Proxy for keys is not an array: no keys');
  t.throws(() => ne.createPlan(new Proxy([{}], { get: boom })), Error);
  t.throws(() => ne.createPlan([new Proxy({}, { get: boom })]), { message: 'boom' });
  const arr = [];
  Object.defineProperty(arr, 0, { get: boom });
  t.throws(() => ne.createPlan(arr), { message: 'boom' });
  t.throws(() => new (Object.getPrototypeOf(ne).constructor)(arr, 1, 0), { message: 'boom' });
  t.throws(() => engine.plan([{ controller: 'memory', name: 'memory.stat', format: 'flatKeyed', get keys() { return boom(); } }]), { message: 'boom' });
  t.throws(() => engine.plan(new Proxy([], { get: boom })), Error);
  t.throws(() => ne.writePids(new Uint32Array(2), new Float64Array(2), -1, new Int32Array(2)), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => ne.writePids(new Uint32Array(2), new Int32Array(2), -1, new Float32Array(2)), { name: 'TypeError' });
  t.throws(() => ne.writePids(new Int32Array(2), new Float64Array(2), -1, 'x'), { name: 'TypeError' });
  t.throws(() => ne.writePids(new Uint32Array(2), new Int32Array(2), 1e9, new Int32Array(2)), { name: 'RangeError' });
  t.throws(() => ne.read.call({}, 1), Error, 'a foreign receiver');
  t.throws(() => ne.readFile(0, 0, 'a\0b'), { code: 'ERR_INVALID_ARG_VALUE' }, 'NUL in a name');
  // plan() errors all carry a code (before: native range errors had none)
  for (const bad of [
    [{ controller: 'pids', name: 'pids.max', format: 'list' }],
    [{ controller: 'pids', name: 'pids.max', format: 'list', cap: 1e6 }],
    [{ controller: 'pids', name: 'pids.max', format: 'flatKeyed', keys: Array(300).fill('k') }],
    [{ controller: 'pids', name: 'pids.max', format: 'single', hold: 'yes' }],
    [null], 'x',
  ]) {
    let code;
    try {
      engine.plan(bad);
    } catch (err) {
      code = err.code;
    }
    t.ok(typeof code === 'string' && code.length > 0, `plan(${JSON.stringify(bad).slice(0, 60)}) throws with a code (${code})`);
  }
});

t.test('plans have a lifetime: 200,000 plan() calls keep the plan count and RSS flat; free() ends one now', async (t) => {
  // Before: plans were never freed (RSS 54 → 145 MB over 200,000 plan() calls). Now the same files share one live
  // plan, and a plan goes when its ReadPlan is collected or freed.
  const { engine, plan } = engineWithPlan(t);
  const id = engine.open('cgmgr-rec');
  const spec = [{ controller: 'memory', name: 'memory.stat', format: 'flatKeyed', keys: ['cache', 'rss', 'swap', 'mapped_file'] }];
  for (let i = 0; i < 20_000; i++) engine.plan(spec); // warm up
  const plans0 = engine.usage().plans;
  const rss0 = process.memoryUsage.rss();
  for (let i = 0; i < 200_000; i++) engine.plan(spec);
  t.ok(engine.usage().plans <= plans0 + 1, `native plans: ${plans0} before, ${engine.usage().plans} after 200,000 plan() calls`);
  const grew = (process.memoryUsage.rss() - rss0) / 1048576;
  // Under AddressSanitizer freed memory sits in its quarantine: RSS says nothing there (the plan count does).
  const asan = /asan/.test(`${process.env.LD_PRELOAD} ${process.env.CGMGR_ADDON}`);
  t.ok(asan || grew < 30, `RSS grew ${grew.toFixed(1)} MB (before the fix: about 90 MB)${asan ? ' (ASan: not checked)' : ''}`);
  // Distinct plans that nobody keeps are freed when collected (a child with --expose-gc, so that GC is certain).
  const script = `
    const { Engine } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'dist'))});
    const e = new Engine({ root: ${JSON.stringify(TREE)}, version: 1 });
    for (let i = 1; i <= 20000; i++) e.plan([{ controller: 'pids', name: 'cgroup.procs', format: 'list', cap: i }]);
    const made = e.usage().plans;
    const settle = (n) => { global.gc(); if (n > 0) setTimeout(() => settle(n - 1), 5); else console.log(JSON.stringify({ made, left: e.usage().plans })); };
    settle(20);`;
  const out = JSON.parse(require('node:child_process').execFileSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' }));
  t.ok(out.made > 1000, `${out.made} distinct plans were live`);
  t.ok(out.left < 100, `${out.left} left after they were collected`);
  // An explicit free ends a plan now (one use per plan() call that returned it); reads then say so.
  const lone = [{ controller: 'pids', name: 'pids.current', format: 'single' }];
  const p = engine.plan(lone);
  const again = engine.plan(lone);
  t.equal(again, p, 'the same files, while that plan lives: the same plan');
  const before = engine.usage().plans;
  p.free();
  t.equal(engine.usage().plans, before, 'one use left');
  again.free();
  p.free();
  t.equal(engine.usage().plans, before - 1, 'freed with its last use');
  t.throws(() => engine.readSync(p, [id]), { code: 'ERR_CGROUP_NO_SUCH_PLAN' });
  t.throws(() => engine.nativeEngine.read(p.id, new Uint32Array(0), new Float64Array(0), new Uint8Array(0), new Int32Array(0), new Int32Array(0), undefined, true), { code: 'ERR_CGROUP_NO_SUCH_PLAN' });
  t.not(engine.plan(lone), p, 'planning the files again makes a new plan');
  t.equal(engine.readSync(plan, [id]).get(0, 1), Infinity, 'the other plans read');
});

t.test('collector create/close cycles keep the heap flat (plans registered for freeing never keep their engine alive)', async (t) => {
  // A regression of the plan lifetime itself: a registry entry that held the JS Engine kept every collector's plans
  // (and so the collector) alive: heap +17 MB per 1000 cycles. A child with --expose-gc measures after GC.
  const script = `
    const { StatsCollector } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'dist'))});
    const heap = () => { global.gc(); return process.memoryUsage().heapUsed / 1048576; };
    (async () => {
      const cycle = async () => {
        const c = new StatsCollector({ root: ${JSON.stringify(TREE)}, version: 1 });
        c.add('/cgmgr-rec');
        c.collect();
        await c.collectAsync();
        c.close();
      };
      for (let i = 0; i < 200; i++) await cycle();
      await new Promise((r) => setTimeout(r, 20));
      const before = heap();
      for (let i = 0; i < 1500; i++) await cycle();
      await new Promise((r) => setTimeout(r, 20));
      heap();
      await new Promise((r) => setTimeout(r, 20));
      console.log(JSON.stringify({ before, after: heap() }));
    })();`;
  const out = JSON.parse(require('node:child_process').execFileSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 120_000 }));
  t.ok(out.after - out.before < 4, `heap ${out.before.toFixed(1)} → ${out.after.toFixed(1)} MB over 1500 collector create/close cycles`);
});

t.test('a closed handle id never becomes valid again (no 8-bit generation wrap)', async (t) => {
  // Before: after 256 open/close cycles of its slot, a closed id was valid again and read another handle.
  const { engine, plan } = engineWithPlan(t);
  const first = engine.open('cgmgr-rec');
  engine.close(first);
  const seen = new Set([first]);
  let reused = 0;
  for (let i = 0; i < 600; i++) {
    const id = engine.open('cgmgr-rec');
    if (seen.has(id)) reused++;
    seen.add(id);
    engine.close(id);
  }
  t.equal(reused, 0, '600 open/close cycles of one slot: every id is new');
  const live = engine.open('cgmgr-rec');
  t.equal(engine.info(first), null, 'the first id stays closed');
  const r = engine.readSync(plan, [first, live]);
  t.equal(r.itemStatus[0], ITEM_STATUS.badHandle, 'reading it says the handle is closed');
  t.equal(r.itemStatus[1], ITEM_STATUS.ok);
  t.equal(engine.close(first), false);
});

t.test('only regular files are read: FIFOs, symlinks, directories and huge files give per-file errors, never a hang', async (t) => {
  // Before: a FIFO in a (recorded) tree hung collect(), collectAsync() and statsSync forever (blocking openat).
  const root = scratchTree(t);
  const cg = (h) => path.join(root, h, 'cgmgr-rec');
  spoil(path.join(cg('memory'), 'memory.stat'), 'fifo');
  spoil(path.join(cg('pids'), 'pids.max'), 'symlink');
  spoil(path.join(cg('pids'), 'pids.current'), 'dir');
  spoil(path.join(cg('cpuacct'), 'cpuacct.usage'), 'huge');
  const { engine, plan } = engineWithPlan(t, root);
  const id = engine.open('cgmgr-rec');
  const r = engine.readSync(plan, [id]);
  t.equal(r.status(0, 0), FILE_STATUS.notRegular, 'the FIFO is not read');
  t.match(r.error(0, 0), { code: 'ERR_CGROUP_NOT_REGULAR_FILE' });
  t.match(r.error(0, 1), { code: 'ELOOP' }, 'the symlink is not followed');
  const ra = await engine.read(plan, [id]);
  t.equal(ra.status(0, 0), FILE_STATUS.notRegular, 'async too');
  t.throws(() => engine.readFile(id, 'memory', 'memory.stat'), { code: 'ERR_CGROUP_NOT_REGULAR_FILE' });
  t.throws(() => engine.readFile(id, 'pids', 'pids.current'), { code: 'ERR_CGROUP_NOT_REGULAR_FILE' });
  t.throws(() => engine.readFile(id, 'cpuacct', 'cpuacct.usage'), { code: 'EFBIG' }, 'a 20 MiB file is refused');
  const c = new StatsCollector({ root, version: 1 });
  t.teardown(() => c.close());
  c.add('/cgmgr-rec');
  const errors = [];
  c.on('error', (e) => errors.push(e));
  const s = c.collect();
  t.equal(s.status[0], ROW_STATUS.error, 'collect(): the row says it failed');
  const sa = await c.collectAsync();
  t.equal(sa.status[0], ROW_STATUS.error, 'collectAsync() too');
  t.equal(errors.length, 2, "an 'error' event per failing sweep");
  t.match(errors[0], { code: 'ERR_COLLECTOR_READ' });
  t.equal(c.usage().failedRows, 1);
  t.match(c.usage().lastError, { code: 'ERR_COLLECTOR_READ' });
  let thrown;
  try {
    statsSync('/cgmgr-rec', { root, version: 1 });
  } catch (err) {
    thrown = err;
  }
  t.ok(thrown === undefined || thrown instanceof CgroupError, `statsSync returned or threw a CgroupError (${thrown?.code})`);
});

t.test('a blkio file with more than 65,536 entries is a clear CgroupError, not a RangeError', async (t) => {
  const root = scratchTree(t);
  const dir = path.join(root, 'blkio', 'cgmgr-rec');
  for (const f of fs.readdirSync(dir)) {
    if (f.startsWith('blkio.') && /io_serv/.test(f)) fs.writeFileSync(path.join(dir, f), blkioLines(70_000));
  }
  let thrown;
  try {
    statsSync('/cgmgr-rec', { root, version: 1, controllers: ['io'] });
  } catch (err) {
    thrown = err;
  }
  t.ok(thrown, 'statsSync refuses the file');
  const all = [thrown, thrown?.cause, ...(thrown?.errors ?? [])].filter(Boolean);
  t.notOk(all.some((e) => e instanceof RangeError), 'no bare RangeError');
  t.ok(all.some((e) => e.code === 'ERR_CGROUP_CAPACITY' && /70000 entries/.test(e.message)), `ERR_CGROUP_CAPACITY naming the count: ${thrown?.message}`);
});

t.test('an fdBudget above the process budget is clamped to it', async (t) => {
  // Before: any fdBudget/maxOpenFiles was accepted, though the descriptors could never all be held.
  const { processFdBudget } = require('../../dist/engine');
  const engine = new Engine({ root: TREE, version: 1, fdBudget: 1e9 });
  t.teardown(() => engine.destroy());
  t.equal(engine.usage().fdBudget, Math.min(processFdBudget(), 0xffffffff));
  t.equal(engine.usage().processFdBudget, processFdBudget(), 'native and JS agree on the process budget');
  t.throws(() => new Engine({ root: TREE, version: 1, fdBudget: -1 }), { code: 'ERR_INVALID_ARG_VALUE' });
  engine.destroy();
  t.throws(() => engine.open('cgmgr-rec'), { code: 'ERR_CGROUP_ENGINE_DESTROYED' }, 'a destroyed engine opens nothing');
});

t.test('a collector never sums part of a device list: past the plan capacity the io columns are absent and the row says why', async (t) => {
  // Before: a blkio file with more entries than the collector's plan holds (64) gave io_read_bytes as the sum of the
  // first 64 entries: a silent wrong number.
  const root = scratchTree(t);
  const dir = path.join(root, 'blkio', 'cgmgr-rec');
  for (const f of ['blkio.throttle.io_service_bytes_recursive', 'blkio.throttle.io_serviced_recursive']) {
    fs.writeFileSync(path.join(dir, f), blkioLines(70_000));
  }
  const c = new StatsCollector({ root, version: 1 });
  t.teardown(() => c.close());
  c.add('/cgmgr-rec');
  for (const sweep of [() => c.collect(), () => c.collectAsync()]) {
    const s = await sweep();
    t.equal(s.get(0, 'io_read_bytes'), undefined, 'io_read_bytes absent, not a partial sum');
    t.equal(s.status[0], ROW_STATUS.error);
    t.match(s.error(0), { code: 'ERR_CGROUP_CAPACITY' });
    t.not(s.get(0, 'memory_usage_bytes'), undefined, 'the other columns are read');
  }
});

t.test('path lengths count UTF-8 bytes; watch() failures are CgroupErrors', async (t) => {
  const { engine } = engineWithPlan(t);
  const long = Array.from({ length: 20 }, () => 'é'.repeat(110)).join('/'); // 2219 UTF-16 units, 4419 bytes
  t.ok(long.length < 4096 && Buffer.byteLength(long) >= 4096);
  t.throws(() => engine.open(long), { code: 'ERR_INVALID_ARG_VALUE', message: /bytes/ }, 'refused in JS by its byte length');
  const root = scratchTree(t);
  const c = new StatsCollector({ root, version: 1 });
  t.teardown(() => c.close());
  const deep = Array.from({ length: 17 }, () => 'd'.repeat(250)).join('/'); // 4266 bytes with the root: ENAMETOOLONG
  let err;
  try {
    c.watch(deep.slice(0, 4000));
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof CgroupError && /^E[A-Z]+$/.test(err.code), `a CgroupError with the errno code (${err?.code}: ${err?.message?.slice(0, 80)})`);
  t.throws(() => c.watch('/no-such-parent'), { name: 'CgroupError', code: 'ENOENT' });
});
