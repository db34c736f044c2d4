'use strict';
// Every code block of README.md and docs/*.md runs as written (test/docs/blocks.js says how fences are read): a js
// block in a fresh project where `require('cgmgr')` / `import … from 'cgmgr'` is this checkout, in the module system
// it shows; an sh block with bash in the checkout. The examples make their own cgroups, named
// `cgmgr-example-<their pid>…`, and remove them; whatever a failed run leaves is removed here, processes first.
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { realKernelSkipReason } = require('../helpers/cgroups');
const { ROOT, docFiles, units, moduleSystem } = require('./blocks');

t.setTimeout(600000);
const CGROOT = '/sys/fs/cgroup';

/** Removes what an example with this pid left: its cgroups (children first), after killing what runs in them. */
function removeLeftovers(pid) {
  if (!pid) return;
  const mine = new RegExp(`^cgmgr-example-${pid}(-|$)`);
  const roots = fs.existsSync(path.join(CGROOT, 'cgroup.controllers')) ? [CGROOT]
    : fs.readdirSync(CGROOT).map((h) => path.join(CGROOT, h)).filter((d) => fs.existsSync(path.join(d, 'cgroup.procs')));
  const remove = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) remove(path.join(dir, e.name));
    try {
      for (const p of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try { process.kill(Number(p), 'SIGKILL'); } catch { /* gone */ }
      }
    } catch { /* gone */ }
    for (let i = 0; i < 100; i++) {
      try {
        fs.rmdirSync(dir);
        return;
      } catch (err) {
        if (err.code === 'ENOENT') return;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); // EBUSY while killed tasks exit
      }
    }
  };
  for (const r of roots) {
    for (const e of fs.readdirSync(r, { withFileTypes: true })) if (e.isDirectory() && mine.test(e.name)) remove(path.join(r, e.name));
  }
}

const skip = realKernelSkipReason();
if (skip) {
  t.skip(`the examples create cgroups: ${skip}`);
} else {
  // A project where `cgmgr` is this checkout (and prom-client, the optional peer the exporter example uses).
  const proj = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-docs-'));
  t.teardown(() => fs.rmSync(proj, { recursive: true, force: true }));
  fs.mkdirSync(path.join(proj, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(proj, 'node_modules', 'cgmgr'));
  fs.symlinkSync(path.join(ROOT, 'node_modules', 'prom-client'), path.join(proj, 'node_modules', 'prom-client'));
  fs.writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ name: 'docs-examples', private: true }));
  // `cgmgr` on PATH for the sh blocks.
  const bin = path.join(proj, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'cgmgr'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(ROOT, 'dist', 'cli.js')}" "$@"\n`, { mode: 0o755 });
  const env = { ...process.env, NO_COLOR: '1', PATH: `${bin}:${process.env.PATH}` };
  // A CGMGR_ADDON relative to this checkout (CI's sanitizer build) must still name it from the examples' directory.
  if (env.CGMGR_ADDON) env.CGMGR_ADDON = path.resolve(env.CGMGR_ADDON);

  let n = 0;
  for (const file of docFiles()) {
    for (const u of units(file)) {
      const name = `${u.file}:${u.line} (${u.lang}${u.lang === 'js' ? ', ' + moduleSystem(u.code) : ''})`;
      if (u.error) {
        t.fail(`${name}: ${u.error}`);
        continue;
      }
      if (u.noRun) {
        t.test(name, { skip: `no-run: ${u.noRun}` }, async () => {});
        continue;
      }
      t.test(name, async (t) => {
        let r;
        if (u.lang === 'js') {
          const script = path.join(proj, `block-${n++}.${moduleSystem(u.code) === 'esm' ? 'mjs' : 'cjs'}`);
          fs.writeFileSync(script, u.code);
          r = spawnSync(process.execPath, [script], { cwd: proj, env, encoding: 'utf8', timeout: 120000 });
        } else {
          // Output to files, not pipes: a background process of the block (`sleep 60 &`) must not hold the run open.
          const out = path.join(proj, `block-${n}.out`);
          const err = path.join(proj, `block-${n++}.err`);
          const fds = [fs.openSync(out, 'w'), fs.openSync(err, 'w')];
          r = spawnSync('bash', ['-euo', 'pipefail', '-c', u.code], { cwd: ROOT, env, stdio: ['ignore', ...fds], timeout: 120000 });
          fds.forEach((fd) => fs.closeSync(fd));
          r.stdout = fs.readFileSync(out, 'utf8');
          r.stderr = fs.readFileSync(err, 'utf8');
        }
        removeLeftovers(r.pid);
        t.equal(r.status, 0, `runs as written${r.signal ? ` (killed by ${r.signal}: a timeout?)` : ''}\n${r.stderr}`);
        t.notMatch(r.stderr, /Error|Warning/, 'no error or warning on stderr');
      });
    }
  }
}
