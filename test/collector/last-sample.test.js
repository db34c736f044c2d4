'use strict';
// The last sample of a short-lived container (issue 12) on this v1 hybrid kernel: a job of the test's own runs in a
// cgroup it made in the v1 hierarchies and the unified one (as this library's v1 managers place a container), burns
// measurable CPU and exits; no sweep runs in between. The collector, told by cgroup.events of the unified hierarchy
// that the cgroup emptied, reads its counters once more: a 'final' event, then the test removes the cgroup as a
// runtime would, and the next sweep's row holds the last sample (ROW_STATUS.final, CPU ≥ what the job burned, peak
// memory ≥ what it touched), exported once, then dropped. Also: lastSample: false (no event, the row is just gone),
// a cgroup outside the unified hierarchy (no watch), a watched parent's child that went (the row comes from the
// watcher's drop), and a repopulated cgroup emptying twice.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { StatsCollector, ROW_STATUS } = require('../../dist/collector');
const { renderMetrics } = require('../../dist/exporter');
const { ROOT, realKernelSkipReason, makeSubtree, isHierarchy } = require('../helpers/cgroups');

const skip = realKernelSkipReason();
const isV1 = !skip && fs.existsSync(path.join(ROOT, 'memory', 'cgroup.procs')) && !fs.existsSync(path.join(ROOT, 'cgroup.controllers'));
const hasUnified = isV1 && isHierarchy('unified');
const opts = {
  skip: skip ?? (!isV1 ? 'not a cgroup v1 (hybrid) host (test/v2/last-sample.test.js covers v2)'
    : !hasUnified ? 'no unified hierarchy on this v1 host: no empty notification (docs/collector.md)' : false),
};
const V1 = ['memory', 'cpu', 'cpuacct', 'pids'];
const H = [...V1, 'unified'];
const MiB = 1024 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Pidfds this process holds. */
const pidfds = () => fs.readdirSync('/proc/self/fd').filter((n) => {
  try { return fs.readlinkSync(`/proc/self/fd/${n}`) === 'anon_inode:[pidfd]'; } catch { return false; }
}).length;

/**
 * Runs a node job inside `rel` of the subtree in every hierarchy of `hs` (a shell moves itself there, then execs):
 * it touches `mib` MiB, burns CPU for `ms`, prints its own CPU time (µs, user + system) and exits.
 */
function job(sub, rel, hs, ms, mib = 16) {
  const procs = hs.map((h) => sub.dir(h, `${rel}/cgroup.procs`));
  // Burns until it has used ms of CPU in the script (not wall time: a loaded machine still gets a job of known CPU),
  // and reports that CPU only: the time before it (fork and exec, partly spent before the shell joined the cgroup)
  // is not the job's.
  const code = `const u0=process.cpuUsage();const b=Buffer.alloc(${mib}*1048576,1);let x=0,u=process.cpuUsage(u0);`
    + `while(u.user+u.system<${ms}*1000){for(let i=0;i<1e5;i++)x+=b[i%b.length];u=process.cpuUsage(u0);}`
    + 'u=process.cpuUsage(u0);process.stdout.write(String(u.user+u.system));';
  const child = spawn('sh', ['-c', 'for f in "$@"; do echo $$ > "$f" || exit 9; done; exec "$0" -e "$JOB"', process.execPath, ...procs],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, JOB: code } });
  sub.pids.add(child.pid);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
  child.done = new Promise((resolve) => child.once('close', (code) => resolve({ code, cpuUs: Number(out) })));
  return child;
}

/** Removes `rel` in every hierarchy of `hs`, as a runtime does once the container's processes are gone. */
async function removeCgroup(sub, rel, hs) {
  for (const h of hs) {
    for (let i = 0; ; i++) {
      try {
        fs.rmdirSync(sub.dir(h, rel));
        break;
      } catch (err) {
        if (err.code === 'ENOENT') break;
        if (err.code !== 'EBUSY' || i > 250) throw err;
        await sleep(20); // the exited task leaves the cgroup a moment after its parent hears of it
      }
    }
  }
}

function once(emitter, name, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${name}' within ${ms} ms`)), ms);
    emitter.once(name, (e) => { clearTimeout(timer); resolve(e); });
  });
}

