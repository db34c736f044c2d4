'use strict';
// The native engine against the real kernel: handles, batched reads (sync and async), pread freshness on held
// descriptors, a cgroup that vanishes, the descriptor budget, batched pid writes, and errors shaped like Node's.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { Engine, CgroupError } = require('../../dist');
const { ITEM_STATUS, FILE_STATUS, SLOT } = require('../../dist/engine');
const { realKernelSkipReason, makeSubtree } = require('../helpers/cgroups');

const skip = realKernelSkipReason();
const V1 = ['memory', 'cpu', 'cpuacct', 'pids', 'cpuset'];
const hasV1 = !skip && V1.every((h) => fs.existsSync(path.join('/sys/fs/cgroup', h, 'cgroup.procs')));
const hierarchies = hasV1 && fs.existsSync('/sys/fs/cgroup/unified/cgroup.procs') ? [...V1, 'unified'] : V1;
const opts = { skip: skip ?? (hasV1 ? false : 'this host has no writable v1 memory/cpu/cpuacct/pids/cpuset hierarchies') };

function collectorPlan(engine, hold = true) {
  const specs = [
    { controller: 'memory', name: 'memory.stat', format: 'flatKeyed', keys: ['cache', 'rss', 'total_rss', 'total_inactive_file', 'no_such_key'] },
    { controller: 'memory', name: 'memory.usage_in_bytes', format: 'single' },
    { controller: 'memory', name: 'memory.limit_in_bytes', format: 'single' },
    { controller: 'cpuacct', name: 'cpuacct.usage', format: 'single' },
    { controller: 'cpuacct', name: 'cpuacct.usage_percpu', format: 'list', cap: 64 },
    { controller: 'cpuacct', name: 'cpuacct.stat', format: 'cpuacctStat' },
    { controller: 'cpu', name: 'cpu.stat', format: 'flatKeyed', keys: ['nr_periods', 'nr_throttled', 'throttled_time'] },
    { controller: 'pids', name: 'pids.current', format: 'single' },
    { controller: 'pids', name: 'pids.max', format: 'single' },
  ];
  if (hierarchies.includes('unified')) specs.push({ controller: 'unified', name: 'cgroup.procs', format: 'newlines' });
  return engine.plan(specs.map((s) => ({ ...s, hold })));
}

function kernelNumber(file) {
  return Number(fs.readFileSync(file, 'utf8').trim());
}

