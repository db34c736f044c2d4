'use strict';
// Runs INSIDE the cgroup v2 guest (test/vm/run-v2-suite.sh boots it): loads the v2 test files named on the command
// line into ONE tap process, so that tap is loaded once. Under software emulation `require('tap')` alone takes ~10 s
// and the tap runner (one process per file, with its loaders) took ~150 s for two files, against ~50 s this way.
// The root test prints tap's usual closing line "# { total: N, pass: N, ... }" and exits non-zero on a failure.
// (Not a test file: .taprc runs test/**/*.test.js only.)
const path = require('node:path');
const fs = require('node:fs');

// Direct runs of tap get a 30 s process timeout unless TAP_TIMEOUT says otherwise; the guest is ~19x slower than
// the host for CPU-bound JS, and run.sh has its own hard limit for the whole VM.
if (!process.env.TAP_TIMEOUT) process.env.TAP_TIMEOUT = '600';
// The guest is thrown away after the run: the destructive kernel tests are what it is for (test/helpers/cgroups.js).
if (process.env.CGMGR_TEST_KERNEL === undefined) process.env.CGMGR_TEST_KERNEL = '1';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('guest-suite.js: no test files given');
  process.exit(2);
}
// run.sh reserves 123-125 for the VM itself (125 = "could not test": a skip); a test run never exits with those.
process.on('exit', (code) => {
  if (code >= 123 && code <= 125) process.exitCode = 1;
});
const t = require('tap');
const v2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
t.comment(`cgroup v2 guest: kernel ${require('node:os').release()}, ${v2 ? 'unified' : 'NOT unified'} hierarchy, ` +
  `root subtree_control: ${v2 ? fs.readFileSync('/sys/fs/cgroup/cgroup.subtree_control', 'utf8').trim() : '-'}`);
if (!v2) t.fail('the guest has no cgroup v2 hierarchy at /sys/fs/cgroup');
for (const f of files) {
  t.comment(`file: ${f}`);
  require(path.resolve(f));
}
