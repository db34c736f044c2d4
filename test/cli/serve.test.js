'use strict';
// `cgmgr serve` through the real binary: listens on a random loopback port, serves /metrics with the series of the
// cgroups it was given (a recorded tree, and this test's own cgroup on the real kernel), stops with exit 0 on SIGTERM
// and SIGINT, and fails with exit 1 when it cannot listen.
const t = require('tap');
const fs = require('node:fs');
const http = require('node:http');
const { makeSubtree, realKernelSkipReason } = require('../helpers/cgroups');
const { TREE, start, firstLine } = require('./run');

function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => { body += d; }).on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    }).on('error', reject);
  });
}

async function stopWith(t, child, signal) {
  child.kill(signal);
  const { code } = await child.exited;
  t.equal(code, 0, `exits 0 on ${signal}`);
  t.match(child.stderrText, new RegExp(`cgmgr: ${signal}: stopped`));
}

t.test('recorded tree: /metrics on a random loopback port, SIGTERM stops it', async (t) => {
  const child = start(t, 'serve', '--port', '0', '--root', TREE, '--json', 'cgmgr-rec/ctr');
  const { url } = JSON.parse(await firstLine(child));
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/, 'loopback by default');
  const r = await get(url);
  t.equal(r.status, 200);
  t.match(r.headers['content-type'], /^text\/plain/);
  const usage = fs.readFileSync(`${TREE}/memory/cgmgr-rec/ctr/memory.usage_in_bytes`, 'utf8').trim();
  t.match(r.body, new RegExp(`^container_memory_usage_bytes\\{id="/cgmgr-rec/ctr"[^}]*\\} ${usage}$`, 'm'), 'the recorded usage');
  t.notMatch(r.body, /id="\/"/, 'only the cgroups it was given');
  t.equal((await get(url.replace('/metrics', '/nope'))).status, 404);
  t.equal(child.stdoutText.trim().split('\n').length, 1, 'stdout: only the JSON line');
  await stopWith(t, child, 'SIGTERM');
});

t.test('port in use: exit 1 with EADDRINUSE', async (t) => {
  const first = start(t, 'serve', '--port', '0', '--root', TREE, '--json', 'cgmgr-rec');
  const { url } = JSON.parse(await firstLine(first));
  const port = new URL(url).port;
  const second = start(t, 'serve', '--port', port, '--root', TREE, 'cgmgr-rec');
  const { code } = await second.exited;
  t.equal(code, 1);
  t.match(second.stderrText, /^cgmgr: EADDRINUSE: /);
  t.equal(second.stdoutText, '');
  await stopWith(t, first, 'SIGINT');
});

const skip = realKernelSkipReason() ?? (fs.existsSync('/sys/fs/cgroup/memory/cgroup.procs') ? false : 'needs a cgroup v1 host');

t.test('this machine: the series of a cgroup with a process of the test\'s own', { skip }, async (t) => {
  const sub = makeSubtree(t, ['memory', 'cpu', 'cpuacct', 'pids']);
  sub.mkdir();
  const sleeper = sub.spawnSleep();
  for (const h of ['memory', 'cpu', 'cpuacct', 'pids']) fs.writeFileSync(sub.dir(h) + '/cgroup.procs', String(sleeper.pid));
  const child = start(t, 'serve', '--port', '0', '--json', sub.name);
  const { url } = JSON.parse(await firstLine(child));
  const r = await get(url);
  t.equal(r.status, 200);
  t.match(r.body, new RegExp(`^container_threads\\{id="/${sub.name}"[^}]*\\} 1$`, 'm'), 'one task: the sleep');
  t.match(r.body, new RegExp(`^container_cpu_usage_seconds_total\\{id="/${sub.name}"[^}]*\\} [0-9.e-]+$`, 'm'));
  const om = await get(url, { accept: 'application/openmetrics-text; version=1.0.0' });
  t.match(om.headers['content-type'], /^application\/openmetrics-text/);
  t.match(om.body, /# EOF\n$/);
  await stopWith(t, child, 'SIGTERM');
  await sub.kill(sleeper);
});
