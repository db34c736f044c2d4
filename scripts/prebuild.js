#!/usr/bin/env node
'use strict';
/**
 * Builds the prebuilt addons that the npm package carries (`npm run prebuild`, run by `prepack`):
 * prebuilds/<platform>-<arch>/cgmgr.napi.<libc>.node, N-API 9, with node-gyp and the same binding.gyp as a source
 * build, each in its own staging directory (the local build/ is left alone), stripped.
 *
 * Targets: linux-x64 glibc (this machine's g++), linux-arm64 glibc (Debian's g++-aarch64-linux-gnu), and
 * linux-x64 musl only when a musl C++ cross compiler (x86_64-linux-musl-g++) is on PATH: Debian has none (its
 * musl-tools is a C-only gcc wrapper, with no libstdc++ for musl), so on Alpine and the like the install script
 * compiles the addon instead. A target whose compiler is missing is skipped with a line saying so; a target whose
 * compiler is present but fails the build fails the script. `--target NAME` (repeatable) builds only those.
 *
 * Not committed to git (.gitignore): the tarball carries them.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'prebuilds');

/** Every target: node-gyp's --arch, and the compiler prefix ('' for this machine's own). */
const TARGETS = [
  { name: 'linux-x64-glibc', dir: 'linux-x64', libc: 'glibc', arch: 'x64', prefix: '' },
  { name: 'linux-arm64-glibc', dir: 'linux-arm64', libc: 'glibc', arch: 'arm64', prefix: 'aarch64-linux-gnu-' },
  { name: 'linux-x64-musl', dir: 'linux-x64', libc: 'musl', arch: 'x64', prefix: 'x86_64-linux-musl-' },
];

function onPath(cmd) {
  return (process.env.PATH || '').split(':').some((d) => d && fs.existsSync(path.join(d, cmd)));
}

/** Node's headers for node-gyp without a download: npm's nodedir, else the include/node next to this node. */
function nodedir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

/** npm's own node-gyp (`npm run prebuild` names it), else one in node_modules. */
function nodeGyp() {
  if (process.env.npm_config_node_gyp && fs.existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  try {
    return require.resolve('node-gyp/bin/node-gyp.js', { paths: [ROOT] });
  } catch {
    throw new Error('no node-gyp: run this as `npm run prebuild` (npm brings its own node-gyp)');
  }
}

/** The sources a build needs, copied into a fresh directory (native/ without fuzz/, binding.gyp, node_modules link). */
function stage(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cgmgr-prebuild-${name}-`));
  fs.cpSync(path.join(ROOT, 'native'), path.join(dir, 'native'), { recursive: true, filter: (src) => !path.relative(path.join(ROOT, 'native'), src).startsWith('fuzz') });
  fs.copyFileSync(path.join(ROOT, 'binding.gyp'), path.join(dir, 'binding.gyp'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

function build(target) {
  const cxx = `${target.prefix}g++`;
  if (!onPath(cxx)) return `skipped: no ${cxx} on PATH`;
  const dir = stage(target.name);
  try {
    const env = { ...process.env };
    if (target.prefix) Object.assign(env, { CC: `${target.prefix}gcc`, CXX: cxx, LINK: cxx, AR: `${target.prefix}ar` });
    const gyp = nodeGyp();
    const nd = nodedir();
    run(process.execPath, [gyp, 'rebuild', '-j', '2', `--arch=${target.arch}`, ...(nd ? [`--nodedir=${nd}`] : [])], { cwd: dir, env });
    const file = path.join(OUT, target.dir, `cgmgr.napi.${target.libc}.node`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(path.join(dir, 'build', 'Release', 'cgmgr.node'), file);
    const strip = `${target.prefix}strip`;
    if (onPath(strip)) run(strip, ['--strip-unneeded', file]);
    return `built ${path.relative(ROOT, file)} (${fs.statSync(file).size} bytes)`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function main(argv) {
  const wanted = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--target' && argv[i + 1]) wanted.push(argv[++i]);
    else throw new Error(`usage: prebuild.js [--target ${TARGETS.map((t) => t.name).join('|')}]...`);
  }
  const unknown = wanted.filter((w) => !TARGETS.some((t) => t.name === w));
  if (unknown.length) throw new Error(`unknown target ${unknown.join(', ')}; known: ${TARGETS.map((t) => t.name).join(', ')}`);
  const targets = wanted.length ? TARGETS.filter((t) => wanted.includes(t.name)) : TARGETS;
  // A full run starts from nothing, so a prebuild from an older source never ships.
  if (!wanted.length) fs.rmSync(OUT, { recursive: true, force: true });
  for (const t of targets) console.log(`prebuild ${t.name}: ${build(t)}`);
}

try {
  main(process.argv.slice(2));
} catch (err) {
  console.error(`prebuild: ${err.message}`);
  process.exitCode = 1;
}
