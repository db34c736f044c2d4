'use strict';
// Bodies stream (issue 12 "Render and ship fast"): a scrape of a body still being rendered gets it with chunked
// transfer, chunk by chunk as it is made, and a gzip body streamed so gunzips to exactly the identity body of the
// same sweep (and to renderMetrics of it); a scrape of a complete body gets its content-length; a client that goes
// away mid-stream, or a close mid-render, leaves no chunk out of the pool and nothing in flight.
const t = require('tap');
const http = require('node:http');
const zlib = require('node:zlib');
const { StatsCollector, Sweep, FIELD_COUNT } = require('../../dist/collector');
const { createMetricsServer, renderMetrics } = require('../../dist/exporter');
const { ScrapeCache } = require('../../dist/exporter/scrape-cache');

/** A sweep of `rows` rows with every column present (values derived from the row), kubelet-style labels. */
function bigSweep(rows) {
  const s = new Sweep(rows, false);
  s.rows = rows;
  s.version = 2;
  const paths = [];
  const labels = [];
  for (let r = 0; r < rows; r++) {
    paths.push(`/kubepods.slice/kubepods-pod${r >> 2}.slice/crio-${r.toString(16).padStart(64, '0')}.scope`);
    labels.push({ name: `crio-${r}`, namespace: `ns-${r % 17}`, pod: `pod-${r >> 2}`, container: `ctr-${r & 3}`, image: `registry.example/app-${r % 5}:v1` });
    for (let f = 0; f < FIELD_COUNT; f++) {
      s.values[r * FIELD_COUNT + f] = r * 1000 + f * 7 + (r % 3 === 0 ? 0.5 : 0);
      s.present[r * FIELD_COUNT + f] = 1;
    }
  }
  s.paths = paths;
  s.labels = labels;
  return s;
}

/** A real collector (nothing registered) whose async sweeps return `sweep`, so a body is large. */
function bigCollector(t, sweep) {
  const c = new StatsCollector();
  t.teardown(() => c.close());
  c.collectAsync = async () => sweep;
  return c;
}

/** A GET: { status, headers, body, parts (data events) }. */
function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts), parts: parts.length }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** A GET that the client destroys after its first chunk of body; resolves with the bytes it had. */
function getAndAbort(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      res.once('data', (d) => {
        req.destroy();
        resolve({ status: res.statusCode, headers: res.headers, bytes: d.length });
      });
    });
    req.on('error', () => undefined); // the destroy above
    req.on('close', () => resolve(undefined));
    setTimeout(() => reject(new Error('no first chunk in 20 s')), 20000).unref();
  });
}

async function waitFor(cond, what, ms = 20000) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const LABELS = { instance: 'n1' };

t.test('a gzip body streamed in chunks gunzips to exactly the identity body of the same sweep', async (t) => {
  const s = bigSweep(2000);
  const srv = await createMetricsServer({ port: 0, collector: bigCollector(t, s), maxAgeMs: 600000, labels: LABELS });
  t.teardown(() => srv.close());
  const text = renderMetrics(s, { labels: LABELS });
  t.ok(text.length > 8 * 1024 * 1024, `a large body (${(text.length / 1e6).toFixed(1)} MB)`);

  const gz = await get(srv.url, { 'accept-encoding': 'gzip' });
  t.equal(gz.status, 200);
  t.equal(gz.headers['content-encoding'], 'gzip');
  t.equal(gz.headers['transfer-encoding'], 'chunked', 'the first gzip scrape is sent while it is compressed');
  t.equal(gz.headers['content-length'], undefined);
  t.ok(gz.parts > 1, `in ${gz.parts} parts`);
  const plain = await get(srv.url);
  t.equal(plain.headers['transfer-encoding'], 'chunked', 'the first identity scrape is sent while it is rendered');
  t.ok(plain.parts > 1, `in ${plain.parts} parts`);
  t.ok(zlib.gunzipSync(gz.body).equals(plain.body), 'gunzip(gzip body) = identity body, byte for byte');
  t.equal(plain.body.toString('utf8'), text, 'and both are renderMetrics of the sweep');

  const again = await get(srv.url, { 'accept-encoding': 'gzip' });
  t.equal(Number(again.headers['content-length']), again.body.length, 'a complete body is sent with its content-length');
  t.ok(again.body.equals(gz.body), 'the same gzip bytes');
  const plainAgain = await get(srv.url);
  t.equal(Number(plainAgain.headers['content-length']), plain.body.length);
  t.equal(srv.counts.sweeps, 1);
  t.equal(srv.counts.renders, 2, 'one render per encoding');
  await waitFor(() => srv.counts.inFlight === 0, 'nothing in flight');
});

t.test('scrapes arriving while a body streams join it: the same bytes, one render', async (t) => {
  const s = bigSweep(2000);
  const srv = await createMetricsServer({ port: 0, collector: bigCollector(t, s), maxAgeMs: 600000, maxRequests: 100, labels: LABELS });
  t.teardown(() => srv.close());
  const all = await Promise.all(Array.from({ length: 20 }, () => get(srv.url, { 'accept-encoding': 'gzip' })));
  t.ok(all.every((r) => r.status === 200 && r.body.equals(all[0].body)), 'every response has the same bytes');
  t.equal(srv.counts.renders, 1, 'one render');
  t.equal(srv.counts.compressions, 1, 'one compression');
  t.equal(zlib.gunzipSync(all[0].body).toString('utf8'), renderMetrics(s, { labels: LABELS }));
});

