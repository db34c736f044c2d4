'use strict';
// StatsCollector on a real cgroup v2 kernel (issue 7): a few hundred cgroups of the test's own under its own parent,
// swept sync and async; columns against the kernel's files; identity = the directory's inode; cgroups removed while
// an async sweep is in flight (gone or ok, never a crash; dropped with a 'gone' event each; re-created = new
// identity); a CPU rate from a busy loop; an OOM kill pushed by inotify on memory.events before any sweep; a watched
// parent's children coming and going; the exporter's text of a sweep. Runs in the qemu guest of test/vm (`npm run
// test:v2`); skipped on a v1 / hybrid host (test/collector/kernel.test.js covers v1 there). Every process is one of
// the test's own, started inside its cgroup (`echo $$ > cgroup.procs` before exec); all are killed by pid and every
// cgroup removed, children first, in teardown. Kept light for emulation: one mkdir per cgroup, a handful of sweeps,
// kernel files compared for a sample of rows only.
const t = require('tap');
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const { StatsCollector, ROW_STATUS, FIELD_COUNT, renderMetrics } = require('../../dist');
const { v2SkipReason, makeSubtree } = require('../helpers/cgroups');

const MiB = 1024 * 1024;
const N = 260; // > 256: collectAsync splits the batch into two workers
const read = (f) => fs.readFileSync(f, 'utf8').trim();
const kv = (f) => Object.fromEntries(read(f).split('\n').filter(Boolean).map((l) => l.split(/\s+/)).map(([k, v]) => [k, Number(v)]));
/** A key of io.stat summed over its devices (0 when the file is empty: no I/O yet). */
const ioSum = (f, key) => read(f).split('\n').flatMap((l) => l.split(/\s+/)).filter((w) => w.startsWith(`${key}=`))
  .reduce((a, w) => a + Number(w.slice(key.length + 1)), 0);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const WANT = ['memory', 'cpu', 'pids', 'io'];
const opts = {
  skip: v2SkipReason(WANT),
  timeout: 300000,
};

const parents = []; // every parent made here: none may be left once the tests are done

/** Our own parent `<unique>` with memory, cpu, pids and io enabled for its children. */
function ownParent(t) {
  const sub = makeSubtree(t, ['']);
  parents.push(sub.dir(''));
  sub.mkdir();
  fs.writeFileSync(sub.dir('', 'cgroup.subtree_control'), WANT.map((c) => `+${c}`).join(' '));
  return { sub, rel: (x) => `/${sub.name}/${x}`, file: (x, f) => sub.dir('', `${x}/${f}`) };
}

/** Runs `argv` inside child `x` of the parent (a shell moves itself there, then execs); killed in teardown. */
function spawnIn(p, x, argv) {
  const child = spawn('sh', ['-c', 'echo $$ > "$0" && exec "$@"', p.file(x, 'cgroup.procs'), ...argv], { stdio: 'ignore' });
  p.sub.pids.add(child.pid);
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return child;
}

/** Resolves true once cond() holds (polled), false after ms. */
async function until(cond, ms) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(25)) if (cond()) return true;
  return cond();
}

/** Resolves once the cgroup holds `n` processes (the shell wrote itself into cgroup.procs). */
const populated = (p, x, n = 1) => until(() => read(p.file(x, 'cgroup.procs')).split('\n').filter(Boolean).length >= n, 20000);

