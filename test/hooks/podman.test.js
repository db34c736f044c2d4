'use strict';
// The OCI hook example (examples/oci-hook/record-stats.js) run by a real runtime: Debian's podman with runc, the
// cgroupfs manager, a busybox-static rootfs, no network. Each container gets a cgroup parent of this test's own
// (cgmgr-hook-<pid>-<hex>, removed at the end in every hierarchy), and podman keeps its state in a temp dir. The hook
// records the container's stats at poststart; the test checks the record against the container (its id, its cgroup,
// the sleep it runs), and reports the latency the hook adds to a container start (medians of runs with and without the
// hook, side by side; reported, not asserted).
const t = require('tap');
const { waitFor } = require('../helpers/wait');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const { kernelOptInSkipReason } = require('../helpers/cgroups');

const PKG = path.resolve(__dirname, '..', '..');
const HOOK = path.join(PKG, 'examples', 'oci-hook', 'record-stats.js');
const CGROOT = '/sys/fs/cgroup';

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function skipReason() {
  const optIn = kernelOptInSkipReason();
  if (optIn) return optIn;
  if (process.getuid && process.getuid() !== 0) return 'needs root (podman with the cgroupfs manager)';
  for (const cmd of ['podman', 'runc']) if (!which(cmd)) return `${cmd} is not installed (apt-get install podman runc)`;
  if (!fs.existsSync('/bin/busybox') || !/static/.test(spawnSync('file', ['-L', '/bin/busybox'], { encoding: 'utf8' }).stdout ?? 'static')) {
    return 'busybox-static is not installed (apt-get install busybox-static)';
  }
  return undefined;
}

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

t.test('podman + runc run the hook at poststart: it records the container\'s own stats', { skip: skipReason() ?? false }, async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-hook-'));
  const parent = `cgmgr-hook-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const rootfs = path.join(tmp, 'rootfs');
  fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'sleep', 'true']) fs.symlinkSync('busybox', path.join(rootfs, 'bin', a));
  const hooksDir = path.join(tmp, 'hooks.d');
  const emptyHooks = path.join(tmp, 'no-hooks.d');
  fs.mkdirSync(hooksDir);
  fs.mkdirSync(emptyHooks);
  const out = path.join(tmp, 'stats.jsonl');
  // The hook as hooks.d takes it (examples/oci-hook/cgmgr-record-stats.json, with this checkout's paths).
  fs.writeFileSync(path.join(hooksDir, 'cgmgr-record-stats.json'), JSON.stringify({
    version: '1.0.0',
    hook: { path: process.execPath, args: [process.execPath, HOOK, '--out', out] },
    when: { always: true },
    stages: ['poststart'],
  }));

  t.teardown(async () => {
    spawnSync('podman', ['--root', path.join(tmp, 'root'), '--runroot', path.join(tmp, 'runroot'), '--storage-driver', 'vfs', 'system', 'reset', '--force'], { stdio: 'ignore' });
    // podman --rm removes the containers' cgroups; the parent is ours: children first, in every hierarchy. A cgroup
    // whose last task is still exiting is busy (EBUSY) for a moment: retry until every directory is gone.
    const leftovers = () => {
      const left = [];
      for (const h of fs.readdirSync(CGROOT)) {
        const d = path.join(CGROOT, h, parent);
        if (!fs.existsSync(d)) continue;
        const dirs = [];
        const walk = (x) => {
          for (const e of fs.readdirSync(x, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(x, e.name));
          dirs.push(x);
        };
        walk(d);
        for (const x of dirs) { try { fs.rmdirSync(x); } catch { left.push(x); } }
      }
      return left;
    };
    try {
      await waitFor(() => leftovers().length === 0, `the test's cgroups under ${parent} removed`, { timeoutMs: 15000, intervalMs: 100 });
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  // Every option before --rootfs; nproc below the hard limit (runc may not raise it here: no CAP_SYS_RESOURCE).
  const run = (hooks, cmd) => {
    const args = ['--root', path.join(tmp, 'root'), '--runroot', path.join(tmp, 'runroot'), '--storage-driver', 'vfs',
      '--hooks-dir', hooks, '--cgroup-manager', 'cgroupfs', '--runtime', 'runc',
      'run', '--rm', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096',
      '--cgroup-parent', `/${parent}`, '--rootfs', rootfs, ...cmd];
    const t0 = process.hrtime.bigint();
    const r = spawnSync('podman', args, { encoding: 'utf8', timeout: 120000 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return { ...r, ms };
  };

  const first = run(hooksDir, ['/bin/sh', '-c', 'sleep 1; echo done']);
  if (first.status !== 0) {
    t.fail(`podman run failed (${first.status}): ${(first.stderr || String(first.error)).trim().split('\n').slice(-3).join(' | ')}`);
    return;
  }
  t.equal(first.stdout.trim(), 'done', 'the container ran');
  const records = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.equal(records.length, 1, 'one record per container start');
  const r = records[0];
  t.match(r.id, /^[0-9a-f]{64}$/, 'the container id from the state on stdin');
  t.ok(r.cgroup.startsWith(`/${parent}/`) && r.cgroup.includes(r.id), `the container's own cgroup: ${r.cgroup}`);
  t.ok(Number.isInteger(r.pid) && r.pid > 0, 'the container pid');
  t.ok(r.pids >= 1, `its tasks are counted (${r.pids})`);
  t.ok(r.memoryUsage > 0, `its memory usage (${r.memoryUsage} bytes)`);
  t.type(r.cpuUsageNano, 'number');
  t.ok(r.hookMs > 0, `the hook took ${r.hookMs} ms from its start to its record`);

  // The latency the hook adds: container starts with and without it, interleaved.
  const withHook = [];
  const without = [];
  for (let i = 0; i < 3; i++) {
    const a = run(hooksDir, ['/bin/true']);
    const b = run(emptyHooks, ['/bin/true']);
    if (a.status === 0) withHook.push(a.ms);
    if (b.status === 0) without.push(b.ms);
  }
  t.equal(withHook.length, 3, 'every run with the hook succeeded');
  t.equal(without.length, 3, 'every run without it too');
  const hookRecords = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.equal(hookRecords.length, 4, 'a record per run with the hook, none without');
  t.comment(`podman run --rm /bin/true: median ${median(withHook).toFixed(0)} ms with the hook, ${median(without).toFixed(0)} ms without` +
    ` (+${(median(withHook) - median(without)).toFixed(0)} ms); the hook's own time ${median(hookRecords.slice(1).map((x) => x.hookMs)).toFixed(1)} ms`);
});