t.test('a job that exits between two sweeps: its last sample in a final event and in the next sweep', opts, async (t) => {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  sub.mkdir('job');
  sub.mkdir('steady');
  const p = (x) => `/${sub.name}/${x}`;
  const c = new StatsCollector();
  t.teardown(() => c.close());
  c.add(p('job'), { name: 'job' });
  c.add(p('steady'), { name: 'steady' });
  t.equal(c.usage().emptyWatches, 2, 'both watched through the unified hierarchy');
  const s0 = c.collect(); // the last sweep before the job: it has not started
  t.equal(s0.get(s0.rowOf(p('job')), 'cpu_usage_ns'), 0);

  const finalSeen = once(c, 'final', 30000);
  const j = job(sub, 'job', H, 400, 24);
  const { code, cpuUs } = await j.done;
  t.equal(code, 0, 'the job ran');
  t.ok(cpuUs >= 400000, `the job burned ${cpuUs} µs of CPU`);
  const fin = await finalSeen; // no sweep in between
  t.equal(fin.path, p('job'));
  t.same(fin.labels, { name: 'job' });
  t.ok(fin.values.cpu_usage_ns >= cpuUs * 1000, `final CPU ${fin.values.cpu_usage_ns} ns >= the job's ${cpuUs * 1000} ns`);
  t.ok(fin.values.memory_max_usage_bytes >= 24 * MiB, `peak memory ${fin.values.memory_max_usage_bytes} >= 24 MiB touched`);
  t.equal(fin.values.processes, 0, 'read once empty');
  await removeCgroup(sub, 'job', H);

  const gone = [];
  c.on('gone', (e) => gone.push(e.path));
  const s1 = c.collect();
  const row = s1.rowOf(p('job'));
  t.equal(s1.status[row], ROW_STATUS.final, 'the sweep after removal: the last sample');
  t.equal(s1.get(row, 'cpu_usage_ns'), fin.values.cpu_usage_ns);
  t.equal(s1.get(row, 'memory_max_usage_bytes'), fin.values.memory_max_usage_bytes);
  t.equal(s1.sampleMs[row], fin.timeMs, 'sampled when it emptied');
  t.ok(s1.hasValues(row));
  t.notOk(s1.ok(row), 'not a live read');
  t.equal(s1.error(row).code, 'ERR_CGROUP_GONE');
  t.throws(() => s1.stats(row), { code: 'ERR_CGROUP_GONE' }, 'no CgroupStats of a gone cgroup');
  t.ok(s1.rates(row).cpuCores > 0, 'a rate from the sweep before to the last sample');
  t.same(gone, [p('job')], "dropped with a 'gone' event");
  const text = renderMetrics(s1);
  const cpuLine = new RegExp(`^container_cpu_usage_seconds_total\\{id="${p('job')}"[^}]*\\} (\\S+)$`, 'm');
  t.ok(Number(cpuLine.exec(text)?.[1]) * 1e9 >= cpuUs * 1000 * 0.999999, 'the scrape after the job exposes its final CPU');
  const s2 = c.collect();
  t.equal(s2.rowOf(p('job')), -1, 'then the row is gone');
  t.notMatch(renderMetrics(s2), cpuLine, 'and so is the series');
  t.equal(s2.rows, 1);
});

t.test('a watched parent: the child removed before any sweep still gives its last row', opts, async (t) => {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  const c = new StatsCollector();
  t.teardown(() => c.close());
  const w = c.watch(`/${sub.name}`);
  t.teardown(() => w.close());
  sub.mkdir('ctr');
  const p = `/${sub.name}/ctr`;
  for (const end = Date.now() + 10000; !c.has(p) && Date.now() < end;) await sleep(10);
  t.ok(c.has(p), 'the watcher added the child');
  for (const end = Date.now() + 10000; c.usage().emptyWatches < 1 && Date.now() < end;) await sleep(10);
  const finalSeen = once(c, 'final', 30000);
  const { cpuUs } = await job(sub, 'ctr', H, 200).done;
  const fin = await finalSeen;
  const goneSeen = once(c, 'gone', 30000);
  await removeCgroup(sub, 'ctr', H);
  await goneSeen; // the watcher dropped it before any sweep
  t.notOk(c.has(p));
  const s = c.collect();
  t.equal(s.rows, 1, 'one row: the last sample');
  t.equal(s.status[0], ROW_STATUS.final);
  t.equal(s.paths[0], p);
  t.ok(s.get(0, 'cpu_usage_ns') >= cpuUs * 1000);
  t.equal(s.get(0, 'cpu_usage_ns'), fin.values.cpu_usage_ns);
  t.equal(c.collect().rows, 0, 'then nothing');
});