for (const encoding of ['gzip', 'identity']) {
  t.test(`${encoding}: a client that goes away mid-stream leaves nothing in flight and no chunk out of the pool`, async (t) => {
    const s = bigSweep(3000);
    const srv = await createMetricsServer({ port: 0, collector: bigCollector(t, s), maxAgeMs: 600000, labels: LABELS });
    let closed = false;
    t.teardown(() => (closed ? undefined : srv.close()));
    const headers = encoding === 'gzip' ? { 'accept-encoding': 'gzip' } : {};
    const cut = await getAndAbort(srv.url, headers);
    t.ok(cut && cut.status === 200 && cut.bytes > 0, 'the client had the first bytes');
    await waitFor(() => srv.counts.inFlight === 0, 'the aborted scrape to end on the server');
    // The render goes on for the next scrapes of the sweep: a later one gets the whole body.
    const whole = await get(srv.url, headers);
    const text = encoding === 'gzip' ? zlib.gunzipSync(whole.body).toString('utf8') : whole.body.toString('utf8');
    t.equal(text, renderMetrics(s, { labels: LABELS }), 'a scrape after the abort gets the whole body');
    t.equal(srv.counts.renders, 1, 'of the same render');
    await waitFor(() => srv.counts.inFlight === 0, 'nothing in flight');
    if (encoding === 'gzip') t.equal(srv.counts.chunksOut, 0, 'the plain chunks of the gzip render are all back');
    else t.ok(srv.counts.chunksOut > 0, 'the current identity body holds its chunks');
    closed = true;
    await srv.close();
    t.equal(srv.counts.chunksOut, 0, 'closed: every chunk is back in the pool');
  });

  for (const gzipParallel of encoding === 'gzip' ? [1, 3] : [1])
  t.test(`${encoding}${gzipParallel > 1 ? ` in ${gzipParallel} parallel parts` : ''}: close() mid-render stops it; every chunk goes back`, async (t) => {
    const s = bigSweep(3000);
    const c = bigCollector(t, s);
    const cache = new ScrapeCache(c, { maxAgeMs: 600000, gzipParallel });
    const body = await cache.acquire('prometheus', encoding);
    t.notOk(body.complete, 'the body is handed out while it renders');
    const stop = body.follow(() => undefined, () => undefined);
    cache.close(); // its first slice is rendered (and, for gzip, in zlib's hands)
    const err = await body.done;
    t.match(err, { message: /closed/ }, 'the body ends with the close');
    stop();
    cache.release(body);
    await waitFor(() => cache.pool.out === 0, 'every chunk back in the pool', 5000);
    t.equal(cache.pool.out, 0);
    await t.rejects(cache.acquire('prometheus', encoding), /closed/, 'later scrapes fail');
  });
}

t.test('gzip in parallel parts (parallel-gzip.ts): one valid gzip stream, the same text; one zlib stream as before', async (t) => {
  const { execFileSync } = require('node:child_process');
  const s = bigSweep(2500);
  const text = renderMetrics(s, { labels: LABELS });
  const bodies = {};
  for (const gzipParallel of [1, 2, 4]) {
    const srv = await createMetricsServer({ port: 0, collector: bigCollector(t, s), maxAgeMs: 600000, labels: LABELS, gzipParallel });
    t.teardown(() => srv.close());
    const gz = await get(srv.url, { 'accept-encoding': 'gzip' });
    t.equal(gz.headers['content-encoding'], 'gzip');
    t.ok(gz.parts > 1, `gzipParallel ${gzipParallel}: streamed in ${gz.parts} parts`);
    t.equal(zlib.gunzipSync(gz.body).toString('utf8'), text, `gzipParallel ${gzipParallel}: gunzips to the exposition (CRC and length checked)`);
    t.equal(srv.counts.chunksOut, 0, 'every plain chunk is back in the pool');
    bodies[gzipParallel] = gz.body;
  }
  t.equal(bodies[2][0] === 0x1f && bodies[2][1] === 0x8b && bodies[2][2] === 8, true, 'a gzip header');
  // One member: an independent reader (gzip(1)) agrees, and the stream has exactly one header.
  let cli;
  try {
    cli = execFileSync('gzip', ['-dc'], { input: bodies[4], maxBuffer: 256 * 1024 * 1024 });
  } catch (e) {
    cli = e;
  }
  if (cli instanceof Error) t.fail(`gzip -dc: ${cli.message}`);
  else t.ok(cli.equals(Buffer.from(text)), 'gzip -dc reads it to the same text');
  // One member: header, one deflate stream (its parts end with sync flushes, then one final block), one trailer.
  const b4 = bodies[4];
  t.ok(zlib.inflateRawSync(b4.subarray(10, b4.length - 8)).equals(Buffer.from(text)), 'one deflate stream between one header and one trailer');
  t.equal(b4.readUInt32LE(b4.length - 8), zlib.crc32(text), 'the trailer\'s CRC-32 is the whole text\'s');
  t.equal(b4.readUInt32LE(b4.length - 4), Buffer.byteLength(text) % 2 ** 32, 'and its length');
  t.ok(b4.length < 1.05 * bodies[1].length, `the parts cost little ratio (${b4.length} vs ${bodies[1].length} bytes)`);
  await t.rejects(createMetricsServer({ port: 0, collector: bigCollector(t, s), gzipParallel: 0 }), { code: 'ERR_INVALID_ARG_VALUE' });
  await t.rejects(createMetricsServer({ port: 0, collector: bigCollector(t, s), gzipParallel: 1.5 }), { code: 'ERR_INVALID_ARG_VALUE' });
});
