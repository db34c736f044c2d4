'use strict';
// StatsCollector on real cgroups of this kernel (v1 hybrid host): cgroups of our own with processes of our own,
// created and removed between sweeps; statuses, drop of vanished rows, identity change on re-create, rates from a
// CPU burner, values against the kernel's files, watching a parent, an OOM kill reported as an event, and descriptors
// and handles flat after churn.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { StatsCollector, ROW_STATUS } = require('../../dist/collector');
const { ROOT, realKernelSkipReason, makeSubtree } = require('../helpers/cgroups');

const skip = realKernelSkipReason();
const isV1 = !skip && fs.existsSync(path.join(ROOT, 'memory', 'cgroup.procs')) && !fs.existsSync(path.join(ROOT, 'cgroup.controllers'));
const opts = { skip: skip ?? (isV1 ? false : 'not a cgroup v1 (hybrid) host') };
const H = ['memory', 'cpu', 'cpuacct', 'pids', 'blkio'];
const MiB = 1024 * 1024;

const int = (file) => Number(fs.readFileSync(file, 'utf8').trim());
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const openFds = () => fs.readdirSync('/proc/self/fd').length;

/** Starts `cmd args` of our own and moves it into `rel` of the subtree in every hierarchy of H. */
async function startIn(sub, rel, cmd, args) {
  const child = spawn(cmd, args, { stdio: 'ignore' });
  sub.pids.add(child.pid);
  await new Promise((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
  for (const h of H) fs.writeFileSync(sub.dir(h, `${rel}/cgroup.procs`), String(child.pid));
  return child;
}

async function waitFor(t, what, cond, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(20);
  }
  t.fail(`timed out waiting for ${what}`);
  return false;
}

t.test('sweeps with processes, churn between sweeps, identity and rates', opts, async (t) => {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  for (const x of ['busy', 'idle', 'empty']) sub.mkdir(x);
  fs.writeFileSync(sub.dir('memory', 'idle/memory.limit_in_bytes'), String(128 * MiB));
  fs.writeFileSync(sub.dir('pids', 'idle/pids.max'), '50');
  fs.writeFileSync(sub.dir('cpu', 'idle/cpu.shares'), '512');
  fs.writeFileSync(sub.dir('cpu', 'idle/cpu.cfs_quota_us'), '50000');
  const p = (x) => `/${sub.name}/${x}`;
  const c = new StatsCollector();
  t.teardown(() => c.close());
  const gone = [];
  c.on('gone', (e) => gone.push(e.path));
  for (const x of ['busy', 'idle', 'empty']) c.add(p(x), { name: x });

  await startIn(sub, 'busy', 'sh', ['-c', 'while :; do :; done']);
  await startIn(sub, 'idle', 'sleep', ['600']);
  await startIn(sub, 'idle', 'sleep', ['600']);

  const s1 = c.collect();
  t.same(Array.from(s1.status.subarray(0, 3)), [0, 0, 0], 'every row read');
  const row = (s, x) => s.rowOf(p(x));
  t.equal(s1.get(row(s1, 'idle'), 'pids_current'), 2);
  t.equal(s1.get(row(s1, 'idle'), 'processes'), 2);
  t.equal(s1.get(row(s1, 'empty'), 'pids_current'), 0);
  t.equal(s1.get(row(s1, 'empty'), 'processes'), 0);
  t.equal(s1.get(row(s1, 'idle'), 'memory_limit_bytes'), 128 * MiB);
  t.equal(s1.get(row(s1, 'idle'), 'pids_limit'), 50);
  t.equal(s1.get(row(s1, 'busy'), 'pids_limit'), Infinity, 'pids.max "max" is Infinity');
  t.equal(s1.get(row(s1, 'idle'), 'cpu_shares'), 512);
  t.equal(s1.get(row(s1, 'idle'), 'cpu_quota_us'), 50000);
  t.equal(s1.get(row(s1, 'busy'), 'cpu_quota_us'), Infinity, 'cfs_quota_us -1 is unlimited');
  t.equal(s1.get(row(s1, 'idle'), 'cpu_period_us'), int(sub.dir('cpu', 'idle/cpu.cfs_period_us')));
  t.equal(s1.identity[row(s1, 'idle')], fs.statSync(sub.dir('memory', 'idle')).ino, 'identity: the memory directory inode');
  t.equal(s1.rates(0), undefined, 'no rates before a second sample');

  // Rates need a second sample after the busy loop has run a while: wait until it has (no fixed sleep), 0.6 s at least
  // and a tenth of a core meanwhile.
  const t1 = Date.now();
  const used1 = int(sub.dir('cpuacct', 'busy/cpuacct.usage'));
  await waitFor(t, 'the busy loop to run', () => {
    const ms = Date.now() - t1;
    return ms >= 600 && int(sub.dir('cpuacct', 'busy/cpuacct.usage')) - used1 >= ms * 1e5;
  }, 4000);
  const before = int(sub.dir('cpuacct', 'busy/cpuacct.usage'));
  const s2 = await c.collectAsync();
  const after = int(sub.dir('cpuacct', 'busy/cpuacct.usage'));
  const usage = s2.get(row(s2, 'busy'), 'cpu_usage_ns');
  t.ok(usage >= before && usage <= after, 'cpu usage read between two reads of the file');
  const r = s2.rates(row(s2, 'busy'));
  t.ok(r.interval > 0.5 && r.interval < 5, `interval ${r.interval}s`);
  t.ok(r.cpuCores > 0.05 && r.cpuCores <= 1.05, `a busy loop uses up to one core (${r.cpuCores.toFixed(3)})`);
  const re = s2.rates(row(s2, 'empty'));
  t.equal(re.cpuCores, 0, 'an empty cgroup uses no CPU');
  t.ok(s2.sampleMs[0] > s1.sampleMs[0], 'per-row sample time');

  // Churn: remove 'empty', add a new one, between sweeps.
  const oldIdentity = s2.identity[row(s2, 'empty')];
  for (const h of H) fs.rmdirSync(sub.dir(h, 'empty'));
  sub.mkdir('fresh');
  c.add(p('fresh'), { name: 'fresh' });
  const s3 = c.collect();
  t.equal(s3.rows, 4);
  t.equal(s3.status[row(s3, 'empty')], ROW_STATUS.gone, 'a removed cgroup is reported gone');
  t.equal(s3.get(row(s3, 'empty'), 'memory_usage_bytes'), undefined, 'a gone row has no values');
  t.equal(s3.status[row(s3, 'fresh')], ROW_STATUS.ok, 'a cgroup added between sweeps is read');
  t.same(gone, [p('empty')], "'gone' event");
  t.notOk(c.has(p('empty')), 'and the row is dropped');
  t.equal(c.size, 3);

  // Re-created at the same path: a new identity, no rates across the two.
  sub.mkdir('empty');
  c.add(p('empty'));
  const s4 = c.collect();
  const i4 = row(s4, 'empty');
  t.equal(s4.status[i4], ROW_STATUS.ok);
  t.not(s4.identity[i4], oldIdentity, 'a re-created cgroup has another identity');
  t.equal(s4.rates(i4), undefined, 'no rate between two identities');

  // Re-created behind the collector's back: the old handle reads gone (inode check), never the new cgroup's data.
  for (const h of H) fs.rmdirSync(sub.dir(h, 'fresh'));
  sub.mkdir('fresh');
  const s5 = c.collect();
  t.equal(s5.status[row(s5, 'fresh')], ROW_STATUS.gone, 'same path, other cgroup: gone');
});

t.test('watch(parent): children added and dropped as they come and go', opts, async (t) => {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  sub.mkdir('a');
  const c = new StatsCollector();
  t.teardown(() => c.close());
  const added = [];
  const gone = [];
  c.on('add', (e) => added.push(e.path));
  c.on('gone', (e) => gone.push(e.path));
  const w = c.watch(`/${sub.name}`, { labels: (p) => ({ name: path.posix.basename(p), watched: 'yes' }) });
  t.same(c.paths(), [`/${sub.name}/a`], 'existing children are added at once');
  sub.mkdir('b');
  await waitFor(t, 'b to be added', () => c.has(`/${sub.name}/b`));
  t.same(added, [`/${sub.name}/a`, `/${sub.name}/b`]);
  const s = c.collect();
  t.same(s.labels[s.rowOf(`/${sub.name}/b`)], { name: 'b', watched: 'yes' });
  for (const h of H) fs.rmdirSync(sub.dir(h, 'a'));
  await waitFor(t, 'a to be dropped', () => !c.has(`/${sub.name}/a`));
  t.same(gone, [`/${sub.name}/a`]);
  t.same(w.children, [`/${sub.name}/b`]);
  w.close();
  // The barrier for the negative check: a watch of the test's own on the same directory. libuv's one inotify
  // instance hands an event to every watch of the directory in the same pass, so once the probe has seen 'c', an
  // open watcher would have added it.
  const seen = new Set();
  const probe = fs.watch(sub.dir('memory'), { persistent: false }, (_event, name) => seen.add(name));
  t.teardown(() => probe.close());
  sub.mkdir('c');
  await waitFor(t, 'the probe watch to see c', () => seen.has('c'));
  t.notOk(c.has(`/${sub.name}/c`), 'a closed watcher adds nothing');
});

t.test('OOM kill in a registered cgroup is one event: pushed (v1 eventfd) and seen by the sweep', opts, async (t) => {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  sub.mkdir('oom');
  fs.writeFileSync(sub.dir('memory', 'oom/memory.limit_in_bytes'), String(32 * MiB));
  const memsw = sub.dir('memory', 'oom/memory.memsw.limit_in_bytes');
  if (fs.existsSync(memsw)) fs.writeFileSync(memsw, String(32 * MiB));
  const p = `/${sub.name}/oom`;
  const pushed = new StatsCollector();
  const swept = new StatsCollector({ oomEvents: false });
  t.teardown(() => { pushed.close(); swept.close(); });
  t.equal(swept.oomPush, false);
  pushed.add(p, { name: 'oom' });
  swept.add(p, { name: 'oom' });
  const events = [];
  const sweepEvents = [];
  pushed.on('oom', (e) => events.push(e));
  swept.on('oom', (e) => sweepEvents.push(e));
  const s0 = swept.collect();
  t.equal(s0.get(0, 'oom_kill'), 0);
  t.equal(pushed.oomPush, true, 'v1 on a real cgroup fs: eventfd push');
  t.equal(pushed.usage().oomWatches, 1, 'one eventfd registered');
  // A process of our own that allocates (and touches) far beyond the limit, once it is in the cgroup.
  const child = await startIn(sub, 'oom', 'sh', ['-c', 'sleep 0.2; exec /usr/bin/python3 -c "b = bytearray(256 * 1024 * 1024)"']);
  const exit = await new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  t.equal(exit.signal, 'SIGKILL', 'the kernel OOM-killed it');
  await waitFor(t, 'the pushed oom event', () => events.length > 0, 3000);
  t.equal(events.length, 1, "one 'oom' event before any sweep");
  t.match(events[0], { path: p, labels: { name: 'oom' }, identity: s0.identity[0] });
  t.ok(events[0].delta >= 1);
  const s1 = swept.collect();
  t.ok(s1.get(0, 'oom_kill') >= 1, 'oom_kill counted');
  t.equal(sweepEvents.length, 1, "without push, the sweep reports the kill as one 'oom' event");
  t.match(sweepEvents[0], { path: p, labels: { name: 'oom' }, identity: s0.identity[0], count: s1.get(0, 'oom_kill') });
  pushed.collect();
  swept.collect();
  t.equal(sweepEvents.length, 1, 'not reported twice');
  t.equal(events.length, 1, 'a pushed kill is not reported again by the sweep');
  // Removal signals the eventfd too: no OOM event for it, and the watch goes with the row.
  for (const h of H) fs.rmdirSync(sub.dir(h, 'oom'));
  await sleep(100);
  pushed.collect();
  t.equal(events.length, 1, 'removal is not an OOM');
  t.equal(pushed.usage().oomWatches, 0, 'the dropped row\'s watch is gone');
});

t.test('descriptors and handles flat over sweeps with churn', opts, async (t) => {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  sub.mkdir('stay');
  const c = new StatsCollector();
  t.teardown(() => c.close());
  c.add(`/${sub.name}/stay`);
  const round = (i) => {
    const rel = `churn${i % 3}`;
    sub.mkdir(rel);
    c.add(`/${sub.name}/${rel}`);
    c.collect();
    for (const h of H) fs.rmdirSync(sub.dir(h, rel));
    const s = c.collect();
    if (s.status[s.rowOf(`/${sub.name}/${rel}`)] !== ROW_STATUS.gone) throw new Error(`round ${i}: not gone`);
  };
  for (let i = 0; i < 20; i++) round(i); // warm up: lazily held descriptors, result buffers
  const fds = openFds();
  const usage = c.usage();
  for (let i = 20; i < 220; i++) round(i);
  t.equal(openFds(), fds, `open descriptors flat (${fds}) over 200 rounds of create, sweep, remove, sweep`);
  t.same(c.usage(), usage, 'held descriptors, handles and registrations flat');
  t.equal(c.size, 1);
});

t.test('collectAsync with remove() while the batch runs: closed or read, never a crash', opts, async (t) => {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  const c = new StatsCollector();
  t.teardown(() => c.close());
  for (let i = 0; i < 50; i++) {
    sub.mkdir(`c${i}`);
    c.add(`/${sub.name}/c${i}`);
  }
  const p = c.collectAsync();
  for (let i = 0; i < 50; i += 2) c.remove(`/${sub.name}/c${i}`);
  const s = await p;
  t.equal(s.rows, 50, 'the sweep has the rows it started with');
  for (let i = 0; i < 50; i++) {
    const st = s.status[s.rowOf(`/${sub.name}/c${i}`)];
    if (i % 2 === 1) t.equal(st, ROW_STATUS.ok);
    else t.ok(st === ROW_STATUS.ok || st === ROW_STATUS.closed, `row ${i}: ${st}`);
  }
  t.equal(c.collect().rows, 25);
});

const hasUnified = isV1 && fs.existsSync(path.join(ROOT, 'unified', 'cgroup.procs'));
t.test('cgroup v2 on this host\'s unified hierarchy: cpu.stat and cgroup.procs are data, the rest absent', {
  skip: opts.skip || (hasUnified ? false : 'no cgroup2 hierarchy at /sys/fs/cgroup/unified'),
}, async (t) => {
  const sub = makeSubtree(t, ['unified']);
  sub.mkdir();
  sub.mkdir('a');
  const c = new StatsCollector({ root: path.join(ROOT, 'unified') });
  t.teardown(() => c.close());
  t.equal(c.version, 2);
  const gone = [];
  c.on('gone', (e) => gone.push(e.path));
  c.watch(`/${sub.name}`);
  t.same(c.paths(), [`/${sub.name}/a`]);
  const child = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
  sub.pids.add(child.pid);
  await new Promise((resolve) => child.once('spawn', resolve));
  fs.writeFileSync(sub.dir('unified', 'a/cgroup.procs'), String(child.pid));
  c.collect();
  // Wait until the loop has run 0.3 s and used a tenth of a core meanwhile (no fixed sleep).
  const usageUsec = () => Number(/usage_usec (\d+)/.exec(fs.readFileSync(sub.dir('unified', 'a/cpu.stat'), 'utf8'))[1]);
  const t0 = Date.now();
  const u0 = usageUsec();
  await waitFor(t, 'the busy loop to run', () => Date.now() - t0 >= 300 && usageUsec() - u0 >= (Date.now() - t0) * 100, 4000);
  const s = c.collect();
  t.equal(s.status[0], ROW_STATUS.ok);
  t.equal(s.get(0, 'processes'), 1);
  const usec = Number(/usage_usec (\d+)/.exec(fs.readFileSync(sub.dir('unified', 'a/cpu.stat'), 'utf8'))[1]);
  t.ok(s.get(0, 'cpu_usage_ns') <= usec * 1000 && s.get(0, 'cpu_usage_ns') > 0, 'cpu.stat usage_usec in ns');
  t.ok(s.rates(0).cpuCores > 0.05, `rates on v2 (${s.rates(0).cpuCores.toFixed(3)} cores)`);
  t.equal(s.get(0, 'memory_usage_bytes'), undefined, 'no memory controller enabled here: absent');
  t.equal(s.get(0, 'pids_current'), 1, 'no pids controller: the lines of cgroup.procs, as stats().pid.current (Q-19)');
  process.kill(child.pid, 'SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  fs.rmdirSync(sub.dir('unified', 'a'));
  await waitFor(t, 'the watcher to drop a', () => !c.has(`/${sub.name}/a`));
  t.same(gone, [`/${sub.name}/a`]);
});

t.test('v1 OOM push stays inside the descriptor limit: the watches hold from the one process budget', opts, async (t) => {
  const { defaultFdBudget, processFdBudget } = require('../../dist/engine');
  const { V1_OOM_RESERVED_FDS, V1_OOM_WATCH_LIMIT } = require('../../dist/collector/oom');
  const c = new StatsCollector();
  t.teardown(() => c.close());
  t.equal(V1_OOM_RESERVED_FDS, V1_OOM_WATCH_LIMIT, 'one eventfd per watched cgroup (memory.oom_control is closed once registered)');
  t.equal(c.usage().fdBudget, defaultFdBudget(), 'the default engine budget: the process budget bounds everything');
  t.ok(c.usage().processFdBudget <= processFdBudget(), 'the process budget is below RLIMIT_NOFILE');
  const mine = new StatsCollector({ maxOpenFiles: 100 });
  t.teardown(() => mine.close());
  t.equal(mine.usage().fdBudget, 100, 'an explicit maxOpenFiles is used as given');
  const huge = new StatsCollector({ maxOpenFiles: 10_000_000 });
  t.teardown(() => huge.close());
  t.equal(huge.usage().fdBudget, processFdBudget(), 'a maxOpenFiles above the limit is clamped to the process budget');
});
