'use strict';
// The exposition of recorded trees (v1-real, v2-full) in both formats against golden files (UPDATE_GOLDEN=1
// rewrites them), validated by promtool (Prometheus text) and a strict OpenMetrics parser, with values checked
// against the tree's files so the golden files are known right, not merely unchanged.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { StatsCollector } = require('../../dist/collector');
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

// The v2 tree's pod is `pod123` (no valid pod UID, so not a pod to parseCgroupIdentity): network for it by predicate.
function optionsOf(which, more = {}) {
  return { root: CASES[which].root, sysRoot: SYS, procRoot: PROC, network: (p) => p === V2_POD, ...more };
}

function sweepOf(t, which) {
  const k = CASES[which];
  // Device names and the pod's network from fixtures, not from this host (test/fixtures/sys, test/fixtures/proc).
  const c = new StatsCollector(optionsOf(which));
  t.teardown(() => c.close());
  for (const [p, labels] of k.rows) c.add(p, labels);
  return c.collect();
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
    const k = CASES[which];
    const c = new StatsCollector(optionsOf(which, { bigint: true }));
    t.teardown(() => c.close());
    for (const [p, labels] of k.rows) c.add(p, labels);
    t.equal(renderMetrics(c), renderMetrics(sweepOf(t, which)), `${which}: renderMetrics(collector) of a bigint collector`);
  }
});

t.test('bad options', async (t) => {
  const s = sweepOf(t, 'v2');
  t.throws(() => renderMetrics(s, { format: 'json' }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => renderMetrics({}), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => renderMetrics(s, { labels: 'x' }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.equal(renderMetrics(s, { families: ['container_memory_usage_bytes'] }).split('\n').filter((l) => !l.startsWith('#') && l).length, 2);
});