t.test('repopulated and emptied again: one final event each time, the last one wins', opts, async (t) => {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  sub.mkdir('x');
  const p = `/${sub.name}/x`;
  const c = new StatsCollector();
  t.teardown(() => c.close());
  c.add(p);
  const finals = [];
  c.on('final', (e) => finals.push(e));
  await job(sub, 'x', H, 100).done;
  for (const end = Date.now() + 30000; finals.length < 1 && Date.now() < end;) await sleep(10);
  await job(sub, 'x', H, 100).done;
  for (const end = Date.now() + 30000; finals.length < 2 && Date.now() < end;) await sleep(10);
  t.equal(finals.length, 2, 'two final events');
  t.ok(finals[1].values.cpu_usage_ns > finals[0].values.cpu_usage_ns, 'the second total includes the second job');
  const live = c.collect();
  t.equal(live.status[0], ROW_STATUS.ok, 'while the cgroup is there, sweeps read it live');
  await removeCgroup(sub, 'x', H);
  const s = c.collect();
  t.equal(s.status[0], ROW_STATUS.final);
  t.equal(s.get(0, 'cpu_usage_ns'), finals[1].values.cpu_usage_ns, 'the last emptying');
});

t.test('lastSample: false: no watch, the row is just gone', opts, async (t) => {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  sub.mkdir('y');
  const c = new StatsCollector({ lastSample: false });
  t.teardown(() => c.close());
  c.add(`/${sub.name}/y`);
  t.equal(c.usage().emptyWatches, 0, 'no empty watch');
  c.on('final', () => t.fail('no final event when off'));
  await job(sub, 'y', H, 50).done;
  await removeCgroup(sub, 'y', H);
  const s = c.collect();
  t.equal(s.status[0], ROW_STATUS.gone, 'gone, without a last sample');
  t.equal(s.get(0, 'cpu_usage_ns'), undefined);
});

t.test('a v1 cgroup outside the unified hierarchy: a pidfd on one of its processes at a time', opts, async (t) => {
  const sub = makeSubtree(t, V1);
  sub.mkdir();
  sub.mkdir('pj');
  const p = `/${sub.name}/pj`;
  const c = new StatsCollector();
  t.teardown(() => c.close());
  c.add(p);
  t.equal(c.usage().emptyWatches, 1, 'watched (not yet armed: no process)');
  t.equal(pidfds(), 0);
  const finals = [];
  c.on('final', (e) => finals.push(e));
  // The shell (the lowest pid, watched first once a sweep has seen it) starts a longer burner, then becomes a shorter
  // one: the watched process exits first, the watch moves to the other, whose exit empties the cgroup.
  const procs = V1.map((h) => sub.dir(h, 'pj/cgroup.procs'));
  const burn = (ms) => `const u0=process.cpuUsage();let u=u0;while(u.user+u.system<${ms}*1000)u=process.cpuUsage(u0);process.stdout.write((u.user+u.system)+'\\n');`;
  const child = spawn('sh', ['-c', 'for f in "$@"; do echo $$ > "$f" || exit 9; done; "$0" -e "$LONG" & exec "$0" -e "$SHORT"', process.execPath, ...procs],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LONG: burn(2500), SHORT: burn(200) } });
  sub.pids.add(child.pid);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
  const closed = new Promise((resolve) => child.stdout.once('close', resolve));
  for (const end = Date.now() + 30000; Date.now() < end; await sleep(20)) {
    const s = c.collect(); // a sweep that counts processes arms the watch
    if (s.get(0, 'processes') === 2) break;
  }
  t.equal(pidfds(), 1, 'one pidfd held while armed');
  await closed;
  for (const end = Date.now() + 30000; finals.length === 0 && Date.now() < end;) await sleep(10);
  t.equal(finals.length, 1, 'one final event, when the last process exited');
  const cpuUs = out.trim().split('\n').map(Number).reduce((a, b) => a + b, 0);
  t.equal(out.trim().split('\n').length, 2, 'both burners reported');
  t.ok(finals[0].values.cpu_usage_ns >= cpuUs * 1000, `final CPU ${finals[0].values.cpu_usage_ns} ns >= both burners' ${cpuUs * 1000} ns`);
  t.equal(finals[0].values.processes, 0, 'read once empty');
  t.equal(pidfds(), 0, 'the pidfd is closed once its process exited');
  await removeCgroup(sub, 'pj', V1);
  const s = c.collect();
  t.equal(s.status[0], ROW_STATUS.final, 'the sweep after removal holds the last sample');
  t.equal(s.get(0, 'cpu_usage_ns'), finals[0].values.cpu_usage_ns);
});
