'use strict';
// The exposition of recorded trees (v1-real, v2-full) in both formats against golden files (UPDATE_GOLDEN=1
// rewrites them), validated by promtool (Prometheus text) and a strict OpenMetrics parser, with values checked
// against the tree's files so the golden files are known right, not merely unchanged.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { StatsCollector, FIELD, FIELD_COUNT } = require('../../dist/collector');
const { renderMetrics, FAMILIES } = require('../../dist/exporter');
const { promtoolSkip, promtoolCheck, openMetricsSkip, openMetricsCheck } = require('../helpers/exposition');

const TREES = path.join(__dirname, '..', 'fixtures', 'trees');
const GOLDEN = path.join(__dirname, 'golden');
const SYS = path.join(__dirname, '..', 'fixtures', 'sys');
const PROC = path.join(__dirname, '..', 'fixtures', 'proc');
const V2_POD = '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice';
const V2_CTR = `${V2_POD}/crio-5f1a3c9e2b7d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f.scope`;

const CASES = {
  v1: {
    root: path.join(TREES, 'v1-real'),
    rows: [['/cgmgr-rec', { name: 'cgmgr-rec' }], ['/cgmgr-rec/ctr', { name: 'ctr', container: 'app', pod: 'web-0', namespace: 'default', image: 'quay.io/x/app:1' }]],
  },
  v2: {
    root: path.join(TREES, 'v2-full'),
    rows: [[V2_POD, { name: 'pod123' }], [V2_CTR, { name: 'crio-5f1a', container: 'app', pod: 'web-0', namespace: 'default', 'io.kubernetes.odd label': 'a"b\\c' }]],
  },
};

/** Fixed lifetime columns for the golden files: the real ones are the checkout's mtimes and the time of the sweep
 * (checked on their own below). */
const PINNED = { start_time_ms: 1764547200000, last_seen_ms: 1764633600123 };
function pin(s) {
  for (let row = 0; row < s.rows; row++) {
    for (const [col, ms] of Object.entries(PINNED)) {
      const i = row * FIELD_COUNT + FIELD[col];
      s.values[i] = s.bigint ? BigInt(ms) : ms;
      s.present[i] = 1;
    }
  }
  return s;
}

// The v2 tree's pod is `pod123` (no valid pod UID, so not a pod to parseCgroupIdentity): network for it by predicate.
function optionsOf(which, more = {}) {
  return { root: CASES[which].root, sysRoot: SYS, procRoot: PROC, network: (p) => p === V2_POD, ...more };
}

function sweepOf(t, which, { bigint = false, pinned = true } = {}) {
  const k = CASES[which];
  // Device names and the pod's network from fixtures, not from this host (test/fixtures/sys, test/fixtures/proc).
  const c = new StatsCollector(optionsOf(which, { bigint }));
  t.teardown(() => c.close());
  for (const [p, labels] of k.rows) c.add(p, labels);
  const s = c.collect();
  return pinned ? pin(s) : s;
}

