#!/usr/bin/env node
'use strict';
/**
 * npm's install script: uses the prebuilt addon when it loads here, and compiles with node-gyp only otherwise (a git
 * checkout, built from its own sources; a platform without a prebuild; one that fails to load, e.g. an older glibc). With
 * `--ignore-scripts` nothing runs and the loader (lib/native.ts) simply loads the prebuild at runtime.
 * `npm install --build-from-source` (or CGMGR_BUILD_FROM_SOURCE=1) always compiles.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');

/** The prebuild that loads here, or the one-line reason there is none. */
function loadablePrebuild() {
  let location;
  try {
    location = require(path.join(ROOT, 'dist', 'addon-location.js'));
  } catch {
    return { why: 'no dist/ yet (a source checkout)' };
  }
  const file = path.join(ROOT, location.prebuildPath());
  if (!fs.existsSync(file)) return { why: `no prebuilt addon for ${process.platform}-${process.arch} (${location.libc()})` };
  try {
    require(file);
    return { file };
  } catch (err) {
    return { why: `the prebuilt addon ${path.relative(ROOT, file)} did not load (${String(err.message).split('\n')[0]})` };
  }
}

function compile(why) {
  console.error(`cgmgr: ${why}: building the addon with node-gyp (needs python3, make and g++)`);
  // npm names its own node-gyp in npm_config_node_gyp; else the node-gyp on PATH (npm puts its copy there too).
  const gyp = process.env.npm_config_node_gyp;
  const r = gyp ? spawnSync(process.execPath, [gyp, 'rebuild'], { cwd: ROOT, stdio: 'inherit' })
    : spawnSync('node-gyp', ['rebuild'], { cwd: ROOT, stdio: 'inherit' });
  if (r.error) console.error(`cgmgr: could not run node-gyp: ${r.error.message}`);
  return r.status ?? 1;
}

const fromSource = process.env.npm_config_build_from_source === 'true' || process.env.CGMGR_BUILD_FROM_SOURCE === '1';
if (fromSource) {
  process.exitCode = compile('building from source as asked');
} else if (fs.existsSync(path.join(ROOT, '.git'))) {
  // A git checkout (npm ci in a clone): its own sources are what it tests, never a prebuild from another commit.
  process.exitCode = compile('a git checkout');
} else {
  const found = loadablePrebuild();
  if (found.file) console.log(`cgmgr: using the prebuilt addon ${path.relative(ROOT, found.file)}`);
  else process.exitCode = compile(found.why);
}
