'use strict';
// gzip bodies reusing unchanged families (lib/exporter/section-gzip.ts) on a real cgroup v2 kernel (the qemu guest of
// test/vm: `bash test/vm/run-v2-suite.sh test/v2/gzip-reuse.test.js`; skipped on a v1 / hybrid host, where
// test/exporter/gzip-reuse.test.js covers v1): through the server over HTTP, a second gzip body reuses families and
// unzips to a valid exposition; memory.max and cpu.max written between scrapes are in the next body. Every cgroup is
// the test's own and removed afterwards.
const t = require('tap');
const fs = require('node:fs');
const { StatsCollector } = require('../../dist/collector');
const { createMetricsServer } = require('../../dist/exporter');
const { v2SkipReason, makeSubtree } = require('../helpers/cgroups');
const { promtoolSkip, promtoolCheck, openMetricsSkip, openMetricsCheck } = require('../helpers/exposition');
const { waitFor } = require('../helpers/wait');
const { getGzip } = require('../helpers/http');

const WANT = ['memory', 'cpu', 'pids'];
const opts = {
  skip: v2SkipReason(WANT),
  timeout: 300000,
};

t.test('v2: gzip bodies reuse unchanged families; memory.max and cpu.max written between scrapes are in the next', opts, async (t) => {
  const sub = makeSubtree(t, ['']);
  sub.mkdir();
  fs.writeFileSync(sub.dir('', 'cgroup.subtree_control'), WANT.map((c) => `+${c}`).join(' '));
  for (let i = 0; i < 10; i++) sub.mkdir(`c${i}`);
  const collector = new StatsCollector({ specIntervalMs: 0 });
  t.teardown(() => collector.close());
  for (let i = 0; i < 10; i++) collector.add(`${sub.name}/c${i}`, { name: `c${i}` });
  const srv = await createMetricsServer({ port: 0, collector, maxAgeMs: 0 });
  t.teardown(() => srv.close());

  const a = await getGzip(srv.url);
  t.equal(a.status, 200);
  t.equal(a.encoding, 'gzip');
  const reused0 = srv.counts.sectionsReused;
  const b = await getGzip(srv.url);
  t.ok(srv.counts.sectionsReused > reused0, `the second body reused families (${srv.counts.sectionsReused} reused, ${srv.counts.sectionsDeflated} deflated)`);
  t.match(b.text, /container_spec_memory_limit_bytes\{id="\/cgmgr-test-[^"]*\/c3",name="c3"\} \S+\n/);

  const limit = 48 * 1024 * 1024;
  fs.writeFileSync(sub.dir('', 'c3/memory.max'), String(limit));
  fs.writeFileSync(sub.dir('', 'c3/cpu.max'), '25000 100000');
  let text = '';
  await waitFor(async () => {
    text = (await getGzip(srv.url)).text;
    return text.includes(`container_spec_memory_limit_bytes{id="/${sub.name}/c3",name="c3"} ${limit}\n`) &&
      text.includes(`container_spec_cpu_quota{id="/${sub.name}/c3",name="c3"} 25000\n`);
  }, 'the new limits in a gzip body');
  const limits = text.split('\n').filter((l) => l.startsWith('container_spec_memory_limit_bytes{'));
  t.equal(limits.length, 10, 'every row still has its memory limit');
  t.equal(limits.filter((l) => l.endsWith(` ${limit}`)).length, 1, 'the new limit on its row only');

  if (promtoolSkip) t.skip(`promtool: ${promtoolSkip}`);
  else {
    const r = promtoolCheck(text);
    t.ok(r.ok, `promtool check metrics ${r.output}`);
  }
  const om = 'application/openmetrics-text; version=1.0.0';
  await getGzip(srv.url, { accept: om });
  const om2 = await getGzip(srv.url, { accept: om });
  if (openMetricsSkip) t.skip(`OpenMetrics parser: ${openMetricsSkip}`);
  else {
    const r = openMetricsCheck(om2.text);
    t.ok(r.ok && r.samples > 10, `the OpenMetrics parser on a body with reused families: ${r.output}`);
  }
});
