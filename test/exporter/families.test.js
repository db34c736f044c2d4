'use strict';
// The families issue 12 added, on real v1 cgroups this test makes (the v2 half: test/v2/collector.test.js in the
// guest; recorded trees: golden.test.js): memory.stat detail (a tmpfs file written by a process of the cgroup is
// its shmem), container_start_time_seconds (cAdvisor's lowest mtime, read once when the cgroup is added) and
// container_last_seen, in renderMetrics (promtool, the strict OpenMetrics parser) and through prom-client.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { StatsCollector } = require('../../dist/collector');
const { renderMetrics, promClientCollector } = require('../../dist/exporter');
const { ROOT, realKernelSkipReason, makeSubtree } = require('../helpers/cgroups');
const { promtoolSkip, promtoolCheck, openMetricsSkip, openMetricsCheck } = require('../helpers/exposition');

const skip = realKernelSkipReason();
const isV1 = !skip && fs.existsSync(path.join(ROOT, 'memory', 'cgroup.procs')) && !fs.existsSync(path.join(ROOT, 'cgroup.controllers'));
const v1Skip = skip ?? (isV1 ? false : 'not a cgroup v1 (hybrid) host');
const H = ['memory', 'cpu', 'cpuacct', 'pids'];
const SHM_BYTES = 8 << 20;

