'use strict';
// Files found absent from a live cgroup (blkio.bfq.* without BFQ, say) are remembered per handle, so the per-container
// call does not probe them (nor re-check the cgroup's identity) on every read (issue 13). What must stay true: the
// absent file still reads as ENOENT, a removed cgroup is still reported gone, and a file that appears later is read
// (absences are forgotten after a second).
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Engine } = require('../../dist');
const { ITEM_STATUS } = require('../../dist/engine');
const { realKernelSkipReason, makeSubtree } = require('../helpers/cgroups');

const skip = realKernelSkipReason();
const V1 = ['memory', 'pids', 'cpuset'];
const hasV1 = !skip && V1.every((h) => fs.existsSync(path.join('/sys/fs/cgroup', h, 'cgroup.procs')));
const opts = { skip: skip ?? (hasV1 ? false : 'this host has no writable v1 memory/pids/cpuset hierarchies') };

async function waitFor(what, check, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('real cgroupfs: a remembered absent file still reads ENOENT and the removed cgroup is still gone', opts, async (t) => {
  const sub = makeSubtree(t, V1);
  sub.mkdir();
  sub.mkdir('x');
  for (const budget of [undefined, 0]) {
    const engine = new Engine(budget === undefined ? {} : { fdBudget: budget });
    t.teardown(() => engine.destroy());
    const plan = engine.plan([
      { controller: 'memory', name: 'memory.usage_in_bytes', format: 'single' },
      { controller: 'memory', name: 'memory.cgmgr_no_such_file', format: 'single' },
      { controller: 'pids', name: 'pids.current', format: 'single' },
      // The only file of its hierarchy: nothing else there shows the cgroup is alive.
      { controller: 'cpuset', name: 'cpuset.cgmgr_no_such_file', format: 'single' },
    ]);
    const x = engine.open(`${sub.name}/x`);
    const result = engine.result(plan, 1);
    for (let round = 0; round < 3; round++) {
      engine.readSync(plan, [x], result);
      t.equal(result.itemStatus[0], ITEM_STATUS.ok, `budget ${budget} round ${round}: the cgroup is there`);
      for (const name of ['memory.cgmgr_no_such_file', 'cpuset.cgmgr_no_such_file']) {
        const err = result.error(0, plan.indexOf(name));
        t.equal(err?.code, 'ENOENT', `budget ${budget} round ${round}: ${name} is ENOENT`);
        t.equal(err?.syscall, 'openat');
        t.match(err?.path, new RegExp(`/x/${name.replace(/\./g, '\\.')}$`));
      }
      t.ok(result.ok(0, plan.indexOf('pids.current')), 'pids.current reads');
    }
    for (const h of V1) fs.rmdirSync(sub.dir(h, 'x'));
    engine.readSync(plan, [x], result);
    t.equal(result.itemStatus[0], ITEM_STATUS.gone, `budget ${budget}: the removed cgroup is gone`);
    sub.mkdir('x');
  }
});

t.test('a recorded tree: a file that appears is read within seconds; a removed directory is gone', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-absent-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.writeFileSync(path.join(root, 'cgroup.controllers'), 'memory pids\n');
  fs.mkdirSync(path.join(root, 'c'));
  fs.writeFileSync(path.join(root, 'c', 'pids.current'), '3\n');
  const engine = new Engine({ root });
  t.teardown(() => engine.destroy());
  const plan = engine.plan([
    { controller: 'pids', name: 'pids.current', format: 'single' },
    { controller: 'memory', name: 'memory.current', format: 'single' },
    { controller: 'memory', name: 'memory.cgmgr_never', format: 'single' },
  ]);
  const id = engine.open('c');
  const result = engine.result(plan, 1);
  engine.readSync(plan, [id], result);
  t.equal(result.itemStatus[0], ITEM_STATUS.ok);
  t.equal(result.get(0, plan.indexOf('pids.current')), 3);
  t.equal(result.error(0, plan.indexOf('memory.current'))?.code, 'ENOENT', 'memory.current is absent');

  fs.writeFileSync(path.join(root, 'c', 'memory.current'), '5\n');
  await waitFor('memory.current to be read', () => {
    engine.readSync(plan, [id], result);
    return result.ok(0, plan.indexOf('memory.current'));
  });
  t.equal(result.get(0, plan.indexOf('memory.current')), 5, 'the file that appeared is read');
  t.equal(result.itemStatus[0], ITEM_STATUS.ok);

  // Not a cgroupfs: held descriptors of removed plain files still read, so gone comes from the identity check that a
  // remembered absent file still triggers there.
  fs.rmSync(path.join(root, 'c'), { recursive: true });
  engine.readSync(plan, [id], result);
  t.equal(result.itemStatus[0], ITEM_STATUS.gone, 'the removed directory is gone');
});
