'use strict';
// gzip bodies reuse the deflate bytes of families whose text did not change since the previous body (issue 12
// "Render and ship fast": the CPU of a scrape): the body is still one valid gzip member that unzips to exactly the
// exposition of its sweep; a family is rendered and deflated again when any of its values, a row's presence, a row's
// labels, or the set of rows changes; each format keeps its own; gzipReuse false turns it off. crc32Combine against
// zlib.crc32 of the whole. On real cgroups: a limit written between two scrapes is in the second body.
const t = require('tap');
const fs = require('node:fs');
const zlib = require('node:zlib');
const { spawnSync } = require('node:child_process');
const { StatsCollector, Sweep, FIELD, FIELD_COUNT } = require('../../dist/collector');
const { createMetricsServer, renderMetrics, FAMILIES } = require('../../dist/exporter');
const { ScrapeCache } = require('../../dist/exporter/scrape-cache');
const { crc32Combine } = require('../../dist/exporter/crc32-combine');
const { realKernelSkipReason, makeSubtree } = require('../helpers/cgroups');
const { promtoolSkip, promtoolCheck, openMetricsSkip, openMetricsCheck } = require('../helpers/exposition');
const { waitFor } = require('../helpers/wait');
const { getGzip } = require('../helpers/http');

t.test('crc32Combine = zlib.crc32 of the concatenation', async (t) => {
  const data = Buffer.alloc(300_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  for (const cut of [0, 1, 7, 4096, 65_537, 299_999, 300_000]) {
    const a = data.subarray(0, cut);
    const b = data.subarray(cut);
    t.equal(crc32Combine(zlib.crc32(a), zlib.crc32(b), b.length), zlib.crc32(data), `split at ${cut}`);
  }
  let crc = 0;
  for (let i = 0; i < data.length; i += 10_000) {
    const part = data.subarray(i, i + 10_000);
    crc = crc32Combine(crc, zlib.crc32(part), part.length);
  }
  t.equal(crc, zlib.crc32(data), 'folded over 30 parts');
  t.not(crc32Combine(zlib.crc32(data.subarray(0, 5)), zlib.crc32(data.subarray(5)), data.length - 6), zlib.crc32(data), 'a wrong length gives another CRC');
});

/** A sweep of `rows` rows with every column present, kubelet-style labels. */
function bigSweep(rows) {
  const s = new Sweep(rows, false);
  s.rows = rows;
  s.version = 1;
  s.paths = [];
  s.labels = [];
  for (let r = 0; r < rows; r++) {
    s.paths.push(`/kubepods/pod${r >> 2}/ctr-${r}`);
    s.labels.push({ name: `ctr-${r}`, namespace: `ns-${r % 7}`, pod: `pod-${r >> 2}` });
    for (let f = 0; f < FIELD_COUNT; f++) {
      s.values[r * FIELD_COUNT + f] = r * 1000 + f * 7 + (r % 3 === 0 ? 0.5 : 0);
      s.present[r * FIELD_COUNT + f] = 1;
    }
  }
  return s;
}

/** A real collector (nothing registered) whose async sweeps return `sweep`. */
function fixedCollector(t, sweep) {
  const c = new StatsCollector();
  t.teardown(() => c.close());
  c.collectAsync = async () => sweep;
  return c;
}

/** One gzip body of a fresh sweep: its bytes unzipped (checked to be one gzip member) and the counts it added. */
async function gzipBody(cache, format = 'prometheus') {
  const before = { ...cache.counts };
  const b = await cache.acquire(format, 'gzip');
  const err = await b.done;
  if (err) throw err;
  const gz = Buffer.concat(b.chunks);
  cache.release(b);
  const text = zlib.gunzipSync(gz).toString('utf8');
  // One member: the trailer's length is the whole text's, and nothing follows it.
  const isize = gz.readUInt32LE(gz.length - 4);
  return {
    gz,
    text,
    isize,
    bytes: gz.length,
    reused: cache.counts.sectionsReused - before.sectionsReused,
    deflated: cache.counts.sectionsDeflated - before.sectionsDeflated,
  };
}

const familyOf = (field) => FAMILIES.filter((f) => f.samples.some((s) => s.field === field && s.vector === undefined)).map((f) => f.name);

t.test('unchanged families are reused; a change of value, presence, labels or rows renders them again', async (t) => {
  const s = bigSweep(400);
  const c = fixedCollector(t, s);
  const cache = new ScrapeCache(c, { maxAgeMs: 0, labels: { instance: 'n1' } });
  t.teardown(() => cache.close());
  const expect = () => renderMetrics(s, { labels: { instance: 'n1' } });

  const first = await gzipBody(cache);
  t.equal(first.text, expect(), 'the first body unzips to the exposition');
  t.equal(first.isize, Buffer.byteLength(first.text), 'one gzip member: ISIZE is the whole text');
  t.equal(first.reused, 0, 'nothing to reuse the first time');
  t.ok(first.deflated >= 40, `every family deflated (${first.deflated})`);

  const second = await gzipBody(cache);
  t.equal(second.text, expect(), 'the second body unzips to the same exposition');
  t.ok(second.reused >= 40, `unchanged families reused (${second.reused}, deflated ${second.deflated}: the per-device families)`);
  t.ok(second.deflated < first.deflated, 'fewer families deflated');
  const gunzip = spawnSync('gzip', ['-dc'], { input: second.gz, maxBuffer: 1 << 28 });
  if (gunzip.error) t.skip(`gzip: ${gunzip.error.message}`);
  else t.ok(gunzip.status === 0 && gunzip.stdout.toString('utf8') === second.text, `gzip -dc agrees (${gunzip.stderr})`);

  // One value of one row changes: only the families reading that column are rendered again.
  s.values[17 * FIELD_COUNT + FIELD.cpu_usage_ns] += 2e9;
  const third = await gzipBody(cache);
  t.equal(third.text, expect(), 'a changed value is in the body');
  t.match(third.text, new RegExp(`container_cpu_usage_seconds_total\\{id="/kubepods/pod4/ctr-17".*\\} ${(17 * 1000 + FIELD.cpu_usage_ns * 7 + 2e9) / 1e9}\\n`));
  t.equal(third.deflated - second.deflated, familyOf(FIELD.cpu_usage_ns).length, `the families of that column deflated again (${familyOf(FIELD.cpu_usage_ns)})`);

  // A value goes absent.
  s.present[3 * FIELD_COUNT + FIELD.memory_usage_bytes] = 0;
  const fourth = await gzipBody(cache);
  t.equal(fourth.text, expect(), 'an absent value is gone from the body');
  t.notMatch(fourth.text, /container_memory_usage_bytes\{id="\/kubepods\/pod0\/ctr-3"/);
  t.ok(fourth.deflated - second.deflated >= 1 && fourth.reused >= 40, 'its family rendered again, the rest reused');

  // New labels on one row: every family renders again (each has a series of that row).
  s.labels[5] = { ...s.labels[5], pod: 'renamed' };
  const fifth = await gzipBody(cache);
  t.equal(fifth.text, expect(), 'the new label is in every family');
  t.equal(fifth.reused, 0, 'a row with new labels: nothing reused');
  t.match(fifth.text, /pod="renamed"/);

  // A row less.
  await gzipBody(cache);
  s.rows = 399;
  const sixth = await gzipBody(cache);
  t.equal(sixth.text, expect(), 'a row less');
  t.equal(sixth.reused, 0, 'another set of rows: nothing reused');
  const seventh = await gzipBody(cache);
  t.equal(seventh.text, expect());
  t.ok(seventh.reused >= 40, 'and reused again once unchanged');
});

t.test('each format keeps its own; parts in parallel too; gzipReuse false never reuses', async (t) => {
  const s = bigSweep(200);
  const c = fixedCollector(t, s);
  const cache = new ScrapeCache(c, { maxAgeMs: 0 });
  t.teardown(() => cache.close());
  await gzipBody(cache, 'prometheus');
  const om = await gzipBody(cache, 'openmetrics');
  t.equal(om.reused, 0, 'the OpenMetrics body does not take the Prometheus bytes');
  t.equal(om.text, renderMetrics(s, { format: 'openmetrics' }));
  const om2 = await gzipBody(cache, 'openmetrics');
  t.ok(om2.reused >= 40, 'its own bytes are reused');
  t.equal(om2.text, renderMetrics(s, { format: 'openmetrics' }));
  t.ok(om2.text.endsWith('# EOF\n'));

  // Parts in parallel (parallel-gzip.ts) keep sections too.
  const par = new ScrapeCache(c, { maxAgeMs: 0, gzipParallel: 2 });
  t.teardown(() => par.close());
  await gzipBody(par);
  const p2 = await gzipBody(par);
  t.ok(p2.reused >= 40, `gzipParallel 2: reused (${p2.reused})`);
  t.equal(p2.text, renderMetrics(s));
  s.values[9 * FIELD_COUNT + FIELD.memory_rss_bytes] += 4096;
  const p3 = await gzipBody(par);
  t.equal(p3.text, renderMetrics(s), 'gzipParallel 2: a changed value');
  t.equal(p3.isize, Buffer.byteLength(p3.text));

  const off = new ScrapeCache(c, { maxAgeMs: 0, gzipReuse: false });
  t.teardown(() => off.close());
  await gzipBody(off);
  const again = await gzipBody(off);
  t.equal(again.reused + again.deflated, 0, 'no sections: one zlib stream');
  t.equal(again.text, renderMetrics(s));

  await t.rejects(createMetricsServer({ port: 0, collector: c, gzipReuse: 'yes' }), { code: 'ERR_INVALID_ARG_VALUE' });
});

t.test('real cgroups through the server: a limit written between scrapes is in the next gzip body', { skip: realKernelSkipReason() }, async (t) => {
  const tree = makeSubtree(t, ['memory', 'cpu,cpuacct', 'pids'].filter((h) => fs.existsSync(`/sys/fs/cgroup/${h}/cgroup.procs`)));
  tree.mkdir();
  for (let i = 0; i < 20; i++) tree.mkdir(`c${i}`);
  const collector = new StatsCollector({ controllers: ['memory', 'cpu', 'cpuacct', 'pids'], specIntervalMs: 0 });
  t.teardown(() => collector.close());
  for (let i = 0; i < 20; i++) collector.add(`${tree.name}/c${i}`, { name: `c${i}` });
  const srv = await createMetricsServer({ port: 0, collector, maxAgeMs: 0 });
  t.teardown(() => srv.close());

  const a = await getGzip(srv.url);
  t.equal(a.status, 200);
  t.equal(a.encoding, 'gzip');
  const b = await getGzip(srv.url);
  t.ok(srv.counts.sectionsReused > 0, `the second body reused families (${srv.counts.sectionsReused} reused, ${srv.counts.sectionsDeflated} deflated)`);
  t.match(b.text, /container_spec_memory_limit_bytes\{id="\/cgmgr-test-[^"]*\/c7",name="c7"\} \d+\n/);
  const limit = 64 * 1024 * 1024;
  fs.writeFileSync(tree.dir('memory', 'c7/memory.limit_in_bytes'), String(limit));
  let text = '';
  await waitFor(async () => {
    text = (await getGzip(srv.url)).text;
    return text.includes(`/c7",name="c7"} ${limit}\n`);
  }, 'the new limit in a gzip body');
  const line = text.split('\n').filter((l) => l.startsWith('container_spec_memory_limit_bytes{') && l.includes('/c7"'));
  t.same(line.map((l) => l.split(' ').pop()), [String(limit)], 'the new limit, once');
  t.ok(text.split('\n').filter((l) => l.startsWith('container_spec_memory_limit_bytes{')).length === 20, 'every row still has its limit');

  const ps = promtoolSkip;
  if (ps) t.skip(`promtool: ${ps}`);
  else {
    const r = promtoolCheck(text);
    t.ok(r.ok, `promtool check metrics: a body with reused families ${r.output}`);
  }
  const om = await getGzip(srv.url, { accept: 'application/openmetrics-text; version=1.0.0' });
  const om2 = await getGzip(srv.url, { accept: 'application/openmetrics-text; version=1.0.0' });
  const os = openMetricsSkip;
  if (os) t.skip(`OpenMetrics parser: ${os}`);
  else {
    for (const body of [om, om2]) {
      const r = openMetricsCheck(body.text);
      t.ok(r.ok && r.samples > 20, `the OpenMetrics parser: ${r.output}`);
    }
  }
});
