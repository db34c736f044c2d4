'use strict';
// The families issue 12 added, on a real cgroup v2 kernel (the qemu guest of test/vm: `bash test/vm/run-v2-suite.sh
// test/v2/families.test.js`; skipped on a v1 / hybrid host, where test/exporter/families.test.js covers v1):
// cpu.max -> container_spec_cpu_quota (only when set) / container_spec_cpu_period, the memory.stat detail (a tmpfs
// file written by a process of the cgroup is its shmem; slab = reclaimable + unreclaimable in one read), the start
// time (read once when a cgroup is added) and last seen; valid for promtool and the OpenMetrics parser, and through
// prom-client. Every process is the test's own, started inside its cgroup; all killed by pid, every cgroup removed.
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { StatsCollector, renderMetrics, promClientCollector } = require('../../dist');
const { v2SkipReason, makeSubtree } = require('../helpers/cgroups');
const { promtoolSkip, promtoolCheck, openMetricsSkip, openMetricsCheck } = require('../helpers/exposition');

const MiB = 1024 * 1024;
const read = (f) => fs.readFileSync(f, 'utf8').trim();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const WANT = ['memory', 'cpu', 'pids'];
const opts = {
  skip: v2SkipReason(WANT),
  timeout: 300000,
};

/** The value of a family's sample for cgroup `id` in an exposition (undefined: no sample). */
function sample(text, name, id) {
  const m = new RegExp(`^${name}\\{id="${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"[^}]*\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

async function until(cond, ms) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(25)) if (cond()) return true;
  return cond();
}

let parent;

t.test('v2: cpu.max, memory.stat detail, start time and last seen on real cgroups', opts, async (t) => {
  const sub = makeSubtree(t, ['']);
  parent = sub.dir('');
  const before = Date.now();
  sub.mkdir();
  fs.writeFileSync(sub.dir('', 'cgroup.subtree_control'), WANT.map((c) => `+${c}`).join(' '));
  sub.mkdir('limited');
  sub.mkdir('open');
  fs.writeFileSync(sub.dir('', 'limited/cpu.max'), '50000 100000');
  // A process of 'limited' writes a file on a tmpfs-backed directory (the guest's root is an overlay on tmpfs): its
  // pages are shmem charged to the cgroup.
  const dir = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const file = path.join(dir, `cgmgr-families-${process.pid}`);
  t.teardown(() => fs.rmSync(file, { force: true }));
  const child = spawn('sh', ['-c', `echo $$ > "$0" && head -c ${4 * MiB} /dev/zero > "$1" && echo written && exec sleep 600`,
    sub.dir('', 'limited/cgroup.procs'), file], { stdio: ['ignore', 'pipe', 'ignore'] });
  sub.pids.add(child.pid);
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  t.ok(await until(() => out.includes('written'), 60000), 'the file is written by a process of the cgroup');

  const c = new StatsCollector({ oomEvents: false });
  t.teardown(() => c.close());
  const limited = `/${sub.name}/limited`;
  const open = `/${sub.name}/open`;
  c.add(limited, { name: 'limited' }).add(open, { name: 'open' });
  const added = Date.now();
  const s = c.collect();
  const rl = s.rowOf(limited);
  const ro = s.rowOf(open);

  // cpu.max
  t.equal(s.get(rl, 'cpu_quota_us'), 50000, 'cpu.max quota');
  t.equal(s.get(rl, 'cpu_period_us'), 100000, 'cpu.max period');
  t.equal(read(sub.dir('', 'open/cpu.max')), 'max 100000', 'open has no quota');
  t.equal(s.get(ro, 'cpu_quota_us'), Infinity, '"max": unlimited');
  t.equal(s.get(ro, 'cpu_period_us'), 100000);

  // memory.stat detail: every v2 key present; slab is the sum of its parts in the same read of memory.stat.
  for (const col of ['memory_dirty_bytes', 'memory_writeback_bytes', 'memory_shmem_bytes', 'memory_slab_bytes',
    'memory_slab_reclaimable_bytes', 'memory_slab_unreclaimable_bytes', 'memory_sock_bytes', 'memory_pgscan',
    'memory_pgsteal', 'memory_workingset_refault_anon', 'memory_workingset_refault_file']) {
    t.ok(s.get(rl, col) >= 0, `${col} present (${s.get(rl, col)})`);
  }
  t.equal(s.get(rl, 'memory_slab_bytes'), s.get(rl, 'memory_slab_reclaimable_bytes') + s.get(rl, 'memory_slab_unreclaimable_bytes'),
    'slab = slab_reclaimable + slab_unreclaimable');
  t.ok(s.get(rl, 'memory_shmem_bytes') >= 4 * MiB, `shmem ${s.get(rl, 'memory_shmem_bytes')} holds the ${4 * MiB} B file on ${dir}`);

  // Start time: between the mkdir and add(); read once (an older mtime later is not seen by this collector).
  const start = s.get(rl, 'start_time_ms');
  t.ok(start >= before - 50 && start <= added, `start ${start} between the mkdir (${before}) and add() (${added})`);
  t.equal(s.get(rl, 'last_seen_ms'), Math.floor(s.sampleMs[rl]), 'last seen: the row\'s sample time');
  // An older time, after the machine booted (earlier ones are the boot time: below): halfway between boot and mkdir.
  const btimeMs = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))[1]) * 1000;
  const older = new Date(Math.floor((btimeMs + before) / 2000) * 1000);
  t.ok(older.getTime() > btimeMs && older.getTime() < before - 500, 'an mtime between boot and the mkdir');
  fs.utimesSync(sub.dir('', 'limited'), older, older);
  t.equal(c.collect().get(rl, 'start_time_ms'), start, 'read once: a later sweep does not stat again');
  const c2 = new StatsCollector({ oomEvents: false });
  t.teardown(() => c2.close());
  c2.add(limited);
  t.equal(Math.floor(c2.collect().get(0, 'start_time_ms') / 1000), Math.floor(older.getTime() / 1000),
    'a new registration reads the lowest mtime');
  fs.utimesSync(sub.dir('', 'limited'), new Date('2000-01-01T00:00:00Z'), new Date('2000-01-01T00:00:00Z'));
  const c3 = new StatsCollector({ oomEvents: false });
  t.teardown(() => c3.close());
  c3.add(limited);
  t.equal(c3.collect().get(0, 'start_time_ms'), btimeMs, 'an mtime before boot: the boot time (cAdvisor)');

  // The exposition.
  const text = renderMetrics(c.collect());
  t.equal(sample(text, 'container_spec_cpu_quota', limited), 50000);
  t.equal(sample(text, 'container_spec_cpu_quota', open), undefined, 'no quota: no sample (as cAdvisor)');
  t.equal(sample(text, 'container_spec_cpu_period', open), 100000);
  t.ok(sample(text, 'container_memory_shmem_bytes', limited) >= 4 * MiB);
  t.ok(sample(text, 'container_memory_slab_bytes', limited) > 0, 'slab');
  t.ok(sample(text, 'container_memory_pgscan_total', limited) >= 0, 'pgscan');
  t.equal(sample(text, 'container_start_time_seconds', limited), Math.floor(start / 1000));
  t.ok(sample(text, 'container_last_seen', limited) >= Math.floor(added / 1000));
  if (!promtoolSkip) t.ok(promtoolCheck(text).ok, `promtool accepts it ${promtoolCheck(text).output}`);
  else t.comment(promtoolSkip);
  if (!openMetricsSkip) {
    const r = openMetricsCheck(renderMetrics(c.collect(), { format: 'openmetrics' }));
    t.ok(r.ok, `the OpenMetrics parser accepts it ${r.output}`);
  } else t.comment(openMetricsSkip);

  // prom-client, when it can be loaded.
  let client;
  try { client = require('prom-client'); } catch { t.comment('prom-client not installed: skipped'); }
  if (client) {
    const registry = new client.Registry();
    const { unregister } = promClientCollector(c, { registry });
    const pc = await registry.metrics();
    unregister();
    t.equal(sample(pc, 'container_spec_cpu_quota', limited), 50000, 'prom-client: quota');
    t.equal(sample(pc, 'container_spec_cpu_quota', open), undefined, 'prom-client: no quota sample');
    t.ok(sample(pc, 'container_memory_workingset_refault_file_total', limited) >= 0, 'prom-client: refaults');
    if (!promtoolSkip) t.ok(promtoolCheck(pc).ok, 'promtool accepts prom-client\'s output');
  }
});

t.test('v2 families: no cgroup left behind', opts, async (t) => {
  t.ok(parent, 'a parent was made');
  t.notOk(fs.existsSync(parent), 'the parent (and so its children) removed in teardown');
});
