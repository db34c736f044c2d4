'use strict';
// Family selection (cAdvisor's --enable_metrics / --disable_metrics by group, or by family name) and label
// allow/deny lists: in renderMetrics, the server and promClientCollector; the output stays a valid exposition.
const t = require('tap');
const http = require('node:http');
const path = require('node:path');
const { StatsCollector } = require('../../dist/collector');
const { renderMetrics, selectFamilies, FAMILIES, FAMILY_GROUPS, createMetricsServer, promClientCollector } = require('../../dist/exporter');
const { promtoolSkip, promtoolCheck, openMetricsSkip, openMetricsCheck } = require('../helpers/exposition');

const V2 = path.join(__dirname, '..', 'fixtures', 'trees', 'v2-full');
const V2_POD = '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice';
const V2_CTR = `${V2_POD}/crio-5f1a3c9e2b7d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f.scope`;
const KUBE = { name: 'ctr', namespace: 'default', pod: 'web-0', container: 'app', image: 'quay.io/x/app:1' };

function sweep(t) {
  const c = new StatsCollector({ root: V2 });
  t.teardown(() => c.close());
  c.add(V2_POD, { name: 'pod' }).add(V2_CTR, KUBE);
  return { c, s: c.collect() };
}

const familiesIn = (text) => new Set(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.slice(0, l.indexOf('{'))));

t.test('every family has a group; groups select what they name', async (t) => {
  for (const f of FAMILIES) t.ok(FAMILY_GROUPS.includes(f.group), `${f.name}: ${f.group}`);
  for (const g of FAMILY_GROUPS) {
    const sel = selectFamilies({ enable: [g] });
    t.ok(sel.length > 0 && sel.every((f) => f.group === g), `enable ${g}`);
    t.equal(selectFamilies({ disable: [g] }).length, FAMILIES.length - sel.length, `disable ${g}`);
  }
  t.same(selectFamilies({ enable: ['container_cpu_usage_seconds'] }).map((f) => f.name), ['container_cpu_usage_seconds_total'], 'an OpenMetrics family name');
  t.same(selectFamilies({ enable: ['cpu'], disable: ['container_cpu_user_seconds_total'] }).map((f) => f.name).includes('container_cpu_user_seconds_total'), false);
  t.throws(() => selectFamilies({ enable: ['tcp'] }), { code: 'ERR_INVALID_ARG_VALUE', message: /neither a family nor a group/ });
  t.throws(() => selectFamilies({ disable: 'cpu' }), { code: 'ERR_INVALID_ARG_VALUE' });
});

t.test('renderMetrics: enable/disable', async (t) => {
  const { s } = sweep(t);
  const cpu = familiesIn(renderMetrics(s, { enable: ['cpu'] }));
  t.ok([...cpu].every((n) => n.startsWith('container_cpu_')), 'only cpu families');
  t.ok(cpu.has('container_cpu_usage_seconds_total'));
  const all = familiesIn(renderMetrics(s));
  const less = familiesIn(renderMetrics(s, { disable: ['spec', 'pressure'] }));
  t.ok(all.has('container_spec_memory_limit_bytes') && all.has('container_pressure_cpu_waiting_seconds_total'), 'the full exposition has both');
  // spec: the container_spec_* families, and the start time and last seen (cAdvisor writes them with the spec).
  const off = new Set(FAMILIES.filter((f) => f.group === 'spec' || f.group === 'pressure').map((f) => f.name));
  t.ok(off.has('container_start_time_seconds') && off.has('container_last_seen'), 'start time and last seen are in spec');
  t.ok(all.has('container_start_time_seconds') && all.has('container_last_seen'));
  t.notOk([...less].some((n) => off.has(n)), 'disabled groups are gone');
  t.equal(less.size, [...all].filter((n) => !off.has(n)).length, 'the rest stay');
});

t.test('label allow/deny lists', async (t) => {
  const { s } = sweep(t);
  const deny = renderMetrics(s, { labelDeny: ['image', 'name'], labels: { instance: 'n1' } });
  t.match(deny, /^container_memory_usage_bytes\{id="[^"]+crio[^"]+",container="app",instance="n1",namespace="default",pod="web-0"\} \d+$/m, 'image and name denied');
  t.notMatch(deny, /image=|name="/);
  const allow = renderMetrics(s, { labelAllow: ['pod'] });
  t.match(allow, /^container_cpu_usage_seconds_total\{id="[^"]+crio[^"]+",pod="web-0",cpu="total"\} /m, 'only pod (and id, and the family\'s own cpu label)');
  t.match(allow, /^container_memory_usage_bytes\{id="\/kubepods[^"]+pod123\.slice"\} \d+$/m, 'a row without pod: only id');
  t.throws(() => renderMetrics(s, { labelDeny: ['id'] }), { code: 'ERR_INVALID_ARG_VALUE' });
  if (!promtoolSkip) {
    for (const text of [deny, allow]) t.ok(promtoolCheck(text).ok, 'promtool accepts it');
  }
  if (!openMetricsSkip) {
    const om = renderMetrics(s, { format: 'openmetrics', labelAllow: ['namespace'], disable: ['memory'] });
    t.ok(openMetricsCheck(om).ok, 'the OpenMetrics parser accepts it');
  }
});

t.test('the server and prom-client take the same selection', async (t) => {
  const { c } = sweep(t);
  const srv = await createMetricsServer({ port: 0, collector: c, disable: ['spec'], labelDeny: ['image'] });
  t.teardown(() => srv.close());
  const body = await new Promise((resolve, reject) => {
    http.get(srv.url, { agent: false }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { b += d; });
      res.on('end', () => resolve(b));
    }).on('error', reject);
  });
  t.equal(body, renderMetrics(c.collect(), { disable: ['spec'], labelDeny: ['image'] }));
  t.notMatch(body, /container_spec_|image=/);

  const client = require('prom-client');
  const registry = new client.Registry();
  const { metrics } = promClientCollector(c, { registry, enable: ['memory'], labelAllow: ['pod'] });
  t.ok(metrics.length > 0 && metrics.every((m) => m.name.startsWith('container_memory_')));
  const text = await registry.metrics();
  t.match(text, /^container_memory_usage_bytes\{id="[^"]+crio[^"]+",pod="web-0"\} \d+$/m);
});
