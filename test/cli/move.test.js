'use strict';
// `cgmgr move --pid N --to PATH` on the real kernel: a `sleep` this test started, moved into this test's own cgroups;
// where it lands is read back from /proc/<pid>/cgroup. ESRCH, ENOENT and --create.
const t = require('tap');
const fs = require('node:fs');
const { makeSubtree, realKernelSkipReason } = require('../helpers/cgroups');
const { run } = require('./run');

const skip = realKernelSkipReason() ?? (fs.existsSync('/sys/fs/cgroup/memory/cgroup.procs') ? false : 'needs a cgroup v1 host');
const HIERS = ['memory', 'cpu', 'pids'];

/** The process's cgroup per v1 controller, from /proc/<pid>/cgroup. */
function cgroupsOf(pid) {
  const out = {};
  for (const line of fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) {
    const [, controllers, p] = line.split(':');
    for (const c of controllers.split(',')) out[c] = p;
  }
  return out;
}

t.test('moves a process into the cgroup in every hierarchy it exists in', { skip }, async (t) => {
  const sub = makeSubtree(t, HIERS);
  sub.mkdir();
  sub.mkdir('ctr');
  const child = sub.spawnSleep();
  const before = cgroupsOf(child.pid);
  const r = run('move', '--pid', String(child.pid), '--to', `/${sub.name}/ctr`, '--json');
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.equal(out.pid, child.pid);
  t.equal(out.cgroup, `/${sub.name}/ctr`);
  t.same(out.directories.sort(), HIERS.map((h) => sub.dir(h, 'ctr')).sort());
  t.same(out.hierarchies.sort(), [...HIERS].sort(), 'the hierarchies it moved into');
  t.ok(out.skipped.includes('cpuset') && !out.skipped.some((h) => HIERS.includes(h)), 'and the ones it skipped');
  const after = cgroupsOf(child.pid);
  for (const h of HIERS) t.equal(after[h], `/${sub.name}/ctr`, `${h}: moved`);
  t.equal(after.cpuset, before.cpuset, 'a hierarchy the cgroup is not in is left alone');
  for (const h of HIERS) t.match(fs.readFileSync(sub.dir(h, 'ctr') + '/cgroup.procs', 'utf8'), new RegExp(`^${child.pid}$`, 'm'));
  const text = run('move', '--pid', String(child.pid), '--to', `${sub.name}`);
  t.equal(text.status, 0, text.stderr);
  const said = new RegExp(`^moved ${child.pid} to /${sub.name} in 3 of \\d+ hierarchies \\(([a-z_, ]+)\\)\n$`).exec(text.stdout);
  t.ok(said, `says where it moved: ${text.stdout}`);
  t.same(said?.[1].split(', ').sort(), [...HIERS].sort(), 'names the hierarchies it moved into');
  t.match(text.stderr, new RegExp(`^cgmgr move: skipped (\\w+, )*cpuset(, \\w+)*: /${sub.name} does not exist there \\(--create makes it in every hierarchy\\)\n$`),
    'says which hierarchies were skipped, and how to make the rest');
  t.equal(cgroupsOf(child.pid).memory, `/${sub.name}`, 'moved back to the parent');
  await sub.kill(child);
});

t.test('--create makes the cgroup first', { skip }, async (t) => {
  const sub = makeSubtree(t, HIERS);
  sub.mkdir();
  const child = sub.spawnSleep();
  const r = run('move', '--pid', String(child.pid), '--to', `/${sub.name}/made`, '--create');
  // --create made <name>/made in every mounted hierarchy (and <name> where the subtree had none): all of it carries
  // this test's unique name. Removed at the end of the test and, should it fail first, in teardown.
  const removeMade = () => {
    try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
    for (const h of fs.readdirSync('/sys/fs/cgroup')) {
      for (const d of [`/sys/fs/cgroup/${h}/${sub.name}/made`, `/sys/fs/cgroup/${h}/${sub.name}`]) {
        for (let i = 0; i < 100 && fs.existsSync(d); i++) {
          try { fs.rmdirSync(d); } catch { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); }
        }
      }
    }
  };
  t.teardown(removeMade);
  t.equal(r.status, 0, r.stderr);
  t.equal(cgroupsOf(child.pid).memory, `/${sub.name}/made`);
  t.ok(fs.existsSync(sub.dir('memory', 'made')), 'created');
  t.ok(fs.existsSync(`/sys/fs/cgroup/cpuset/${sub.name}/made`), 'in every mounted controller');
  await sub.kill(child);
  removeMade();
  for (const h of fs.readdirSync('/sys/fs/cgroup')) t.notOk(fs.existsSync(`/sys/fs/cgroup/${h}/${sub.name}`), `${h}: removed`);
});

t.test('failures: exit 1 with the code, and nothing moved', { skip }, async (t) => {
  const sub = makeSubtree(t, HIERS);
  sub.mkdir();
  const child = sub.spawnSleep();
  const before = cgroupsOf(child.pid);
  const missing = run('move', '--pid', String(child.pid), '--to', `/${sub.name}/nope`);
  t.equal(missing.status, 1);
  t.match(missing.stderr, /^cgmgr: ENOENT: /);
  t.equal(missing.stdout, '');
  t.same(cgroupsOf(child.pid), before, 'not moved');
  await sub.kill(child);
  const gone = run('move', '--pid', String(child.pid), '--to', `/${sub.name}`, '--json');
  t.equal(gone.status, 1, 'a process that has exited');
  t.match(gone.stderr, /^cgmgr: ESRCH: /);
  t.equal(gone.stdout, '');
});
