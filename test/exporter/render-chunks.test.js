'use strict';
// ExpositionRenderer: the chunked async render is byte for byte renderMetrics(); it yields to the event loop between
// slices (a large sweep is rendered in several); chunks come from the pool and go back to it; each row's label text
// is cached between sweeps and rebuilt only for a row whose labels (or cgroup) changed.
const t = require('tap');
const path = require('node:path');
const { StatsCollector, Sweep, FIELD_COUNT } = require('../../dist/collector');
const { ExpositionRenderer, ChunkPool, renderMetrics } = require('../../dist/exporter');

const V2 = path.join(__dirname, '..', 'fixtures', 'trees', 'v2-full');
const V1 = path.join(__dirname, '..', 'fixtures', 'trees', 'v1-real');
const V2_POD = '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice';
const V2_CTR = `${V2_POD}/crio-5f1a3c9e2b7d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f.scope`;

function collector(t, root = V2) {
  const c = new StatsCollector({ root });
  t.teardown(() => c.close());
  return c;
}

/** A sweep of `rows` rows with every column present (values derived from the row), kubelet-style labels. */
function bigSweep(rows) {
  const s = new Sweep(rows, false);
  s.rows = rows;
  s.version = 2;
  const paths = [];
  const labels = [];
  for (let r = 0; r < rows; r++) {
    paths.push(`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${r >> 2}.slice/crio-${r.toString(16).padStart(64, '0')}.scope`);
    labels.push({ name: `crio-${r}`, namespace: `ns-${r % 17}`, pod: `pod-${r >> 2}`, container: `ctr-${r & 3}`, image: `registry.example/app-${r % 5}:v1` });
    for (let f = 0; f < FIELD_COUNT; f++) {
      s.values[r * FIELD_COUNT + f] = r * 1000 + f * 7 + 0.5;
      s.present[r * FIELD_COUNT + f] = 1;
    }
  }
  s.paths = paths;
  s.labels = labels;
  return s;
}

for (const [which, root, rows] of [['v2', V2, [[V2_POD, { name: 'pod' }], [V2_CTR, { name: 'ctr', pod: 'web-0', 'odd label': 'a"b\\c\nd' }]]], ['v1', V1, [['/cgmgr-rec'], ['/cgmgr-rec/ctr', { image: 'ü-image' }]]]]) {
  for (const format of ['prometheus', 'openmetrics']) {
    t.test(`${which} ${format}: async chunks = renderSync chunks = renderMetrics`, async (t) => {
      const c = collector(t, root);
      for (const [p, l] of rows) c.add(p, l);
      const s = c.collect();
      const r = new ExpositionRenderer({ format, labels: { instance: 'n1' } });
      const async = Buffer.concat(await r.render(s, { sliceMs: 0 })).toString('utf8');
      const sync = Buffer.concat(r.renderSync(s)).toString('utf8');
      const text = renderMetrics(s, { format, labels: { instance: 'n1' } });
      t.equal(async, text);
      t.equal(sync, text);
      t.ok(text.length > 1000);
    });
  }
}