t.test(`v2 StatsCollector over ${N} cgroups: sweeps, kernel values, identity, removal mid-sweep, rates, watch, exporter`, opts, async (t) => {
  const t0 = Date.now();
  const p = ownParent(t);
  const names = Array.from({ length: N }, (_, i) => `c${String(i).padStart(3, '0')}`);
  for (const x of names) p.sub.mkdir(x);
  t.comment(`${N} mkdirs: ${Date.now() - t0} ms`);
  // Spec values on a few: a memory.max, a pids.max, cpu.weight (the shares conversion of columns.ts).
  fs.writeFileSync(p.file('c001', 'memory.max'), String(64 * MiB));
  fs.writeFileSync(p.file('c001', 'pids.max'), '50');
  fs.writeFileSync(p.file('c001', 'cpu.weight'), '39');
  fs.writeFileSync(p.file('c002', 'cpu.weight'), '10000');
  fs.writeFileSync(p.file('c003', 'cpu.weight'), '1');
  const sleeper = spawnIn(p, 'c001', ['sleep', '600']);
  spawnIn(p, 'c004', ['sleep', '600']);
  t.ok(await populated(p, 'c001') && await populated(p, 'c004'), 'the sleepers are in their cgroups');

  const c = new StatsCollector();
  t.teardown(() => c.close());
  t.equal(c.version, 2);
  t.ok(c.oomPush, 'OOM push on a mounted cgroup2 fs');
  const gone = [];
  const added = [];
  c.on('gone', (e) => gone.push(e));
  c.on('add', (e) => added.push(e));
  c.on('error', (err) => t.fail(`collector error: ${err.message}`));
  const tAdd = Date.now();
  for (const x of names) c.add(p.rel(x), { name: x, pod: 'pod-v2' });
  t.comment(`${N} add(): ${Date.now() - tAdd} ms`);
  t.equal(c.size, N, `${N} registered`);
  t.comment(`setup: ${N} mkdirs, 2 sleepers, ${N} add(): ${Date.now() - t0} ms`);

  const allOk = (s, what) => {
    const bad = [];
    for (let r = 0; r < s.rows; r++) if (s.status[r] !== ROW_STATUS.ok) bad.push(`${s.paths[r]}: ${s.status[r]} ${s.error(r)?.message ?? ''}`);
    t.same(bad, [], `${what}: every row ok`);
  };

  // Sync, then async (two workers): every row ok, in registration order.
  let t1 = Date.now();
  const s1 = c.collect();
  t.comment(`collect() of ${N} rows x ${c.files().length} files: ${Date.now() - t1} ms`);
  t.equal(s1.rows, N);
  t.ok(s1.paths.every((q, i) => q === p.rel(names[i])), 'rows in registration order');
  allOk(s1, 'collect()');
  // The sample's kernel files before and after the async sweep: equal when they stood still (then the column must be
  // exactly that), else the column lies between (a sleeper's memory.current may still move by a page).
  const sample = ['c001', 'c002', 'c003', 'c004', 'c100', 'c200', `c${N - 1}`];
  const kernel = () => Object.fromEntries(sample.map((x) => [x, {
    mem: Number(read(p.file(x, 'memory.current'))), pids: Number(read(p.file(x, 'pids.current'))),
    cpu: kv(p.file(x, 'cpu.stat')).usage_usec * 1000, oom: kv(p.file(x, 'memory.events')).oom_kill,
    inactive: kv(p.file(x, 'memory.stat')).inactive_file, rbytes: ioSum(p.file(x, 'io.stat'), 'rbytes'),
  }]));
  const k0 = kernel();
  t1 = Date.now();
  const tAsync = c.collectAsync();
  t.throws(() => c.collect(), { code: 'ERR_COLLECTOR_BUSY' }, 'collect() while an async sweep runs');
  const s2 = await tAsync;
  t.comment(`collectAsync() of ${N} rows: ${Date.now() - t1} ms`);
  t1 = Date.now();
  t.equal(s2.rows, N);
  allOk(s2, 'collectAsync()');
  const k1 = kernel();
  // Within [a, b] (the kernel's value before and after the sweep): the column itself, else a text that cannot match.
  const within = (v, a, b) => (v >= Math.min(a, b) && v <= Math.max(a, b) ? v : `between ${a} and ${b}`);

  // Columns against the kernel's files for a sample, and identity = the directory's inode: one comparison (tap
  // assertions cost under emulation). cAdvisor's shares = 2 + (weight - 1) * 262142 / 9999, integer division:
  // cpu.weight 39 -> 998, 10000 -> 262144, 1 -> 2, 100 (default) -> 2597.
  const shares = { c001: 998, c002: 262144, c003: 2 };
  const got = {};
  const want = {};
  const inodes0 = [];
  for (const x of sample) {
    const r = s2.rowOf(p.rel(x));
    const ino = fs.statSync(p.sub.dir('', x), { bigint: true }).ino;
    inodes0.push(ino);
    const col = (f) => s2.get(r, f);
    got[x] = {
      identity: s2.identity[r], memory_usage_bytes: col('memory_usage_bytes'), pids_current: col('pids_current'),
      cpu_usage_ns: col('cpu_usage_ns'), oom_kill: col('oom_kill'), memory_limit_bytes: col('memory_limit_bytes'),
      pids_limit: col('pids_limit'), cpu_shares: col('cpu_shares'), memory_working_set_bytes: col('memory_working_set_bytes'),
      io_read_bytes: col('io_read_bytes'),
    };
    want[x] = {
      identity: Number(ino), memory_usage_bytes: within(got[x].memory_usage_bytes, k0[x].mem, k1[x].mem),
      pids_current: within(got[x].pids_current, k0[x].pids, k1[x].pids),
      cpu_usage_ns: within(got[x].cpu_usage_ns, k0[x].cpu, k1[x].cpu), oom_kill: within(got[x].oom_kill, k0[x].oom, k1[x].oom),
      memory_limit_bytes: x === 'c001' ? 64 * MiB : Infinity, pids_limit: x === 'c001' ? 50 : Infinity,
      cpu_shares: shares[x] ?? 2597,
      memory_working_set_bytes: within(got[x].memory_working_set_bytes, k0[x].mem - k0[x].inactive, k1[x].mem - k1[x].inactive),
      io_read_bytes: within(got[x].io_read_bytes, k0[x].rbytes, k1[x].rbytes),
    };
  }
  t.ok(inodes0.every((i) => i < 2n ** 53n), 'the inodes fit a double');
  t.same(got, want, 'identity = inode; memory.current, pids.current, cpu.stat usage_usec x 1000, memory.events oom_kill, ' +
    'memory.max and pids.max ("max" -> Infinity, or as set), cpu.weight as shares, working set, io.stat rbytes');
  const row = (x) => s2.rowOf(p.rel(x));
  t.equal(s2.get(row('c001'), 'pids_current'), 1, 'the sleeper');
  t.equal(s2.get(row('c001'), 'processes'), 1, 'cgroup.procs lines');
  t.ok(s2.get(row('c001'), 'memory_usage_bytes') > 0, 'the sleeper is charged memory');
  t.equal(s2.get(row('c100'), 'memory_usage_bytes'), 0, 'an empty cgroup: 0 bytes (present, not absent)');
  t.ok(Number.isFinite(s2.get(row('c100'), 'psi_cpu_some_us')), 'psi columns present on v2');
  t.equal(s2.stats(row('c001')).memory.limit, 64 * MiB, 'stats(row) of this sweep');

  // The exporter's text has the registered paths.
  const t2 = Date.now();
  const text = renderMetrics(s2);
  t.comment(`renderMetrics of ${s2.rows} rows: ${Date.now() - t2} ms, ${text.length} bytes`);
  const usage = s2.get(row('c001'), 'memory_usage_bytes');
  // Plain regex tests: tap's notMatch over a 1 MB text costs ~0.35 s on the host, ~7 s under emulation.
  t.notOk(/\bNaN\b|undefined/.test(text), 'no NaN or undefined in the text (absent columns are left out)');
  const line = `container_memory_usage_bytes{id="${p.rel('c001')}",name="c001",pod="pod-v2"} ${usage}`;
  t.ok(text.split('\n').some((l) => l === line || l.startsWith(`${line} `)), `renderMetrics has: ${line}`);

  t.comment(`sample checks and exporter since the async sweep: ${Date.now() - t1} ms`);

  // Rates: a busy loop's row between two sweeps ~1 s apart. The loop runs only for these (under emulation it would
  // hold a host core for the whole test).
  const busy = spawnIn(p, 'c000', ['sh', '-c', 'while :; do :; done']);
  t.ok(await populated(p, 'c000'), 'the busy loop is in its cgroup');
  const tA = Date.now();
  const sA = c.collect({ into: s1 });
  // ~1 s apart, and the loop has had 0.4 of a core meanwhile: a condition, not a fixed sleep.
  const usec = () => Number(/usage_usec (\d+)/.exec(fs.readFileSync(p.file('c000', 'cpu.stat'), 'utf8'))[1]);
  const uA = usec();
  t.ok(await until(() => Date.now() - tA >= 1000 && usec() - uA >= (Date.now() - tA) * 400, 60000), 'the busy loop ran');
  const s3 = await c.collectAsync({ into: sA });
  await p.sub.kill(busy);
  t.equal(s3, s1, 'into: the sweep is refilled');
  allOk(s3, 'rate sweep');
  const rate = s3.rates(s3.rowOf(p.rel('c000')));
  t.ok(rate && rate.interval >= 0.9, `rates over ~1 s (interval ${rate?.interval?.toFixed(3)} s)`);
  t.ok(rate && rate.cpuCores > 0.3, `busy loop: cpuCores ${rate?.cpuCores?.toFixed(3)} > 0.3`);
  const idle = s3.rates(s3.rowOf(p.rel('c100')));
  t.equal(idle?.cpuCores, 0, 'an empty cgroup: 0 cores');

  // Removed while an async sweep is in flight: rmdir right after the call, before awaiting.
  const doomed = names.slice(10, 250).filter((_, i) => i % 24 === 0); // 10 empty cgroups, spread over both workers
  const inodes = Object.fromEntries(doomed.map((x) => [x, fs.statSync(p.sub.dir('', x)).ino]));
  const before = c.size;
  const unregistered = p.rel('c251'); // unregistered (not removed) during the sweep: closed or ok, no 'gone'
  t1 = Date.now();
  const pending = c.collectAsync();
  for (const x of doomed) fs.rmdirSync(p.sub.dir('', x));
  t.ok(c.remove(unregistered), 'remove() during an async sweep');
  const s4 = await pending;
  t.comment(`rmdir of ${doomed.length} during a sweep: ${Date.now() - t1} ms`);
  t.equal(s4.rows, before, 'the sweep has every row it started with');
  const doomedRows = doomed.map((x) => s4.rowOf(p.rel(x)));
  const statuses = doomedRows.map((r) => s4.status[r]);
  t.ok(statuses.every((s) => s === ROW_STATUS.ok || s === ROW_STATUS.gone), `removed rows: ok or gone (${statuses.join(',')})`);
  const goneRows = doomedRows.filter((r) => s4.status[r] === ROW_STATUS.gone);
  const withValues = goneRows.filter((r) => !s4.present.subarray(r * FIELD_COUNT, (r + 1) * FIELD_COUNT).every((v) => v === 0)
    || !s4.values.subarray(r * FIELD_COUNT, (r + 1) * FIELD_COUNT).every((v) => Number.isNaN(v))
    || s4.get(r, 'memory_usage_bytes') !== undefined).map((r) => s4.paths[r]);
  t.same(withValues, [], `the ${goneRows.length} gone rows: every column absent (NaN, present 0)`);
  const others = [];
  for (let r = 0; r < s4.rows; r++) if (!doomedRows.includes(r) && r !== s4.rowOf(unregistered) && s4.status[r] !== ROW_STATUS.ok) others.push(s4.paths[r]);
  const ru = s4.rowOf(unregistered);
  t.ok(s4.status[ru] === ROW_STATUS.closed || s4.status[ru] === ROW_STATUS.ok, `unregistered mid-sweep: closed or ok (${s4.status[ru]})`);
  t.same(others, [], 'every other row ok');
  const s5 = c.collect();
  t.equal(c.size, before - doomed.length - 1, 'dropped after the next sweep');
  t.equal(s5.rows, before - 1 - statuses.filter((s) => s === ROW_STATUS.gone).length, 'rows gone in the first sweep are not in the second');
  t.equal(s5.rowOf(unregistered), -1, 'the unregistered row is not in the next sweep');
  const late = doomed.map((x) => s5.rowOf(p.rel(x))).filter((r) => r >= 0);
  t.same(late.map((r) => s5.status[r]), late.map(() => ROW_STATUS.gone), `the ${late.length} read before their removal: gone on the next sweep`);
  t.same(gone.map((e) => e.path).sort(), doomed.map((x) => p.rel(x)).sort(), "one 'gone' event for each removed cgroup");
  t.same(gone.map((e) => e.labels.name).sort(), [...doomed].sort(), "'gone' events carry the labels");
  t.same(gone.map((e) => e.identity).sort(), doomed.map((x) => inodes[x]).sort(), "'gone' events carry the old identity");
  // Re-created at the same path: a new identity, no rate across the two. Once after the old one was dropped, once
  // re-created and added again before any sweep noticed (add() replaces the old registration, with a 'gone' for it).
  const again = doomed[0];
  p.sub.mkdir(again);
  c.add(p.rel(again), { name: again });
  const swapped = 'c252';
  const swappedIno = fs.statSync(p.sub.dir('', swapped)).ino;
  fs.rmdirSync(p.sub.dir('', swapped));
  p.sub.mkdir(swapped);
  c.add(p.rel(swapped), { name: swapped });
  const s7 = c.collect();
  t.equal(s7.rows, before - doomed.length, 'the sweep after removal: the rest and the re-created one');
  const rs = s7.rowOf(p.rel(swapped));
  t.same([s7.status[rs], s7.identity[rs] === fs.statSync(p.sub.dir('', swapped)).ino, s7.identity[rs] !== swappedIno, c.has(p.rel(swapped))],
    [ROW_STATUS.ok, true, true, true], 're-created and re-added before a sweep: ok, the new inode, still registered');
  t.same(gone.filter((e) => e.path === p.rel(swapped)).map((e) => e.identity), [swappedIno], "the replaced registration ends with one 'gone' (the old identity)");
  allOk(s7, 'after removal');
  const ra = s7.rowOf(p.rel(again));
  t.equal(s7.status[ra], ROW_STATUS.ok, 're-created cgroup read');
  t.equal(s7.identity[ra], fs.statSync(p.sub.dir('', again)).ino, 're-created: identity = the new inode');
  t.not(s7.identity[ra], inodes[again], 're-created: a new identity');
  t.equal(s7.rates(ra), undefined, 're-created: no rate on its first sample');

  t.comment(`removal checks: ${Date.now() - t1} ms`);
  t1 = Date.now();
  // watch(parent): a child made → 'add' and in the next sweep; removed → 'gone' (without a sweep).
  p.sub.mkdir('w');
  const w = c.watch(p.rel('w'));
  t.same(w.children, [], 'the watched parent has no children yet');
  p.sub.mkdir('w/k1');
  t.ok(await until(() => added.some((e) => e.path === p.rel('w/k1')), 10000), "'add' event for the new child");
  t.ok(c.has(p.rel('w/k1')), 'the child is registered');
  const s8 = await c.collectAsync();
  const rk = s8.rowOf(p.rel('w/k1'));
  t.ok(rk >= 0 && s8.status[rk] === ROW_STATUS.ok, 'the child is in the next sweep, ok');
  t.equal(s8.identity[rk], fs.statSync(p.sub.dir('', 'w/k1')).ino, "the child's identity");
  t.same(s8.labels[rk], { name: 'k1' }, 'default watcher labels');
  fs.rmdirSync(p.sub.dir('', 'w/k1'));
  t.ok(await until(() => gone.some((e) => e.path === p.rel('w/k1')), 10000), "'gone' event for the removed child");
  t.notOk(c.has(p.rel('w/k1')), 'the child is dropped');
  w.close();
  t.comment(`whole test: ${Date.now() - t0} ms`);

  await p.sub.kill(sleeper);
});

