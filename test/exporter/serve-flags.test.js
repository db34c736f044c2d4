'use strict';
// `cgmgr serve` selection flags through the real binary on a recorded v1 tree: --enable_metrics / --disable_metrics
// (groups or families, comma-separated, repeatable), --label-allow / --label-deny, --max-age, and `--host ''` on
// loopback; unknown groups and a denied `id` are usage errors (exit 2).
const t = require('tap');
const http = require('node:http');
const { TREE, run, start, firstLine } = require('../cli/run');

function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => { body += d; }).on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    }).on('error', reject);
  });
}

async function stop(t, child) {
  child.kill('SIGTERM');
  t.equal((await child.exited).code, 0, 'exits 0 on SIGTERM');
}

t.test('selection flags shape the exposition', async (t) => {
  const child = start(t, 'serve', '--port', '0', '--host', '', '--root', TREE, '--json',
    '--disable_metrics', 'spec,pressure', '--disable_metrics', 'container_threads', '--label-deny', 'name', '--max-age', '60000', 'cgmgr-rec/ctr');
  const { url } = JSON.parse(await firstLine(child));
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/, "--host '' listens on loopback");
  const r = await get(url);
  t.equal(r.status, 200);
  t.match(r.body, /^container_memory_usage_bytes\{id="\/cgmgr-rec\/ctr"\} \d+$/m, 'no name label');
  t.notMatch(r.body, /container_spec_|container_pressure_|^container_threads\{/m, 'disabled groups and family are absent');
  t.match(r.body, /^container_threads_max\{/m, 'a family is disabled by its exact name only');
  await stop(t, child);
});

t.test('--enable_metrics and --label-allow', async (t) => {
  const child = start(t, 'serve', '--port', '0', '--root', TREE, '--json', '--enable_metrics', 'cpu', '--label-allow', 'nothing', 'cgmgr-rec/ctr');
  const { url } = JSON.parse(await firstLine(child));
  const r = await get(url, { 'accept-encoding': 'gzip' });
  t.equal(r.headers['content-encoding'], 'gzip', 'gzip when asked');
  const plain = await get(url);
  const all = plain.body.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.slice(0, l.search(/[{ ]/)));
  // cgmgr's own metrics (cgmgr_*) are no container family: a selection leaves them in.
  const names = new Set(all.filter((n) => !n.startsWith('cgmgr_')));
  t.ok(names.size > 0 && [...names].every((n) => n.startsWith('container_cpu_')), [...names].join(' '));
  t.ok(all.includes('cgmgr_sweep_duration_seconds'), 'the agent\'s own metrics stay');
  t.match(plain.body, /^container_cpu_usage_seconds_total\{id="\/cgmgr-rec\/ctr",cpu="total"\} /m);
  await stop(t, child);
});

t.test('bad selections are usage errors', async (t) => {
  for (const args of [['--enable_metrics', 'tcp'], ['--disable_metrics', 'cpu,bogus'], ['--label-deny', 'id'], ['--max-age', '-5'], ['--network', 'some']]) {
    const r = run('serve', '--port', '0', '--root', TREE, ...args, 'cgmgr-rec');
    t.equal(r.status, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, /cgmgr serve: /);
  }
});
