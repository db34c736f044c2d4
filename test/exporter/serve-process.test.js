'use strict';
// `cgmgr serve --enable_metrics process` (issue 12): the opt-in /proc scan turned on by cAdvisor's flag, against a
// real v1 cgroup of the test's own holding a process with a known number of descriptors and sockets; without the
// flag the two families are absent.
const t = require('tap');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { start, firstLine } = require('../cli/run');
const { ROOT, realKernelSkipReason, makeSubtree } = require('../helpers/cgroups');

const skip = realKernelSkipReason();
const isV1 = !skip && fs.existsSync(path.join(ROOT, 'memory', 'cgroup.procs')) && !fs.existsSync(path.join(ROOT, 'cgroup.controllers'));
const opts = { skip: skip ?? (isV1 ? false : 'not a cgroup v1 (hybrid) host') };
const H = ['memory', 'cpu', 'cpuacct', 'pids'];
const comm = (pid) => { try { return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return ''; } };

function get(url) {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => { body += d; }).on('end', () => resolve(body));
    }).on('error', reject);
  });
}

t.test('--enable_metrics process turns the scan on', opts, async (t) => {
  const sub = makeSubtree(t, H);
  sub.mkdir();
  // 4 descriptors (stdin /dev/null, three socketpair ends), nothing else inherited.
  const stdio = ['ignore', 'pipe', 'pipe', 'pipe'];
  const child = spawn('bash', ['-c', `for f in /proc/$$/fd/*; do n=\${f##*/}; if [ "$n" -ge ${stdio.length} ]; then eval "exec $n>&-"; fi; done; exec sleep 600`], { stdio });
  sub.pids.add(child.pid);
  t.teardown(() => { for (const s of child.stdio) s?.destroy(); });
  await new Promise((resolve) => child.once('spawn', resolve));
  for (const h of H) fs.writeFileSync(sub.dir(h, 'cgroup.procs'), String(child.pid));
  for (const end = Date.now() + 10000; Date.now() < end && comm(child.pid) !== 'sleep';) await new Promise((r) => setTimeout(r, 10));

  for (const [flags, want] of [[['--enable_metrics', 'cpu,process'], true], [[], false]]) {
    const serve = start(t, 'serve', '--port', '0', '--json', ...flags, sub.name);
    const { url } = JSON.parse(await firstLine(serve));
    const body = await get(url);
    if (want) {
      t.match(body, new RegExp(`^container_file_descriptors\\{id="/${sub.name}"[^}]*\\} 4$`, 'm'), 'descriptors');
      t.match(body, new RegExp(`^container_sockets\\{id="/${sub.name}"[^}]*\\} 3$`, 'm'), 'sockets');
      t.match(body, /^container_threads\{/m, 'the process group');
      t.notMatch(body, /^container_memory_usage_bytes/m, 'only the enabled groups');
    } else {
      t.notMatch(body, /container_file_descriptors|container_sockets/, 'off by default');
      t.match(body, /^container_memory_usage_bytes\{/m);
    }
    serve.kill('SIGTERM');
    t.equal((await serve.exited).code, 0, 'exits 0 on SIGTERM');
  }
});