for (const which of Object.keys(CASES)) {
  for (const format of ['prometheus', 'openmetrics']) {
    t.test(`${which} ${format}: golden file, valid exposition`, async (t) => {
      const text = renderMetrics(sweepOf(t, which), { format, labels: { instance: 'node-1' } });
      const file = path.join(GOLDEN, `${which}.${format === 'prometheus' ? 'prom' : 'om'}.txt`);
      if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, text);
      t.equal(text, fs.readFileSync(file, 'utf8'), `matches ${path.relative(process.cwd(), file)}`);
      if (format === 'openmetrics') {
        t.ok(text.endsWith('# EOF\n'), 'OpenMetrics ends with # EOF');
        t.match(text, /^# TYPE container_cpu_usage_seconds counter$/m, 'family names without _total');
        t.match(text, /^# UNIT container_cpu_usage_seconds seconds$/m);
        t.match(text, /^container_cpu_usage_seconds_total\{/m, 'counter samples with _total');
      } else {
        t.notMatch(text, /# EOF/);
        t.match(text, /^# TYPE container_cpu_usage_seconds_total counter$/m);
      }
      for (const line of text.split('\n').filter((l) => l.startsWith('# TYPE') && l.endsWith(' counter'))) {
        const name = line.split(' ')[2];
        t.ok(format === 'openmetrics' || name.endsWith('_total'), `${name}: a counter ends in _total`);
      }
    });
  }
}

t.test('values in the exposition are the tree\'s, in seconds and bytes', async (t) => {
  const text = renderMetrics(sweepOf(t, 'v1'));
  const dir = path.join(TREES, 'v1-real');
  const num = (f) => Number(fs.readFileSync(path.join(dir, f), 'utf8').trim());
  const series = (name, id) => {
    const re = new RegExp(`^${name}\\{id="${id}",[^}]*\\} (\\S+)$`, 'm');
    const m = re.exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const id = '/cgmgr-rec/ctr';
  t.equal(series('container_cpu_usage_seconds_total', id), num('cpuacct/cgmgr-rec/ctr/cpuacct.usage') / 1e9);
  t.equal(series('container_memory_usage_bytes', id), num('memory/cgmgr-rec/ctr/memory.usage_in_bytes'));
  t.equal(series('container_spec_memory_limit_bytes', id), num('memory/cgmgr-rec/ctr/memory.limit_in_bytes'));
  t.equal(series('container_spec_memory_reservation_limit_bytes', id), 0, 'an unlimited soft limit (2^63) is 0, as cAdvisor');
  t.equal(series('container_spec_cpu_quota', id), num('cpu/cgmgr-rec/ctr/cpu.cfs_quota_us'));
  t.equal(series('container_threads_max', '/cgmgr-rec'), 0, 'pids.max "max": 0 (cAdvisor: infinity if zero)');
  t.equal(series('container_spec_cpu_quota', '/cgmgr-rec'), undefined, 'no quota: no sample');
  t.equal(series('container_memory_events_high_total', id), undefined, 'absent on v1: no sample (never 0)');
  t.match(text, /^container_cpu_usage_seconds_total\{id="\/cgmgr-rec\/ctr",name="ctr",container="app",image="quay.io\/x\/app:1",namespace="default",pod="web-0",cpu="total"\} /m,
    'labels: id, name, then the rest sorted, then the family\'s');
});

t.test('every family is well formed', async (t) => {
  const names = new Set();
  for (const f of FAMILIES) {
    t.notOk(names.has(f.name), `${f.name} once`);
    names.add(f.name);
    t.ok(/^container_[a-z0-9_]+$/.test(f.name), f.name);
    t.equal(f.type === 'counter', f.name.endsWith('_total'), `${f.name}: _total iff counter`);
    if (f.unit) t.ok(f.name.replace(/_total$/, '').endsWith(`_${f.unit}`), `${f.name}: ends in its unit`);
  }
});

t.test('docs/exporter.md lists every family by its full name, with its group', async (t) => {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'exporter.md'), 'utf8');
  const rows = doc.split('\n').filter((l) => /^\| [a-zA-Z_]+ \| `container_/.test(l));
  for (const f of FAMILIES) {
    const row = rows.find((l) => l.includes(`\`${f.name}\``) || l.includes(`\`${f.name}{`));
    t.ok(row, `${f.name} is in the families table`);
    if (row) t.ok(row.startsWith(`| ${f.group} |`) && row.includes(` | ${f.type} | `), `${f.name}: group ${f.group}, ${f.type}`);
  }
});

t.test('promtool check metrics', { skip: promtoolSkip }, async (t) => {
  for (const which of Object.keys(CASES)) {
    const r = promtoolCheck(renderMetrics(sweepOf(t, which)));
    t.ok(r.ok, `${which}: promtool accepts the exposition ${r.output}`);
  }
  const bad = promtoolCheck('# TYPE x_total counter\nx_total{a="1"} 1\nx_total{a="1"} 2\n');
  t.notOk(bad.ok, 'promtool rejects a duplicate series (the check can fail)');
});

t.test('strict OpenMetrics parser', { skip: openMetricsSkip }, async (t) => {
  for (const which of Object.keys(CASES)) {
    const text = renderMetrics(sweepOf(t, which), { format: 'openmetrics' });
    const r = openMetricsCheck(text);
    t.ok(r.ok, `${which}: parses ${r.output}`);
    const families = text.split('\n').filter((l) => l.startsWith('# TYPE')).length;
    t.equal(r.families, families, 'every family parsed');
  }
  t.notOk(openMetricsCheck('# TYPE x counter\nx_total 1\n').ok, 'a missing # EOF is rejected (the check can fail)');
});

t.test('bigint sweeps render the same text', async (t) => {
  for (const which of Object.keys(CASES)) {
    t.equal(renderMetrics(sweepOf(t, which, { bigint: true })), renderMetrics(sweepOf(t, which)), `${which}: a bigint sweep`);
  }
});

t.test('v2 cpu.max: the quota only when set (as cAdvisor), the period always', async (t) => {
  const pod = path.join(TREES, 'v2-limits', V2_POD.slice(1));
  const limited = fs.readdirSync(pod).filter((d) => d.startsWith('crio-') && fs.readFileSync(path.join(pod, d, 'cpu.max'), 'utf8').trim() !== 'max 100000');
  t.equal(limited.length, 1, 'the tree has one container with a quota');
  const [quota, period] = fs.readFileSync(path.join(pod, limited[0], 'cpu.max'), 'utf8').trim().split(' ').map(Number);
  const c = new StatsCollector({ root: path.join(TREES, 'v2-limits') });
  t.teardown(() => c.close());
  const ctr = `${V2_POD}/${limited[0]}`;
  c.add(V2_POD).add(ctr);
  const text = renderMetrics(c.collect());
  const series = (name, id) => new RegExp(`^${name}\\{id="${id.replace(/\./g, '\\.')}",[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1];
  t.equal(series('container_spec_cpu_quota', ctr), String(quota), 'cpu.max quota');
  t.equal(series('container_spec_cpu_period', ctr), String(period), 'cpu.max period');
  t.equal(series('container_spec_cpu_quota', V2_POD), undefined, '"max": no quota sample');
  t.equal(series('container_spec_cpu_period', V2_POD), '100000', 'the period of an unlimited cgroup');
  if (!promtoolSkip) t.ok(promtoolCheck(text).ok, 'promtool accepts it');
});

t.test('memory.stat detail: cAdvisor\'s families from v2 keys and v1 total_* keys; ours for shmem, slab, sock', async (t) => {
  const v2 = renderMetrics(sweepOf(t, 'v2'));
  const v1 = renderMetrics(sweepOf(t, 'v1'));
  const value = (text, name, id) => new RegExp(`^${name}\\{id="${id.replace(/\./g, '\\.')}",[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1];
  const stat = (file) => Object.fromEntries(fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(' ')));
  const m2 = stat(path.join(TREES, 'v2-full', V2_CTR.slice(1), 'memory.stat'));
  const m1 = stat(path.join(TREES, 'v1-real', 'memory', 'cgmgr-rec', 'ctr', 'memory.stat'));
  const families = [
    ['container_memory_file_dirty_bytes', 'file_dirty', 'total_dirty'],
    ['container_memory_file_writeback_bytes', 'file_writeback', 'total_writeback'],
    ['container_memory_pgscan_total', 'pgscan', undefined],
    ['container_memory_pgsteal_total', 'pgsteal', undefined],
    ['container_memory_workingset_refault_anon_total', 'workingset_refault_anon', 'total_workingset_refault_anon'],
    ['container_memory_workingset_refault_file_total', 'workingset_refault_file', 'total_workingset_refault_file'],
    ['container_memory_shmem_bytes', 'shmem', 'total_shmem'],
    ['container_memory_slab_bytes', 'slab', undefined],
    ['container_memory_slab_reclaimable_bytes', 'slab_reclaimable', undefined],
    ['container_memory_slab_unreclaimable_bytes', 'slab_unreclaimable', undefined],
    ['container_memory_sock_bytes', 'sock', undefined],
  ];
  for (const [name, k2, k1] of families) {
    t.ok(FAMILIES.some((f) => f.name === name && f.group === 'memory'), `${name} is a memory family`);
    t.equal(value(v2, name, V2_CTR), m2[k2], `v2 ${name} = memory.stat ${k2}`);
    t.equal(value(v1, name, '/cgmgr-rec/ctr'), k1 === undefined ? undefined : m1[k1], k1 ? `v1 ${name} = memory.stat ${k1}` : `v1 has no ${name}: no sample`);
  }
  t.ok(Number(m2.slab) > 0 && Number(m1.total_dirty) >= 0, 'the trees hold values to compare');
});

t.test('start time (cAdvisor: the lowest mtime of the cgroup\'s directories and rarely written files) and last seen', async (t) => {
  for (const which of Object.keys(CASES)) {
    const k = CASES[which];
    const before = Date.now();
    const s = sweepOf(t, which, { pinned: false });
    const after = Date.now();
    const text = renderMetrics(s);
    for (const [cg] of k.rows) {
      const dirs = which === 'v2' ? [[path.join(k.root, cg), 'cgroup.events']]
        : fs.readdirSync(k.root).map((h) => [path.join(k.root, h, cg), 'cgroup.clone_children']).filter(([d]) => fs.existsSync(d));
      let lowest = Infinity;
      for (const [d, f] of dirs) {
        lowest = Math.min(lowest, fs.statSync(d).mtimeMs);
        if (fs.existsSync(path.join(d, f))) lowest = Math.min(lowest, fs.statSync(path.join(d, f)).mtimeMs);
      }
      const id = cg.replace(/\./g, '\\.');
      const start = Number(new RegExp(`^container_start_time_seconds\\{id="${id}",[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1]);
      const seen = Number(new RegExp(`^container_last_seen\\{id="${id}",[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1]);
      t.equal(start, Math.floor(lowest / 1000), `${which} ${cg}: start time in whole seconds`);
      t.ok(seen >= Math.floor(before / 1000) && seen <= Math.floor(after / 1000), `${which} ${cg}: last seen ${seen} is the sweep's time`);
    }
  }
});

t.test('bad options', async (t) => {
  const s = sweepOf(t, 'v2');
  t.throws(() => renderMetrics(s, { format: 'json' }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => renderMetrics({}), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => renderMetrics(s, { labels: 'x' }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.equal(renderMetrics(s, { families: ['container_memory_usage_bytes'] }).split('\n').filter((l) => !l.startsWith('#') && l).length, 2);
});
