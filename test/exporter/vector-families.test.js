'use strict';
// Families with a sample per device or interface (io per device, per-pod network) through every way out: the
// renderer (sync and async in slices), the server (Prometheus text and OpenMetrics, gzip or not) and prom-client (both
// formats), each validated by promtool and the strict OpenMetrics parser; a row label named `device` or `interface`
// does not clash with the entry's; selection by the `diskIO` and `network` groups; label lists keep the entry label;
// no name is exposed both with and without `device`.
const t = require('tap');
const http = require('node:http');
const zlib = require('node:zlib');
const path = require('node:path');
const { StatsCollector, Sweep } = require('../../dist/collector');
const { createMetricsServer, promClientCollector, renderMetrics, ExpositionRenderer, FAMILIES } = require('../../dist/exporter');
const { promtoolSkip, promtoolCheck, openMetricsSkip, openMetricsCheck } = require('../helpers/exposition');

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const V2 = path.join(FIXTURES, 'trees', 'v2-full');
const V2_POD = '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice';
const V2_CTR = `${V2_POD}/crio-5f1a3c9e2b7d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f.scope`;
const OPTIONS = { root: V2, sysRoot: path.join(FIXTURES, 'sys'), procRoot: path.join(FIXTURES, 'proc'), network: (p) => p === V2_POD, oomEvents: false };
const VECTOR_FAMILIES = FAMILIES.filter((f) => f.samples.some((s) => s.vector)).map((f) => f.name);

function collector(t, labels = {}) {
  const c = new StatsCollector(OPTIONS);
  t.teardown(() => c.close());
  c.add(V2_POD, { name: 'pod', ...labels }).add(V2_CTR, { name: 'ctr', ...labels });
  return c;
}

function valid(t, text, format, what) {
  if (format === 'prometheus' && !promtoolSkip) {
    const r = promtoolCheck(text);
    t.ok(r.ok, `${what}: promtool check metrics ${r.output}`);
  }
  if (format === 'openmetrics' && !openMetricsSkip) {
    const r = openMetricsCheck(text);
    t.ok(r.ok, `${what}: OpenMetrics parser ${r.output}`);
  }
}

const lines = (text, name) => text.split('\n').filter((l) => l.startsWith(`${name}{`));

t.test('the vector families', async (t) => {
  t.same(VECTOR_FAMILIES, [
    'container_fs_reads_bytes_total', 'container_fs_writes_bytes_total', 'container_fs_reads_total', 'container_fs_writes_total',
    'container_network_receive_bytes_total', 'container_network_receive_packets_total', 'container_network_receive_packets_dropped_total',
    'container_network_receive_errors_total', 'container_network_transmit_bytes_total', 'container_network_transmit_packets_total',
    'container_network_transmit_packets_dropped_total', 'container_network_transmit_errors_total',
  ]);
  for (const f of FAMILIES.filter((x) => VECTOR_FAMILIES.includes(x.name))) {
    t.equal(f.samples.length, 1, `${f.name}: one sample spec (per entry), never a per-row total beside it`);
    t.equal(f.group, f.name.startsWith('container_fs_') ? 'diskIO' : 'network');
  }
  t.equal(new Set(FAMILIES.map((f) => f.name)).size, FAMILIES.length, 'each name once');
});

t.test('renderer: a sample per device and interface, every series carries the entry label', async (t) => {
  const s = collector(t).collect();
  for (const format of ['prometheus', 'openmetrics']) {
    const text = renderMetrics(s, { format, labels: { instance: 'n1' } });
    valid(t, text, format, format);
    const reads = lines(text, 'container_fs_reads_bytes_total');
    t.equal(reads.length, 4, `${format}: two rows × two devices`);
    t.ok(reads.every((l) => /,device="(\/dev\/sda|253:0)"\} \d+$/.test(l)), 'each with its device');
    for (const name of VECTOR_FAMILIES) {
      const ls = lines(text, name);
      const label = name.startsWith('container_fs_') ? 'device' : 'interface';
      t.ok(ls.every((l) => l.includes(`,${label}="`)), `${name}: no series without ${label}`);
    }
    const rx = lines(text, 'container_network_receive_bytes_total');
    t.same(rx.map((l) => l.replace(/^.*interface="([^"]+)"\} (\d+)$/, '$1 $2')), ['eth0 98765432', 'net1 5000'],
      'the pod row only, lo left out, values of the fixture net/dev');
  }
});

