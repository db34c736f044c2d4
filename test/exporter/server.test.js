'use strict';
// createMetricsServer over a recorded tree, through real HTTP on loopback: content negotiation, 404/405, HEAD,
// concurrent scrapes, bad options, close; and promClientCollector with a real prom-client Registry (both formats,
// validated like the renderer's output).
const t = require('tap');
const http = require('node:http');
const path = require('node:path');
const { StatsCollector } = require('../../dist/collector');
const { createMetricsServer, negotiateFormat, promClientCollector, renderMetrics } = require('../../dist/exporter');
const { promtoolSkip, promtoolCheck, openMetricsSkip, openMetricsCheck } = require('../helpers/exposition');

const V2 = path.join(__dirname, '..', 'fixtures', 'trees', 'v2-full');
const V2_POD = '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice';
const V2_CTR = `${V2_POD}/crio-5f1a3c9e2b7d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f.scope`;

function get(url, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('negotiateFormat', async (t) => {
  t.equal(negotiateFormat(undefined), 'prometheus');
  t.equal(negotiateFormat('text/plain'), 'prometheus');
  t.equal(negotiateFormat('application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'), 'openmetrics');
});

t.test('GET /metrics on loopback, both formats, 404, 405, HEAD', async (t) => {
  const srv = await createMetricsServer({ port: 0, root: V2, paths: [V2_POD, { path: V2_CTR, labels: { name: 'ctr' } }], labels: { instance: 'n1' } });
  t.teardown(() => srv.close());
  t.match(srv.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/, 'loopback by default');
  const prom = await get(srv.url);
  t.equal(prom.status, 200);
  t.equal(prom.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  const direct = new StatsCollector({ root: V2 });
  t.teardown(() => direct.close());
  direct.add(V2_POD).add(V2_CTR, { name: 'ctr' });
  t.equal(prom.body, renderMetrics(direct, { labels: { instance: 'n1' } }), 'the body is the exposition of a sweep');
  const om = await get(srv.url, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
  t.equal(om.headers['content-type'], 'application/openmetrics-text; version=1.0.0; charset=utf-8');
  t.ok(om.body.endsWith('# EOF\n'));
  t.equal((await get(srv.url.replace('/metrics', '/'))).status, 404);
  t.equal((await get(srv.url.replace('/metrics', '/metricsx'))).status, 404);
  const post = await get(srv.url, { method: 'POST' });
  t.equal(post.status, 405);
  t.equal(post.headers.allow, 'GET, HEAD');
  const head = await get(srv.url, { method: 'HEAD' });
  t.equal(head.status, 200);
  t.equal(head.body, '');
  t.equal(Number(head.headers['content-length']), Buffer.byteLength(prom.body));
  const many = await Promise.all(Array.from({ length: 8 }, () => get(srv.url)));
  t.ok(many.every((r) => r.status === 200 && r.body === prom.body), 'concurrent scrapes');
  t.equal(srv.collector.size, 2);
});

t.test('a given collector is served and left open; bad options', async (t) => {
  const c = new StatsCollector({ root: V2 });
  t.teardown(() => c.close());
  c.add(V2_CTR);
  const srv = await createMetricsServer({ port: 0, collector: c });
  const r = await get(srv.url);
  t.match(r.body, /container_memory_working_set_bytes\{id="\/kubepods\.slice/);
  await srv.close();
  t.equal(c.collect().rows, 1, 'the caller\'s collector is still open');
  await t.rejects(createMetricsServer({ port: 70000 }), { code: 'ERR_INVALID_ARG_VALUE' });
  await t.rejects(createMetricsServer({ port: 0, root: V2, paths: ['/nope'] }), { code: 'ENOENT' });
  const a = await createMetricsServer({ port: 0, root: V2 });
  t.teardown(() => a.close());
  await t.rejects(createMetricsServer({ port: a.port, root: V2 }), { code: 'EADDRINUSE' });
});

t.test('promClientCollector with a prom-client Registry', async (t) => {
  const client = require('prom-client');
  const c = new StatsCollector({ root: V2 });
  t.teardown(() => c.close());
  c.add(V2_POD, { name: 'pod' }).add(V2_CTR, { name: 'ctr' });
  const registry = new client.Registry();
  const { metrics, unregister } = promClientCollector(c, { registry, labels: { instance: 'n1' } });
  t.ok(metrics.length > 20);
  let sweeps = 0;
  const orig = c.collectAsync.bind(c);
  c.collectAsync = (...a) => { sweeps++; return orig(...a); };
  const text = await registry.metrics();
  t.equal(sweeps, 1, 'one sweep per scrape for every family');
  t.match(text, /^# TYPE container_cpu_usage_seconds_total counter$/m, 'counters stay counters');
  const ws = /^container_memory_working_set_bytes\{id="([^"]+)",name="ctr",instance="n1"\} (\d+)$/m.exec(text);
  t.ok(ws, 'working set series of the container');
  t.equal(Number(ws[2]), c.collect().get(1, 'memory_working_set_bytes'));
  if (!promtoolSkip) t.ok(promtoolCheck(text).ok, `promtool accepts prom-client's output ${promtoolCheck(text).output}`);
  registry.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE);
  const om = await registry.metrics();
  t.match(om, /^container_cpu_usage_seconds_total\{/m);
  t.ok(om.endsWith('# EOF\n'));
  if (!openMetricsSkip) t.ok(openMetricsCheck(om).ok, `OpenMetrics parser accepts prom-client's output ${openMetricsCheck(om).output}`);
  registry.setContentType(client.Registry.PROMETHEUS_CONTENT_TYPE);
  t.match(await registry.metrics(), /^# TYPE container_cpu_usage_seconds_total counter$/m, 'back to Prometheus text: _total again');
  unregister();
  t.equal(registry.getMetricsAsArray().length, 0, 'unregister() removes every family (also after an OpenMetrics scrape)');
  t.throws(() => promClientCollector(c, { registry: { registerMetric() { throw new Error('dup'); } } }), /dup/);
});

t.test('promClientCollector: a row\'s new labels show at the next scrape (its label object is rebuilt)', async (t) => {
  const client = require('prom-client');
  const c = new StatsCollector({ root: V2 });
  t.teardown(() => c.close());
  c.add(V2_POD, { name: 'pod' }).add(V2_CTR, { name: 'ctr', pod: 'web-0' });
  const registry = new client.Registry();
  promClientCollector(c, { registry, families: ['container_memory_usage_bytes', 'container_cpu_usage_seconds_total'] });
  const before = await registry.metrics();
  t.match(before, /^container_memory_usage_bytes\{id="[^"]+crio[^"]+",name="ctr",pod="web-0"\} \d+$/m);
  c.add(V2_CTR, { name: 'ctr', pod: 'web-1' });
  const after = await registry.metrics();
  t.match(after, /^container_memory_usage_bytes\{id="[^"]+crio[^"]+",name="ctr",pod="web-1"\} \d+$/m, 'new labels');
  t.match(after, /^container_cpu_usage_seconds_total\{id="[^"]+crio[^"]+",name="ctr",pod="web-1",cpu="total"\} /m, 'with the family\'s own label');
  t.notMatch(after, /pod="web-0"/, 'the old ones are gone');
  const lines = (x) => x.split('\n').filter((l) => l !== '');
  t.same(lines(after), lines(renderMetrics(c.collect(), { families: ['container_memory_usage_bytes', 'container_cpu_usage_seconds_total'] })),
    'the same lines as the renderer (prom-client puts a blank line between families)');
});
