'use strict';
// podman's `libpod-<id>` cgroups (Debian's podman with runc and the cgroupfs manager, a busybox-static rootfs, the
// test's own cgroup parent and storage): the Kubernetes collector discovers the container as it starts, identifies it
// as a podman container (its conmon cgroup is not one), and drops it when it is removed.
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const { createKubernetesCollector, parseCgroupIdentity } = require('../../dist');
const { waitFor } = require('./lab');
const { kernelOptInSkipReason } = require('../helpers/cgroups');

function skipReason() {
  const optIn = kernelOptInSkipReason();
  if (optIn) return optIn;
  if (process.getuid?.() !== 0) return 'podman with the cgroupfs manager needs root';
  for (const b of ['podman', 'runc']) {
    if (spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0) return `${b} not installed (apt-get install podman runc)`;
  }
  if (!fs.existsSync('/bin/busybox')) return 'busybox-static not installed';
  return undefined;
}

t.test('podman libpod- cgroups', { skip: skipReason(), timeout: 120000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-podman-'));
  const parent = `/cgmgr-podman-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const name = `cgmgr-podman-${process.pid}`;
  const pm = ['--root', `${dir}/storage`, '--runroot', `${dir}/run`, '--tmpdir', `${dir}/tmp`, '--cgroup-manager', 'cgroupfs',
    '--runtime', 'runc', '--events-backend', 'file'];
  // podman and its runtime are not under test: no sanitizer runtime preloaded into them (the ASan run of the suite).
  const env = { ...process.env };
  for (const k of ['LD_PRELOAD', 'ASAN_OPTIONS', 'UBSAN_OPTIONS']) delete env[k];
  const podman = (...args) => spawnSync('podman', [...pm, ...args], { encoding: 'utf8', timeout: 60000, env });
  t.teardown(() => {
    podman('rm', '--force', '--time', '0', name);
    // podman's cgroups under the test's parent, children first, in every hierarchy.
    for (const h of fs.readdirSync('/sys/fs/cgroup')) {
      const top = path.join('/sys/fs/cgroup', h, parent);
      if (!fs.existsSync(top)) continue;
      const dirs = [];
      const walk = (d) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
        dirs.push(d);
      };
      walk(top);
      for (const d of dirs) {
        try {
          fs.rmdirSync(d);
        } catch {
          // left for the next teardown; reported by CI's leftover check
        }
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  fs.mkdirSync(`${dir}/rootfs/bin`, { recursive: true });
  fs.copyFileSync('/bin/busybox', `${dir}/rootfs/bin/busybox`);
  fs.chmodSync(`${dir}/rootfs/bin/busybox`, 0o755);
  for (const a of ['sh', 'sleep']) fs.symlinkSync('busybox', `${dir}/rootfs/bin/${a}`);

  const c = createKubernetesCollector({ runtimeEndpoint: false, oomEvents: false });
  t.teardown(() => c.close());
  // Every option before --rootfs DIR; nproc lowered (raising it needs CAP_SYS_RESOURCE, which this VM lacks).
  const run = podman('run', '--detach', '--name', name, '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096',
    '--cgroup-parent', parent, '--rootfs', `${dir}/rootfs`, '/bin/sleep', '300');
  if (run.status !== 0) throw new Error(`podman run failed (${run.status}): ${run.stderr}`);
  const id = run.stdout.trim().split('\n').pop();
  t.match(id, /^[0-9a-f]{64}$/, 'podman started a container');
  const cg = `${parent}/libpod-${id}`;
  await waitFor('the libpod- cgroup discovered', () => c.has(cg));
  t.match(parseCgroupIdentity(cg), { kind: 'container', runtime: 'podman', containerId: id }, 'identified as a podman container');
  t.notOk(c.has(`${parent}/conmon`), "podman's conmon cgroup is not registered");
  const s = await c.collectAsync();
  const row = s.paths.indexOf(cg);
  t.ok(row >= 0 && s.get(row, 'pids_current') >= 1, 'its sleep is counted');
  const rm = podman('rm', '--force', '--time', '0', name);
  t.equal(rm.status, 0, `podman rm: ${rm.stderr.trim()}`);
  await waitFor('the libpod- cgroup dropped', () => !c.has(cg));
  t.pass('dropped when podman removes it');
});
