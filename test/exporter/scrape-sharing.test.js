'use strict';
// Concurrent scrapes share work (issue 15 item 1, issue 12): 1000 scrapes at once through real HTTP cost one sweep
// and one render per format/encoding (counted by the server); maxAgeMs reuses a finished sweep so a scrape storm
// cannot sweep in a loop; gzip is honoured (q=0 refused) and unzips to exactly the identity body of the same sweep.
const t = require('tap');
const http = require('node:http');
const path = require('node:path');
const zlib = require('node:zlib');
const { StatsCollector } = require('../../dist/collector');
const { createMetricsServer, acceptsGzip, renderMetrics } = require('../../dist/exporter');

const V2 = path.join(__dirname, '..', 'fixtures', 'trees', 'v2-full');
const V2_POD = '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice';
const V2_CTR = `${V2_POD}/crio-5f1a3c9e2b7d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f.scope`;

/** The exposition without its container_last_seen samples (the sample time of the sweep that made it). */
const withoutLastSeen = (text) => text.replace(/^container_last_seen\{.*\n/gm, '');

function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
  });
}

async function waitFor(cond, what, ms = 20000) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A collector over the recorded tree whose sweeps wait for open() (so many scrapes can be in flight at once). */
function gatedCollector(t) {
  const c = new StatsCollector({ root: V2 });
  t.teardown(() => c.close());
  c.add(V2_POD, { name: 'pod' }).add(V2_CTR, { name: 'ctr', namespace: 'default', pod: 'web-0', container: 'app', image: 'quay.io/x/app:1' });
  let open;
  const gate = new Promise((r) => { open = r; });
  const orig = c.collectAsync.bind(c);
  c.collectAsync = async (...a) => { await gate; return orig(...a); };
  return { c, open };
}

t.test('acceptsGzip', async (t) => {
  t.ok(acceptsGzip('gzip'));
  t.ok(acceptsGzip('gzip, deflate, br'));
  t.ok(acceptsGzip('br;q=1.0, gzip;q=0.8, *;q=0.1'));
  t.ok(acceptsGzip('*'));
  t.notOk(acceptsGzip(undefined));
  t.notOk(acceptsGzip('identity'));
  t.notOk(acceptsGzip('gzip;q=0'));
  t.notOk(acceptsGzip('*;q=0'));
  t.notOk(acceptsGzip('br, *;q=0'));
});

t.test('1000 concurrent scrapes (maxAgeMs 0): one sweep, one render per format and encoding', async (t) => {
  const { c, open } = gatedCollector(t);
  const srv = await createMetricsServer({ port: 0, collector: c, maxRequests: 2000, maxConnections: 2000, labels: { instance: 'n1' }, maxAgeMs: 0 });
  t.teardown(() => srv.close());
  const N = 1000;
  const asks = Array.from({ length: N }, (_, i) => (i % 2 === 0 ? {} : { 'accept-encoding': 'gzip' }));
  const pending = asks.map((h) => get(srv.url, h));
  await waitFor(() => srv.counts.inFlight === N, `${N} scrapes in flight`);
  t.equal(srv.counts.sweeps, 1, 'one sweep started for all of them');
  open();
  const res = await Promise.all(pending);
  t.ok(res.every((r) => r.status === 200), 'every scrape answered 200');
  t.equal(srv.counts.sweeps, 1, 'one sweep');
  t.equal(srv.counts.renders, 2, 'one render for the plain scrapes, one for the gzip ones (not 1000)');
  t.equal(srv.counts.compressions, 1, 'one compression');
  const plain = res.filter((r, i) => i % 2 === 0);
  const gz = res.filter((r, i) => i % 2 === 1);
  t.ok(plain.every((r) => r.headers['content-encoding'] === undefined && r.body.equals(plain[0].body)), 'every plain body is the same');
  t.ok(gz.every((r) => r.headers['content-encoding'] === 'gzip' && r.body.equals(gz[0].body)), 'every gzip body is the same');
  t.ok(gz.every((r) => (r.headers['content-length'] === undefined ? r.headers['transfer-encoding'] === 'chunked' : Number(r.headers['content-length']) === r.body.length)),
    'each gzip response is chunked (sent while compressed) or has the body\'s content-length');
  t.ok(zlib.gunzipSync(gz[0].body).equals(plain[0].body), 'gzip unzips to the plain body');
  t.ok(gz[0].body.length < plain[0].body.length, 'and is smaller');
  c.collectAsync = Object.getPrototypeOf(c).collectAsync.bind(c);
  t.equal(withoutLastSeen(plain[0].body.toString('utf8')), withoutLastSeen(renderMetrics(c, { labels: { instance: 'n1' } })),
    'the body is the exposition of a sweep (but for container_last_seen, each sweep\'s own time)');
  await waitFor(() => srv.counts.inFlight === 0, 'nothing in flight');
});