t.test('reads a real cgroup in every hierarchy, sync and async, with fresh values on held descriptors', opts, async (t) => {
  const sub = makeSubtree(t, hierarchies);
  sub.mkdir();
  sub.mkdir('a');
  const engine = new Engine();
  t.teardown(() => engine.destroy());
  const id = engine.open(`${sub.name}/a`);
  const info = engine.info(id);
  t.equal(info.path, `${sub.name}/a`);
  for (const h of hierarchies) {
    const idx = h === 'unified' ? engine.layout.unified.index : engine.layout.controllers.get(h).index;
    t.ok(info.present[idx], `present in ${h}`);
    t.equal(info.ino[idx], fs.statSync(sub.dir(h, 'a')).ino, `inode recorded in ${h}`);
  }

  const plan = collectorPlan(engine);
  const result = engine.result(plan, 1);
  engine.readSync(plan, [id], result);
  t.equal(result.itemStatus[0], ITEM_STATUS.ok);
  const pc = plan.indexOf('pids.current');
  t.equal(result.get(0, pc), 0, 'empty cgroup has no tasks');
  t.equal(result.get(0, plan.indexOf('pids.max')), Infinity, 'pids.max "max" reads as Infinity');
  t.equal(result.flag(0, plan.indexOf('pids.max')), SLOT.max);
  const ms = plan.indexOf('memory.stat');
  t.ok(result.ok(0, ms), 'memory.stat parsed');
  t.equal(result.get(0, ms, 4), undefined, 'a key the kernel does not print is absent, not 0');
  t.type(result.get(0, ms, 0), 'number', 'cache is present');
  t.equal(result.get(0, plan.indexOf('memory.limit_in_bytes')), kernelNumber(sub.dir('memory', 'a/memory.limit_in_bytes')));
  const percpu = plan.indexOf('cpuacct.usage_percpu');
  const kernelPercpu = fs.readFileSync(sub.dir('cpuacct', 'a/cpuacct.usage_percpu'), 'utf8').trim().split(/\s+/);
  t.equal(result.get(0, percpu, 0), kernelPercpu.length, 'percpu count slot');

  // Two processes of our own, moved in with one batched call into every hierarchy the cgroup lives in.
  const c1 = sub.spawnSleep();
  const c2 = sub.spawnSleep();
  const errors = engine.writePidsSync([id, id], [c1.pid, c2.pid]);
  t.same(errors, [undefined, undefined], 'both pids moved');
  for (const h of hierarchies) {
    const procs = fs.readFileSync(sub.dir(h, 'a/cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    t.same(procs.sort(), [c1.pid, c2.pid].sort(), `both pids in ${h}/cgroup.procs`);
  }
  t.same(engine.readPids(id, 'pids').sort(), [c1.pid, c2.pid].sort(), 'readPids lists them');

  const before = engine.usage().heldFds;
  engine.readSync(plan, [id], result);
  t.equal(result.get(0, pc), 2, 'the held pids.current descriptor re-reads a fresh value (pread at 0)');
  t.equal(engine.usage().heldFds, before, 'no new descriptors on a re-read');
  if (hierarchies.includes('unified')) t.equal(result.get(0, plan.indexOf('cgroup.procs')), 2, 'v2 newline count');

  const async = await engine.read(plan, [id], engine.result(plan, 1));
  t.equal(async.get(0, pc), 2, 'async read agrees');
  t.equal(async.get(0, plan.indexOf('memory.limit_in_bytes')), result.get(0, plan.indexOf('memory.limit_in_bytes')));
  t.ok(Math.abs(async.sampleMs[0] - Date.now()) < 5000, 'rows carry their sample time');

  const big = engine.readSync(plan, [id], engine.result(plan, 1, { bigint: true }));
  t.equal(big.get(0, pc), 2n, 'bigint mode');
  t.equal(big.get(0, plan.indexOf('pids.max')), 2n ** 64n - 1n, 'max is 2^64-1 as a bigint');

  await sub.kill(c1);
  engine.readSync(plan, [id], result);
  t.equal(result.get(0, pc), 1, 'an exited task is gone from pids.current');
});

t.test('a cgroup removed under a held handle is reported gone, per item, and a new one at its path is not mixed up', opts, async (t) => {
  const sub = makeSubtree(t, hierarchies);
  sub.mkdir();
  sub.mkdir('x');
  sub.mkdir('y');
  for (const budget of [undefined, 0]) {
    const engine = new Engine(budget === undefined ? {} : { fdBudget: budget });
    t.teardown(() => engine.destroy());
    const x = engine.open(`${sub.name}/x`);
    const y = engine.open(`${sub.name}/y`);
    const plan = collectorPlan(engine);
    const result = engine.result(plan, 2);
    engine.readSync(plan, [x, y], result);
    t.same([...result.itemStatus], [ITEM_STATUS.ok, ITEM_STATUS.ok]);
    if (budget === 0) t.equal(engine.usage().heldFds, 0, 'a zero budget holds nothing');
    else t.ok(engine.usage().heldFds > 0, 'descriptors are held');

    for (const h of hierarchies) fs.rmdirSync(sub.dir(h, 'x'));
    engine.readSync(plan, [x, y], result);
    t.equal(result.itemStatus[0], ITEM_STATUS.gone, `removed cgroup is gone (budget ${budget})`);
    t.equal(result.itemStatus[1], ITEM_STATUS.ok, 'its sibling still reads');
    const err = result.rowError(0);
    t.ok(err instanceof CgroupError);
    t.equal(err.code, 'ERR_CGROUP_GONE');
    const fileErr = result.error(0, plan.indexOf('pids.current'));
    t.ok(fileErr instanceof CgroupError);
    t.ok(['ENODEV', 'ENOENT'].includes(fileErr.code), `file error ${fileErr.code}`);
    t.ok(fileErr.errno < 0, 'errno is negative like Node');
    t.ok(['pread', 'openat', 'openat2'].includes(fileErr.syscall));
    t.match(fileErr.path, /\/x\/pids\.current$/);

    sub.mkdir('x'); // a new cgroup at the same path: the old handle must not read it
    engine.readSync(plan, [x], result);
    t.equal(result.itemStatus[0], ITEM_STATUS.gone, 'a re-created cgroup is a different cgroup');
    const x2 = engine.open(`${sub.name}/x`);
    engine.readSync(plan, [x2], result);
    t.equal(result.itemStatus[0], ITEM_STATUS.ok, 'a new handle reads the new cgroup');
  }
});

t.test('batched pid writes: per-pid results, ESRCH for an exited pid, ENOSPC from an unset cpuset', opts, async (t) => {
  const sub = makeSubtree(t, hierarchies);
  sub.mkdir();
  sub.mkdir('p');
  sub.mkdir('q');
  const engine = new Engine();
  t.teardown(() => engine.destroy());
  const p = engine.open(`${sub.name}/p`);
  const q = engine.open(`${sub.name}/q`);
  const a = sub.spawnSleep();
  const b = sub.spawnSleep();
  const dead = sub.spawnSleep();
  await sub.kill(dead);
  const results = await engine.writePids([p, q, p], [a.pid, dead.pid, b.pid], 'pids');
  t.equal(results[0], undefined, 'first pid moved');
  t.ok(results[1] instanceof CgroupError, 'exited pid fails alone');
  t.equal(results[1].code, 'ESRCH');
  t.equal(results[1].syscall, 'write');
  t.match(results[1].path, /\/q\/cgroup\.procs$/);
  t.equal(results[2], undefined, 'the batch went on after the failure');
  t.same(fs.readFileSync(sub.dir('pids', 'p/cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number).sort(), [a.pid, b.pid].sort());

  // A v1 cpuset cgroup without cpus refuses tasks: the error names the file.
  const unset = `${sub.name}/p/nocpus`;
  fs.mkdirSync(path.join('/sys/fs/cgroup/cpuset', unset));
  t.teardown(() => { try { fs.rmdirSync(path.join('/sys/fs/cgroup/cpuset', unset)); } catch { /* removed below */ } });
  const n = engine.open(unset);
  const [err] = engine.writePidsSync([n], [a.pid], 'cpuset');
  t.equal(err.code, 'ENOSPC');
  t.match(err.message, /^ENOSPC: .*, write '.*nocpus\/cgroup\.procs'$/);
  fs.rmdirSync(path.join('/sys/fs/cgroup/cpuset', unset));

  t.throws(() => engine.writePidsSync([p], [0]), { code: 'ERR_INVALID_ARG_VALUE' }, 'pid 0 is rejected before any write');
  t.throws(() => engine.writePidsSync([p], [-5]), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => engine.writePidsSync([p], [2 ** 31]), { code: 'ERR_INVALID_ARG_VALUE' });
  const closed = engine.open(`${sub.name}/q`);
  engine.close(closed);
  t.equal(engine.writePidsSync([closed], [a.pid])[0].code, 'ERR_CGROUP_HANDLE_CLOSED');
});

t.test('bad input gives clear errors and touches nothing', opts, async (t) => {
  const sub = makeSubtree(t, ['pids']);
  sub.mkdir();
  const engine = new Engine();
  t.teardown(() => engine.destroy());
  for (const bad of ['..', '../etc', `${sub.name}/../..`, 'a//b', './a', 'a/./b', 'a\0b', 42, null]) {
    t.throws(() => engine.open(bad), { code: 'ERR_INVALID_ARG_VALUE' }, `rejects ${JSON.stringify(bad)}`);
  }
  // The native layer checks again when handed a path directly.
  t.throws(() => engine.nativeEngine.open('../etc'), { code: 'ERR_CGROUP_INVALID_PATH' });
  t.throws(() => engine.nativeEngine.open('/etc'), { code: 'ERR_CGROUP_INVALID_PATH' });
  let err;
  try {
    engine.open(`${sub.name}/does-not-exist`);
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof CgroupError, 'a missing cgroup is a CgroupError');
  t.equal(err.code, 'ENOENT');
  t.equal(err.errno, -2);
  t.ok(['openat', 'openat2'].includes(err.syscall));
  t.match(err.path, new RegExp(`${sub.name}/does-not-exist$`));
  t.match(err.message, /^ENOENT: no such file or directory, openat2? '/);

  const id = engine.open(sub.name);
  t.throws(() => engine.readFile(id, 'pids', '../pids.max'), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => engine.nativeEngine.readFile(id, engine.hierarchyFor('pids').index, '../pids.max'), { code: 'EINVAL' });
  t.throws(() => engine.readFile(id, 'pids', 'nope'), { code: 'ENOENT' });
  t.throws(() => engine.readFile(id, 'no-such-controller', 'x'), { code: 'ERR_CGROUP_NOT_MOUNTED' });
  t.throws(() => engine.plan([{ controller: 'pids', name: 'pids.max', format: 'yaml' }]), { code: 'ERR_INVALID_ARG_VALUE' });
  // Before: a plain RangeError without a code (issue 15 item 6); now every plan() error carries one.
  t.throws(() => engine.plan([{ controller: 'pids', name: 'pids.max', format: 'list' }]), { code: 'ERR_CGROUP_PLAN', name: 'CgroupError' }, 'a list needs a capacity');
  const pidsPlan = engine.plan([{ controller: 'pids', name: 'pids.current', format: 'single' }]);
  t.throws(() => engine.nativeEngine.read(pidsPlan.id, new Uint32Array(1), new Float64Array(0), new Uint8Array(0), new Int32Array(0), new Int32Array(0), undefined, true), RangeError, 'short arrays are refused');
  t.throws(() => engine.nativeEngine.read(pidsPlan.id, [1], 'x'), TypeError);
  t.throws(() => engine.nativeEngine.read(99, new Uint32Array(1)), RangeError, 'an unknown plan is refused');
  t.throws(() => new Engine({ fdBudget: -1 }), { code: 'ERR_INVALID_ARG_VALUE' });

  // A closed handle reads as such, and its id is not reused silently by the next open.
  const plan = pidsPlan;
  engine.close(id);
  const r = engine.readSync(plan, [id]);
  t.equal(r.itemStatus[0], ITEM_STATUS.badHandle);
  t.equal(r.status(0, 0), FILE_STATUS.skipped);
  const id2 = engine.open(sub.name);
  t.not(id2, id, 'a reopened slot gets a new id');
  t.equal(engine.readSync(plan, [id]).itemStatus[0], ITEM_STATUS.badHandle, 'the stale id stays closed');
  t.equal(fs.readdirSync(sub.dir('pids'), { withFileTypes: true }).filter((e) => e.isDirectory()).length, 0, 'nothing was created');
});

t.test('the component-walk fallback resolves the same cgroups as openat2', opts, async (t) => {
  const sub = makeSubtree(t, ['pids']);
  sub.mkdir();
  sub.mkdir('w');
  const walk = new Engine({ resolve: 'walk', fdBudget: 0 });
  const beneath = new Engine({ resolve: 'openat2', fdBudget: 0 });
  t.teardown(() => { walk.destroy(); beneath.destroy(); });
  for (const e of [walk, beneath]) {
    const id = e.open(`${sub.name}/w`);
    const plan = e.plan([{ controller: 'pids', name: 'pids.max', format: 'single' }]);
    t.equal(e.readSync(plan, [id]).get(0, 0), Infinity);
    t.throws(() => e.open(`${sub.name}/nope`), { code: 'ENOENT' });
  }
});

t.test('a batch over and under the descriptor budget reads alike; removed cgroups are gone in their rows only', opts, async (t) => {
  const sub = makeSubtree(t, ['memory', 'cpuacct', 'pids']);
  sub.mkdir();
  const N = 40;
  const names = Array.from({ length: N }, (_, i) => `c${i}`);
  for (const n of names) sub.mkdir(n);
  fs.writeFileSync(sub.dir('pids', 'c7/pids.max'), '7');
  const runs = [];
  // 20 descriptors: the first rows are held, the rest resolve their directories once per row.
  for (const fdBudget of [undefined, 20, 0]) {
    const e = new Engine(fdBudget === undefined ? {} : { fdBudget });
    t.teardown(() => e.destroy());
    const plan = e.plan([
      { controller: 'pids', name: 'pids.max', format: 'single' },
      { controller: 'memory', name: 'memory.limit_in_bytes', format: 'single' },
      { controller: 'memory', name: 'memory.stat', format: 'flatKeyed', keys: ['hierarchical_memory_limit', 'total_rss'] },
      { controller: 'cpuacct', name: 'cpuacct.usage_percpu', format: 'list', cap: 8 },
      { controller: 'pids', name: 'pids.current', format: 'single' },
    ]);
    const ids = Uint32Array.from(names, (n) => e.open(`${sub.name}/${n}`));
    t.equal(e.usage().heldFds, 0, 'open() holds nothing yet');
    const r = e.result(plan, N, { bigint: true });
    e.readSync(plan, ids, r);
    e.readSync(plan, ids, r);
    if (fdBudget !== undefined) t.equal(e.usage().heldFds, fdBudget, `the budget of ${fdBudget} is used, not exceeded`);
    runs.push({ e, plan, ids, r, fdBudget, snap: Array.from(r.values, String).join() });
  }
  t.equal(runs[1].snap, runs[0].snap, 'a partly held batch reads the same values');
  t.equal(runs[2].snap, runs[0].snap, 'an unheld batch reads the same values');
  t.equal(runs[0].r.get(7, 0), 7n, 'a per-cgroup value lands in its own row');
  for (const n of ['c3', 'c20', 'c39']) for (const h of ['memory', 'cpuacct', 'pids']) fs.rmdirSync(sub.dir(h, n));
  for (const { e, plan, ids, r, fdBudget } of runs) {
    await e.read(plan, ids, r);
    const gone = [...r.itemStatus].map((s, i) => (s === ITEM_STATUS.gone ? i : -1)).filter((i) => i >= 0);
    t.same(gone, [3, 20, 39], `budget ${fdBudget}: exactly the removed rows are gone`);
    t.equal(r.get(21, 0), 2n ** 64n - 1n, 'the neighbours read on');
  }
  t.equal(runs[0].r.error(20, 0).code, 'ENODEV', 'a held descriptor of a removed cgroup reads ENODEV');
  t.equal(runs[2].r.error(20, 0).code, 'ENOENT', 'an unheld one finds no file');
});

t.test('past the budget, files are held before directories that save nothing', opts, async (t) => {
  const sub = makeSubtree(t, ['memory', 'cpuacct', 'pids']);
  sub.mkdir();
  const N = 10;
  const names = Array.from({ length: N }, (_, i) => `c${i}`);
  for (const n of names) sub.mkdir(n);
  // 5 held files per cgroup in 3 hierarchies, and memory.stat opened per read (hold: false) through the memory
  // directory. 50 files + 30 directories want 80 descriptors; 60 hold every file and the 10 directories still used.
  const e = new Engine({ fdBudget: 60 });
  t.teardown(() => e.destroy());
  const plan = e.plan([
    { controller: 'pids', name: 'pids.max', format: 'single' },
    { controller: 'pids', name: 'pids.current', format: 'single' },
    { controller: 'memory', name: 'memory.limit_in_bytes', format: 'single' },
    { controller: 'memory', name: 'memory.usage_in_bytes', format: 'single' },
    { controller: 'cpuacct', name: 'cpuacct.usage', format: 'single' },
    { controller: 'memory', name: 'memory.stat', format: 'flatKeyed', keys: ['total_rss'], hold: false },
  ]);
  const ids = Uint32Array.from(names, (n) => e.open(`${sub.name}/${n}`));
  const r = e.result(plan, N);
  const heldUnder = () => {
    const held = { files: 0, memoryDirs: 0, otherDirs: 0 };
    for (const fd of fs.readdirSync('/proc/self/fd')) {
      let target;
      try {
        target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        continue; // the directory listing's own descriptor, closed meanwhile
      }
      for (const h of ['memory', 'cpuacct', 'pids']) {
        const top = sub.dir(h);
        if (!target.startsWith(`${top}/`)) continue;
        const rest = target.slice(top.length + 1);
        if (rest.includes('/')) held.files++;
        else if (h === 'memory') held.memoryDirs++;
        else held.otherDirs++;
      }
    }
    return held;
  };
  let held;
  for (let sweep = 0; sweep < 6; sweep++) {
    e.readSync(plan, ids, r);
    t.same([...r.itemStatus], Array(N).fill(ITEM_STATUS.ok), `sweep ${sweep} reads every row`);
    held = heldUnder();
    if (held.files === 5 * N) break;
  }
  t.same(held, { files: 5 * N, memoryDirs: N, otherDirs: 0 }, 'every file held; only the directories still opened through');
  t.equal(e.usage().heldFds, 60, 'within the budget');
  e.readSync(plan, ids, r);
  t.same(heldUnder(), held, 'steady: no descriptor churn between sweeps');
  for (let i = 0; i < N; i++) t.ok(r.get(i, plan.indexOf('memory.limit_in_bytes')) > 0, `row ${i} read its values`);
  // A directory given back is resolved again when a file is next opened through it: a removed cgroup is still gone.
  for (const h of ['memory', 'cpuacct', 'pids']) fs.rmdirSync(sub.dir(h, 'c4'));
  e.readSync(plan, ids, r);
  t.equal(r.itemStatus[4], ITEM_STATUS.gone, 'a removed cgroup whose directories were given back is gone');
  t.equal(r.itemStatus[5], ITEM_STATUS.ok, 'its neighbour reads on');
});

t.test('an async batch split across workers reads what one worker and a sync read do; closing handles mid-batch is safe', opts, async (t) => {
  const sub = makeSubtree(t, ['memory', 'pids']);
  sub.mkdir();
  const N = 600;
  const names = Array.from({ length: N }, (_, i) => `c${i}`);
  for (const n of names) sub.mkdir(n);
  for (let i = 0; i < N; i += 50) fs.writeFileSync(sub.dir('pids', `c${i}/pids.max`), String(i + 1));
  // A small budget: the workers also race to hold descriptors and resolve directories per row.
  const e = new Engine({ fdBudget: 300 });
  t.teardown(() => e.destroy());
  const plan = e.plan([
    { controller: 'pids', name: 'pids.max', format: 'single' },
    { controller: 'memory', name: 'memory.limit_in_bytes', format: 'single' },
    { controller: 'memory', name: 'memory.stat', format: 'flatKeyed', keys: ['hierarchical_memory_limit', 'total_rss'] },
  ]);
  const ids = Uint32Array.from(names, (n) => e.open(`${sub.name}/${n}`));
  const snap = (r) => Array.from(r.values, String).join() + '|' + r.itemStatus.join() + '|' + r.fileStatus.join();
  const sync = e.readSync(plan, ids, e.result(plan, N, { bigint: true }));
  const one = await e.read(plan, ids, e.result(plan, N, { bigint: true }), { workers: 1 });
  const four = await e.read(plan, ids, e.result(plan, N, { bigint: true }), { workers: 4 });
  t.equal(e.usage().heldFds, 300, 'parallel workers never exceed the budget');
  t.equal(snap(one), snap(sync), 'one worker reads what a sync read does');
  t.equal(snap(four), snap(sync), 'four workers read the same, row for row');
  for (let i = 0; i < N; i += 50) t.equal(four.get(i, 0), BigInt(i + 1), `row ${i} holds its own cgroup's value`);
  const odd = await e.read(plan, ids.subarray(0, 7), e.result(plan, 7), { workers: 5 });
  t.equal(odd.get(0, 0), 1, 'more workers than a batch divides evenly still covers every row');
  t.same([...odd.itemStatus], [0, 0, 0, 0, 0, 0, 0]);
  await t.rejects(e.read(plan, ids, undefined, { workers: 0 }), { code: 'ERR_INVALID_ARG_VALUE' });
  // Close every other handle while the split batch is in flight: each row is ok or reports a closed handle.
  const pending = e.read(plan, ids, e.result(plan, N), { workers: 4 });
  for (let i = 1; i < N; i += 2) e.close(ids[i]);
  const r = await pending;
  for (let i = 0; i < N; i++) {
    const s = r.itemStatus[i];
    if (i % 2 === 0 ? s !== ITEM_STATUS.ok : s !== ITEM_STATUS.ok && s !== ITEM_STATUS.badHandle) {
      t.fail(`row ${i}: status ${s}`);
      break;
    }
  }
  t.equal(e.usage().handles, N / 2, 'the closed handles are gone');
});