t.test('a row label named device or interface: the entry\'s wins, the series stay unique', async (t) => {
  const s = collector(t, { device: 'mine', interface: 'also-mine', pod: 'p' }).collect();
  for (const format of ['prometheus', 'openmetrics']) {
    const text = renderMetrics(s, { format });
    valid(t, text, format, `${format} with clashing labels`);
    const reads = lines(text, 'container_fs_reads_bytes_total');
    t.equal(reads.length, 4);
    t.ok(reads.every((l) => (l.match(/device="/g) ?? []).length === 1 && !l.includes('device="mine"')), 'one device label: the entry\'s');
    t.ok(reads.every((l) => l.includes('interface="also-mine"')), 'the other row label stays on io series');
    const rx = lines(text, 'container_network_receive_bytes_total');
    t.ok(rx.length === 2 && rx.every((l) => (l.match(/interface="/g) ?? []).length === 1 && l.includes('device="mine"')));
    const cpu = lines(text, 'container_cpu_usage_seconds_total');
    t.ok(cpu.every((l) => l.includes('device="mine"') && l.includes('interface="also-mine"')), 'other families keep the row labels');
  }
});

t.test('selection: groups diskIO and network; label lists keep the entry label', async (t) => {
  const s = collector(t, { pod: 'p', image: 'i' }).collect();
  const only = renderMetrics(s, { enable: ['network'] });
  t.same([...new Set(only.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.slice(0, l.indexOf('{'))))],
    VECTOR_FAMILIES.filter((n) => n.startsWith('container_network_')));
  t.equal(lines(renderMetrics(s, { disable: ['diskIO'] }), 'container_fs_reads_total').length, 0);
  const allow = renderMetrics(s, { enable: ['diskIO'], labelAllow: ['pod'] });
  t.ok(lines(allow, 'container_fs_reads_total').every((l) => /^container_fs_reads_total\{id="[^"]+",pod="p",device="[^"]+"\} \d+$/.test(l)),
    'only id, pod and the entry label');
  valid(t, allow, 'prometheus', 'labelAllow');
});

t.test('async render in slices = renderSync, with many entries per row', async (t) => {
  const rows = 3000;
  const s = new Sweep(rows, false);
  s.rows = rows;
  s.version = 2;
  s.paths = Array.from({ length: rows }, (_, r) => `/kubepods/pod${r >> 2}/c${r}`);
  s.labels = Array.from({ length: rows }, (_, r) => ({ name: `c${r}`, namespace: `ns-${r % 7}` }));
  s.present.fill(0);
  s.values.fill(NaN);
  s.io.reset();
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < 3; d++) {
      const e = s.io.entry(s.io.from(r), s.io.keys.ofName(`/dev/vd${'abc'[d]}`));
      for (let c = 0; c < s.io.width; c++) s.io.values[e * s.io.width + c] = r * 10 + d + c / 4;
    }
    s.io.endRow(r);
    s.network.endRow(r);
  }
  t.ok(s.io.key.length >= rows * 3, 'the store grew to hold every entry');
  const r = new ExpositionRenderer({ format: 'openmetrics' });
  const sync = Buffer.concat(r.renderSync(s)).toString();
  let turns = 0;
  const timer = setInterval(() => { turns++; }, 0);
  const chunks = await r.render(s, { sliceMs: 1 });
  clearInterval(timer);
  t.equal(Buffer.concat(chunks).toString(), sync, 'the same bytes');
  t.equal(lines(sync, 'container_fs_writes_total').length, rows * 3);
  t.ok(turns > 0, `other callbacks ran between slices (${turns})`);
  t.notOk(sync.includes('NaN'), 'absent columns have no sample');
  valid(t, sync, 'openmetrics', '3000 rows × 3 devices');
});

function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => {
        const raw = Buffer.concat(parts);
        resolve({ headers: res.headers, body: res.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw).toString() : raw.toString() });
      });
    }).on('error', reject);
  });
}

t.test('the server: both formats, gzip or not', async (t) => {
  const srv = await createMetricsServer({ port: 0, ...OPTIONS, paths: [V2_POD, V2_CTR] });
  t.teardown(() => srv.close());
  for (const format of ['prometheus', 'openmetrics']) {
    const accept = format === 'openmetrics' ? 'application/openmetrics-text; version=1.0.0' : 'text/plain';
    const plain = await get(srv.url, { accept });
    const gz = await get(srv.url, { accept, 'accept-encoding': 'gzip' });
    t.equal(gz.headers['content-encoding'], 'gzip');
    t.equal(gz.body, plain.body, `${format}: gzip unzips to the same body`);
    t.equal(lines(plain.body, 'container_network_transmit_bytes_total').length, 2);
    t.equal(lines(plain.body, 'container_fs_writes_total').length, 4);
    valid(t, plain.body, format, `server ${format}`);
  }
});

t.test('prom-client: both formats', async (t) => {
  const client = require('prom-client');
  const c = collector(t, { device: 'clash' });
  const registry = new client.Registry();
  const { unregister } = promClientCollector(c, { registry });
  t.teardown(unregister);
  const text = await registry.metrics();
  const reads = lines(text, 'container_fs_reads_bytes_total');
  t.equal(reads.length, 4);
  t.ok(reads.every((l) => /device="(\/dev\/sda|253:0)"/.test(l) && !l.includes('clash')), 'the entry\'s device label');
  t.same(lines(text, 'container_network_receive_bytes_total').map((l) => /interface="([^"]+)"/.exec(l)[1]), ['eth0', 'net1']);
  const rendered = renderMetrics(c.collect());
  const value = (txt, re) => Number(new RegExp(`${re}.*\\} (\\d+)$`, 'm').exec(txt)?.[1]);
  t.equal(value(text, 'container_fs_writes_total\\{.*crio.*device="253:0"'), value(rendered, 'container_fs_writes_total\\{id="[^"]*crio[^"]*".*device="253:0"'),
    'the same value as the renderer');
  valid(t, text, 'prometheus', 'prom-client text');
  registry.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE);
  const om = await registry.metrics();
  t.equal(lines(om, 'container_network_transmit_packets_total').length, 2);
  valid(t, om, 'openmetrics', 'prom-client OpenMetrics');
  registry.setContentType(client.Registry.PROMETHEUS_CONTENT_TYPE);
});