t.test('maxAgeMs: a storm of sequential scrapes reuses the sweep and the body', async (t) => {
  const c = new StatsCollector({ root: V2 });
  t.teardown(() => c.close());
  c.add(V2_POD);
  const srv = await createMetricsServer({ port: 0, collector: c, maxAgeMs: 60000 });
  t.teardown(() => srv.close());
  let last;
  for (let i = 0; i < 50; i++) {
    const r = await get(srv.url, { 'accept-encoding': 'gzip' });
    t.equal(r.status, 200);
    if (last) t.ok(r.body.equals(last), `scrape ${i}: the same body`);
    last = r.body;
  }
  t.equal(srv.counts.sweeps, 1, '50 scrapes within maxAgeMs: one sweep');
  t.equal(srv.counts.renders, 1, 'and one render');
  const om = await get(srv.url, { accept: 'application/openmetrics-text; version=1.0.0' });
  t.match(om.body.toString(), /# EOF\n$/);
  t.equal(srv.counts.sweeps, 1, 'another format of the same sweep: no sweep');
  t.equal(srv.counts.renders, 2, 'but its own render');

  const fresh = await createMetricsServer({ port: 0, collector: c, maxAgeMs: 0 });
  t.teardown(() => fresh.close());
  for (let i = 0; i < 3; i++) {
    const before = Date.now();
    t.equal((await get(fresh.url)).status, 200);
    await waitFor(() => Date.now() > before + 1, 'the clock to move');
  }
  t.equal(fresh.counts.sweeps, 3, 'maxAgeMs 0: every scrape sweeps');
});

t.test('a failing sweep is a 500 for that scrape only; the next one recovers', async (t) => {
  const c = new StatsCollector({ root: V2 });
  t.teardown(() => c.close());
  c.add(V2_POD);
  const srv = await createMetricsServer({ port: 0, collector: c, maxAgeMs: 0 });
  t.teardown(() => srv.close());
  const orig = c.collectAsync.bind(c);
  let fail = true;
  c.collectAsync = (...a) => (fail ? Promise.reject(new Error('sweep failed here')) : orig(...a));
  const bad = await get(srv.url);
  t.equal(bad.status, 500);
  t.match(bad.body.toString(), /sweep failed here/);
  fail = false;
  t.equal((await get(srv.url)).status, 200);
});

t.test('HEAD with gzip: the headers of the gzip body, no body', async (t) => {
  const c = new StatsCollector({ root: V2 });
  t.teardown(() => c.close());
  c.add(V2_POD);
  const srv = await createMetricsServer({ port: 0, collector: c, maxAgeMs: 60000 });
  t.teardown(() => srv.close());
  const g = await get(srv.url, { 'accept-encoding': 'gzip' });
  const h = await new Promise((resolve, reject) => {
    const req = http.request(srv.url, { method: 'HEAD', headers: { 'accept-encoding': 'gzip' }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res));
    });
    req.on('error', reject);
    req.end();
  });
  t.equal(h.headers['content-encoding'], 'gzip');
  t.equal(Number(h.headers['content-length']), g.body.length);
  t.equal(h.headers.vary, 'Accept, Accept-Encoding');
});
