'use strict';
// `cgmgr serve --kubernetes` on a recorded v2 tree with no runtime behind the endpoint: it serves the tree's pod and
// container cgroups with `id` only, /healthz, its own metrics (the runtime down), and warns once.
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { get, startServe, series, waitFor } = require('./lab');

const TREE = path.join(__dirname, '..', 'fixtures', 'trees', 'v2-full');

t.test('serve --kubernetes without a runtime', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-k8s-serve-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.cpSync(TREE, dir, { recursive: true });
  const serve = await startServe(['--root', dir, '--runtime-endpoint', `unix://${dir}/no-runtime.sock`]);
  t.teardown(() => serve.stop());
  const scrape = async () => (await get(serve.url)).text;
  const text = await waitFor('the runtime reported down', async () => {
    const s = await scrape();
    return /^cgmgr_runtime_up 0$/m.test(s) && /^cgmgr_runtime_errors_total [1-9]/m.test(s) ? s : false;
  });
  const ids = series(text, 'container_cpu_usage_seconds_total').map((s) => s.labels.id);
  t.same(ids.sort(), [
    '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice',
    '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod123.slice/crio-5f1a3c9e2b7d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f.scope',
  ], 'the kubepods cgroups with cpu files are served, nothing else');
  for (const s of series(text, 'container_cpu_usage_seconds_total')) {
    t.same(Object.keys(s.labels).sort(), ['cpu', 'id', 'name'], 'id only without a runtime');
  }
  t.match(text, /^# TYPE cgmgr_sweep_duration_seconds gauge$/m, 'own metric: sweep duration');
  t.match(text, /^cgmgr_cgroups [1-9]\d*$/m, 'own metric: cgroups');
  t.match(text, /^cgmgr_scrape_errors_total 0$/m, 'own metric: scrape errors');
  const om = (await get(serve.url, { accept: 'application/openmetrics-text' })).text;
  t.match(om, /# TYPE cgmgr_runtime_errors counter\ncgmgr_runtime_errors_total \d+\n/, 'OpenMetrics: counter family without _total');
  t.ok(om.endsWith('# EOF\n'), 'OpenMetrics ends with # EOF');
  const { openMetricsCheck, openMetricsSkip, promtoolCheck, promtoolSkip } = require('../helpers/exposition');
  if (promtoolSkip) t.skip(`promtool: ${promtoolSkip}`);
  else t.ok(promtoolCheck(text).ok, `promtool check metrics accepts the exposition with cgmgr's own metrics: ${promtoolCheck(text).output}`);
  if (openMetricsSkip) t.skip(`OpenMetrics parser: ${openMetricsSkip}`);
  else {
    const r = openMetricsCheck(om);
    t.ok(r.ok, `the strict OpenMetrics parser accepts it: ${r.output}`);
  }
  const hz = await get(new URL('/healthz', serve.url));
  t.equal(hz.status, 200, '/healthz 200 while the runtime is down');
  t.equal(hz.text, 'ok\n');
  const warnings = serve.stderr().split('\n').filter((l) => l.includes('container runtime unreachable'));
  t.equal(warnings.length, 1, 'one warning');
  t.match(serve.stderr(), /no-runtime\.sock/, 'the warning names the endpoint');
});

t.test('serve --kubernetes --disable_metrics diskIO,pressure serves the rest and none of those', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-k8s-serve-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.cpSync(TREE, dir, { recursive: true });
  const serve = await startServe(['--root', dir, '--runtime-endpoint', `unix://${dir}/no-runtime.sock`, '--disable_metrics', 'diskIO,pressure']);
  t.teardown(() => serve.stop());
  const text = await waitFor('the kubepods cgroups served', async () => {
    const s = (await get(serve.url)).text;
    return series(s, 'container_cpu_usage_seconds_total').length === 2 ? s : false;
  });
  t.ok(series(text, 'container_memory_working_set_bytes').length > 0, 'memory families served');
  t.notMatch(text, /^container_(fs_|blkio_|pressure_)/m, 'no diskIO nor pressure family');
});

t.test('serve --runtime-endpoint with a bad endpoint is a usage error', async (t) => {
  const { spawnSync } = require('node:child_process');
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'dist', 'cli.js'), 'serve', '--port', '0',
    '--runtime-endpoint', 'tcp://127.0.0.1:1'], { encoding: 'utf8', timeout: 20000 });
  t.not(r.status, 0, `exit ${r.status}`);
  t.match(r.stderr, /unix socket/, r.stderr.trim());
});
