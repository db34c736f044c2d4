#!/usr/bin/env node
'use strict';
// `npm run test:unit`: the fast suite, no VM and no root — the test files listed in test/unit.list (recorded trees,
// parsers, validation, paths, rendering, the CLI through its binary on recorded trees, ...). Runs tap over them with
// the destructive kernel tests off (CGMGR_TEST_KERNEL unset, whatever the caller's environment says). Arguments go to
// tap. A listed file that does not exist stops the run: the list is kept true.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const listFile = path.join(root, 'test', 'unit.list');

/** The files of test/unit.list: one per line, `#` starts a comment. */
function unitFiles() {
  return fs.readFileSync(listFile, 'utf8').split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

const files = unitFiles();
const missing = files.filter((f) => !fs.existsSync(path.join(root, f)));
if (missing.length > 0) {
  console.error(`test/unit.list names files that do not exist: ${missing.join(', ')}`);
  process.exit(2);
}
const env = { ...process.env };
delete env.CGMGR_TEST_KERNEL;
const tap = path.join(root, 'node_modules', '.bin', 'tap');
const r = spawnSync(tap, [...process.argv.slice(2), ...files], { cwd: root, env, stdio: 'inherit' });
if (r.error) {
  console.error(`tap: ${r.error.message}`);
  process.exit(2);
}
process.exit(r.status ?? 1);