/** The value of a family's sample for cgroup `id` in an exposition, as a number (undefined: no sample). */
function sample(text, name, id) {
  const m = new RegExp(`^${name}\\{id="${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"[^}]*\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Waits for `cond()` (polled) until `ms` have passed. */
async function waitFor(cond, what, ms = 10000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A shell in the subtree's cgroup that writes SHM_BYTES to a tmpfs file of its own (charged to its memory cgroup as
 * shmem), then sleeps. Killed and its file removed at teardown.
 */
async function shmWriter(t, sub) {
  const file = `/dev/shm/cgmgr-families-${process.pid}-${Date.now().toString(36)}`;
  const child = spawn('sh', ['-c', `read go; head -c ${SHM_BYTES} /dev/zero > ${file}; echo written; exec sleep 600`],
    { stdio: ['pipe', 'pipe', 'ignore'] });
  t.teardown(() => {
    try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
    fs.rmSync(file, { force: true });
  });
  await new Promise((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
  for (const h of H) fs.writeFileSync(sub.dir(h, 'cgroup.procs'), String(child.pid));
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stdin.write('go\n');
  await waitFor(() => out.includes('written'), 'the tmpfs file to be written');
  return { child, file };
}

t.test('memory.stat detail on a real v1 cgroup: v1 total_* keys; no slab, sock, pgscan, pgsteal on v1', { skip: v1Skip }, async (t) => {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  await shmWriter(t, sub);
  const c = new StatsCollector({ oomEvents: false });
  t.teardown(() => c.close());
  const id = `/${sub.name}`;
  c.add(id, { name: 'shm' });
  const s = c.collect();
  t.ok(s.get(0, 'memory_shmem_bytes') >= SHM_BYTES, `shmem ${s.get(0, 'memory_shmem_bytes')} holds the ${SHM_BYTES} B tmpfs file`);
  for (const col of ['memory_dirty_bytes', 'memory_writeback_bytes']) t.ok(s.get(0, col) >= 0, `${col} present`);
  const stat = fs.readFileSync(sub.dir('memory', 'memory.stat'), 'utf8');
  for (const [col, key] of [['memory_workingset_refault_anon', 'total_workingset_refault_anon'], ['memory_workingset_refault_file', 'total_workingset_refault_file']]) {
    // Refault counters exist on v1 since Linux 5.9.
    t.equal(s.get(0, col) !== undefined, new RegExp(`^${key} `, 'm').test(stat), `${col} present iff memory.stat has ${key}`);
  }
  for (const col of ['memory_slab_bytes', 'memory_slab_reclaimable_bytes', 'memory_slab_unreclaimable_bytes', 'memory_sock_bytes', 'memory_pgscan', 'memory_pgsteal']) {
    t.equal(s.get(0, col), undefined, `${col}: absent on v1`);
  }
  const text = renderMetrics(s);
  t.ok(sample(text, 'container_memory_shmem_bytes', id) >= SHM_BYTES, 'container_memory_shmem_bytes');
  t.ok(sample(text, 'container_memory_file_dirty_bytes', id) >= 0, 'container_memory_file_dirty_bytes (total_dirty)');
  t.ok(sample(text, 'container_memory_file_writeback_bytes', id) >= 0, 'container_memory_file_writeback_bytes (total_writeback)');
  t.equal(sample(text, 'container_memory_slab_bytes', id), undefined, 'no slab sample on v1 (never a 0)');
  t.equal(sample(text, 'container_memory_pgscan_total', id), undefined, 'no pgscan sample on v1');
  if (!promtoolSkip) t.ok(promtoolCheck(text).ok, `promtool accepts it ${promtoolCheck(text).output}`);
  if (!openMetricsSkip) {
    const r = openMetricsCheck(renderMetrics(s, { format: 'openmetrics' }));
    t.ok(r.ok, `the OpenMetrics parser accepts it ${r.output}`);
  }
});

t.test('start time: the cgroup\'s lowest mtime, read once when it is added; last seen: the sweep\'s time', { skip: v1Skip }, async (t) => {
  const sub = makeSubtree(t, H);
  const before = Date.now();
  sub.mkdir();
  const c = new StatsCollector({ oomEvents: false });
  t.teardown(() => c.close());
  const id = `/${sub.name}`;
  c.add(id);
  const added = Date.now();
  const s1 = c.collect();
  const swept = Date.now();
  const start = s1.get(0, 'start_time_ms');
  // kernfs stamps a node with the coarse clock (up to a tick behind Date.now()) when its inode is first made.
  t.ok(start >= before - 50 && start <= added, `start ${start} is between the mkdir (${before}) and add() (${added})`);
  const seen = s1.get(0, 'last_seen_ms');
  t.equal(seen, Math.floor(s1.sampleMs[0]), 'last seen: the row\'s sample time, whole ms');
  t.ok(seen <= swept);

  // An older mtime on one of its directories (our own cgroup): the collector that has it keeps what it read at add()...
  // An older time, after the machine booted (earlier ones are the boot time: below): halfway between boot and mkdir.
  const btimeMs = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))[1]) * 1000;
  const older = new Date(Math.floor((btimeMs + before) / 2000) * 1000);
  t.ok(older.getTime() > btimeMs && older.getTime() < before - 500, 'an mtime between boot and the mkdir');
  fs.utimesSync(sub.dir('memory'), older, older);
  const s2 = c.collect();
  t.equal(s2.get(0, 'start_time_ms'), start, 'read once: a later sweep does not stat again');
  t.ok(s2.get(0, 'last_seen_ms') >= seen, 'last seen moves with each sweep');
  // ... and a registration now reads the lowest mtime: the directory's.
  const c2 = new StatsCollector({ oomEvents: false });
  t.teardown(() => c2.close());
  c2.add(id);
  const s3 = c2.collect();
  t.equal(s3.get(0, 'start_time_ms'), Math.floor(fs.statSync(sub.dir('memory')).mtimeMs), 'a new registration: the lowest mtime');
  t.equal(Math.floor(s3.get(0, 'start_time_ms') / 1000), Math.floor(older.getTime() / 1000));
  // Never before the machine booted (cAdvisor clamps to the boot time).
  fs.utimesSync(sub.dir('memory'), new Date('2000-01-01T00:00:00Z'), new Date('2000-01-01T00:00:00Z'));
  const btime = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))[1]);
  const c3 = new StatsCollector({ oomEvents: false });
  t.teardown(() => c3.close());
  c3.add(id);
  const text = renderMetrics(c3.collect());
  t.equal(sample(text, 'container_start_time_seconds', id), btime, 'an mtime before boot: the boot time');
  const lastSeen = sample(text, 'container_last_seen', id);
  t.ok(lastSeen >= Math.floor(before / 1000) && lastSeen <= Math.floor(Date.now() / 1000), 'container_last_seen: whole seconds of the sweep');
  t.ok(Number.isInteger(lastSeen), 'whole seconds, as cAdvisor');
});

t.test('through prom-client: the new families with the sweep\'s values, a valid exposition', { skip: v1Skip }, async (t) => {
  const client = require('prom-client');
  const sub = makeSubtree(t, H);
  sub.mkdir();
  await shmWriter(t, sub);
  fs.writeFileSync(sub.dir('cpu', 'cpu.cfs_quota_us'), '50000');
  const c = new StatsCollector({ oomEvents: false });
  t.teardown(() => c.close());
  const id = `/${sub.name}`;
  c.add(id, { name: 'ctr', pod: 'p' });
  const registry = new client.Registry();
  const { unregister } = promClientCollector(c, { registry });
  t.teardown(unregister);
  const before = Date.now();
  const text = await registry.metrics();
  const s = c.collect();
  t.equal(sample(text, 'container_start_time_seconds', id), Math.floor(s.get(0, 'start_time_ms') / 1000), 'start time');
  t.ok(sample(text, 'container_last_seen', id) >= Math.floor(before / 1000), 'last seen');
  t.ok(sample(text, 'container_memory_shmem_bytes', id) >= SHM_BYTES, 'shmem');
  t.ok(sample(text, 'container_memory_file_dirty_bytes', id) >= 0, 'dirty');
  t.equal(sample(text, 'container_spec_cpu_quota', id), 50000, 'v1 quota');
  t.match(text, /^# TYPE container_memory_workingset_refault_file_total counter$/m, 'counters stay counters');
  t.notMatch(text, /^container_memory_slab_bytes\{/m, 'no slab series on v1');
  if (!promtoolSkip) t.ok(promtoolCheck(text).ok, `promtool accepts prom-client's output ${promtoolCheck(text).output}`);
  registry.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE);
  const om = await registry.metrics();
  if (!openMetricsSkip) t.ok(openMetricsCheck(om).ok, `the OpenMetrics parser accepts prom-client's OpenMetrics ${openMetricsCheck(om).output}`);
});