t.test('a large sweep is rendered in slices, chunk by chunk, identical to the string form', async (t) => {
  const s = bigSweep(2000);
  const pool = new ChunkPool();
  const r = new ExpositionRenderer({ format: 'openmetrics' }, pool);
  let ticks = 0;
  let rendering = true;
  const tick = () => { if (rendering) { ticks++; setImmediate(tick); } };
  setImmediate(tick);
  const emitted = [];
  await r.render(s, { sliceMs: 1, emit: (c) => emitted.push(c) });
  rendering = false;
  t.ok(ticks > 2, `other callbacks ran between slices (${ticks} turns of the loop)`);
  t.ok(emitted.length > 10, `${emitted.length} chunks`);
  t.ok(emitted.every((c) => c.length <= pool.chunkSize), 'no chunk is larger than the pool\'s');
  const text = Buffer.concat(emitted).toString('utf8');
  t.equal(text, renderMetrics(s, { format: 'openmetrics' }), 'same bytes as renderMetrics');
  t.match(text, /^container_cpu_usage_seconds_total\{id="[^"]+",name="crio-0",container="ctr-0",image="registry.example\/app-0:v1",namespace="ns-0",pod="pod-0",cpu="total"\} 5e-10$/m);
  const before = pool.size;
  for (const c of emitted) pool.give(c);
  t.ok(pool.size > before, 'chunks go back to the pool');
  const again = await r.render(s, { sliceMs: 1 });
  t.ok(pool.size < before + emitted.length, 'and the next render takes them');
  t.equal(Buffer.concat(again).toString('utf8'), text);
});

t.test('back-pressure: the render waits while paused', async (t) => {
  const s = bigSweep(300);
  const r = new ExpositionRenderer();
  let held = 0;
  let resumes = 0;
  const chunks = [];
  await r.render(s, {
    emit: (c) => { chunks.push(c); held++; },
    paused: () => held >= 2,
    resume: async () => { resumes++; await new Promise((res) => setImmediate(res)); held = 0; },
  });
  t.ok(resumes > 0, `waited ${resumes} times`);
  t.equal(Buffer.concat(chunks).toString('utf8'), renderMetrics(s));
});

t.test('label text is cached per row and rebuilt when a row\'s labels or cgroup change', async (t) => {
  const c = collector(t);
  c.add(V2_POD, { name: 'pod' }).add(V2_CTR, { name: 'ctr' });
  const r = new ExpositionRenderer();
  await r.render(await c.collectAsync());
  t.same(r.counts, { renders: 1, prefixBuilds: 2, sectionsReused: 0 });
  await r.render(await c.collectAsync());
  t.same(r.counts, { renders: 2, prefixBuilds: 2, sectionsReused: 0 }, 'a second sweep of the same rows: no label text built');
  c.add(V2_CTR, { name: 'ctr', pod: 'web-1' });
  const text = Buffer.concat(await r.render(await c.collectAsync())).toString('utf8');
  t.equal(r.counts.prefixBuilds, 3, 'new labels on one row: that row rebuilt');
  t.match(text, /name="ctr",pod="web-1"/);
  c.remove(V2_CTR);
  await r.render(await c.collectAsync());
  c.add(V2_CTR, { name: 'ctr', pod: 'web-1' });
  const back = Buffer.concat(await r.render(await c.collectAsync())).toString('utf8');
  t.equal(r.counts.prefixBuilds, 4, 'removed and added again: rebuilt');
  t.equal(back, renderMetrics(c.collect()));
});

t.test('bad sources', async (t) => {
  const r = new ExpositionRenderer();
  await t.rejects(r.render({}), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => r.renderSync(null), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => new ExpositionRenderer({ labels: { '': 'x' } }), { code: 'ERR_INVALID_ARG_VALUE' }, 'an empty constant label name fails at construction');
  t.throws(() => new ExpositionRenderer({ format: 'xml' }), { code: 'ERR_INVALID_ARG_VALUE' });
});

t.test('a gzip body is streamed: the plain text never exists whole; chunks return to the pool', async (t) => {
  const { ScrapeCache } = require('../../dist/exporter/scrape-cache');
  const zlib = require('node:zlib');
  const s = bigSweep(3000);
  // The cache only asks its collector for collectAsync(): here the sweep above, so the body is large.
  const source = { collectAsync: async () => s };
  const cache = new ScrapeCache(source, { maxAgeMs: 60000 });
  t.teardown(() => cache.close());
  const plainBytes = Buffer.byteLength(renderMetrics(s));
  const plainChunks = Math.ceil(plainBytes / cache.pool.chunkSize);
  const gz = await cache.acquire('prometheus', 'gzip');
  t.equal(await gz.done, undefined, 'the body is complete without error');
  t.equal(cache.pool.out, 0, 'every chunk of the gzip render is back in the pool');
  t.ok(cache.pool.peak <= 8, `at most ${cache.pool.peak} chunks of plain text at once (the whole text: ${plainChunks})`);
  t.ok(plainChunks > 2 * cache.pool.peak, 'far less than the whole body');
  t.equal(zlib.gunzipSync(Buffer.concat(gz.chunks)).toString('utf8'), renderMetrics(s), 'and it unzips to the exposition');
  const plain = await cache.acquire('prometheus', 'identity');
  await plain.done;
  t.equal(plain.length, plainBytes);
  t.equal(cache.pool.out, plain.chunks.length, 'a plain body holds its chunks while current');
  cache.release(gz);
  cache.release(plain);
  cache.close();
  t.equal(cache.pool.out, 0, 'closed: the plain body\'s chunks are back');
});

t.test('non-ASCII label values are written as UTF-8 among ASCII ones', async (t) => {
  const s = bigSweep(50);
  s.labels = s.labels.map((l, i) => (i === 7 ? { ...l, image: 'ü-€-𝄞-image' } : l));
  for (const format of ['prometheus', 'openmetrics']) {
    const bytes = Buffer.concat(await new ExpositionRenderer({ format }).render(s));
    const text = bytes.toString('utf8');
    t.notOk(text.includes('\ufffd'), 'no replacement characters: valid UTF-8');
    const odd = text.split('\n').filter((l) => l.includes('image="ü-€-𝄞-image"')).length;
    const plain = text.split('\n').filter((l) => l.includes('name="crio-8",')).length;
    t.ok(odd > 30, `${odd} series of the row carry the label intact`);
    t.equal(odd, plain, 'as many as another row has');
    t.ok(bytes.includes(Buffer.from('ü-€-𝄞', 'utf8')), 'the UTF-8 bytes are in the body');
  }
});
