'use strict';
// Support for the package test: the prebuilds it needs (built by scripts/prebuild.js when missing), one `npm pack`
// of this checkout, the tarball's file list, and an environment for children without this suite's addon overrides.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..', '..');
const PREBUILD_X64 = 'prebuilds/linux-x64/cgmgr.napi.glibc.node';
const PREBUILD_ARM64 = 'prebuilds/linux-arm64/cgmgr.napi.glibc.node';

/** process.env without what selects another addon or preloads sanitizers (the package must stand on its own). */
function cleanEnv() {
  const env = { ...process.env };
  for (const k of ['CGMGR_ADDON', 'LD_PRELOAD', 'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'NODE_OPTIONS']) delete env[k];
  for (const k of Object.keys(env)) if (k.startsWith('npm_') || k.startsWith('TAP')) delete env[k];
  return env;
}

/** Builds the prebuilds that are missing (x64 always, arm64 when the cross compiler is there). */
function ensurePrebuilds() {
  const want = [['linux-x64-glibc', PREBUILD_X64]];
  const cross = spawnSync('aarch64-linux-gnu-g++', ['--version']).error === undefined;
  if (cross) want.push(['linux-arm64-glibc', PREBUILD_ARM64]);
  for (const [target, file] of want) {
    if (fs.existsSync(path.join(ROOT, file))) continue;
    const env = cleanEnv();
    for (const k of ['npm_config_node_gyp', 'npm_config_nodedir']) if (process.env[k]) env[k] = process.env[k];
    const r = spawnSync(process.execPath, ['scripts/prebuild.js', '--target', target], { cwd: ROOT, encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`prebuild ${target} failed: ${r.stderr.slice(-3000)}`);
  }
  return {
    arm64: fs.existsSync(path.join(ROOT, PREBUILD_ARM64)),
    arm64Why: cross ? 'its build failed' : 'no aarch64-linux-gnu-g++ (Debian g++-aarch64-linux-gnu)',
  };
}

/** `npm pack` of this checkout into dir (scripts off: dist/ and the prebuilds are already built); the tarball's path. */
function packOnce(dir) {
  const r = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', env: cleanEnv(), timeout: 120000 });
  if (r.status !== 0) throw new Error(`npm pack failed: ${r.stderr}`);
  return path.join(dir, JSON.parse(r.stdout)[0].filename);
}

/** The files in the tarball, relative to the package root. */
function packedFiles(tarball) {
  const r = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar -tzf ${tarball}: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
}

module.exports = { ROOT, PREBUILD_X64, PREBUILD_ARM64, cleanEnv, ensurePrebuilds, packOnce, packedFiles };