t.test('v2 StatsCollector: an OOM kill is pushed by inotify on memory.events, before any sweep', opts, async (t) => {
  const ts = Date.now();
  const p = ownParent(t);
  p.sub.mkdir('oom');
  fs.writeFileSync(p.file('oom', 'memory.max'), String(32 * MiB));
  if (fs.existsSync(p.file('oom', 'memory.swap.max'))) fs.writeFileSync(p.file('oom', 'memory.swap.max'), '0');
  const c = new StatsCollector({ controllers: ['memory', 'memoryEvents'] });
  t.teardown(() => c.close());
  const events = [];
  c.on('oom', (e) => events.push(e));
  c.add(p.rel('oom'), { name: 'oom' });
  t.equal(c.usage().oomWatches, 1, 'memory.events is watched');
  t.comment(`setup ${Date.now() - ts} ms`);
  // dd with a 256 MiB buffer: one read of /dev/zero touches every page of it, far past 32 MiB, and the kernel kills it
  // (under emulation cheaper than an interpreter's start, or than streaming through a pipe).
  const t0 = Date.now();
  const hog = spawnIn(p, 'oom', ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1']);
  const { code, signal } = await hog.exited;
  t.comment(`the hog ran ${Date.now() - t0} ms`);
  t.equal(signal, 'SIGKILL', `the hog was OOM-killed (exit ${code ?? signal})`);
  t.ok(await until(() => events.length > 0, 10000), "an 'oom' event without a sweep");
  t.comment(`'oom' event ${events[0] ? events[0].timeMs - t0 : '-'} ms after the start`);
  const e = events[0];
  t.equal(e?.path, p.rel('oom'));
  t.same(e?.labels, { name: 'oom' });
  t.equal(e?.identity, fs.statSync(p.sub.dir('', 'oom')).ino, 'the identity of the cgroup');
  t.ok(e?.count >= 1 && e?.delta >= 1, `count ${e?.count}, delta ${e?.delta}`);
  const s = c.collect();
  t.equal(s.status[0], ROW_STATUS.ok);
  const k = kv(p.file('oom', 'memory.events'));
  t.ok(s.get(0, 'oom_kill') >= 1, `oom_kill column ${s.get(0, 'oom_kill')} >= 1`);
  t.equal(s.get(0, 'oom_kill'), k.oom_kill, 'oom_kill = memory.events');
  t.equal(s.get(0, 'memory_events_max'), k.max, 'memory_events_max = memory.events max');
  t.equal(s.get(0, 'memory_limit_bytes'), 32 * MiB);
  t.equal(events.reduce((a, x) => a + x.delta, 0), k.oom_kill, 'one event per kill: deltas sum to the counter');
});

t.test('v2 StatsCollector tests leave no cgroup behind', opts, async (t) => {
  t.equal(parents.length, 2, 'two parents were made');
  t.same(parents.filter((d) => fs.existsSync(d)), [], 'every parent (and so every child) removed in teardown');
});
