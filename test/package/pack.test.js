'use strict';
// The npm package as a user gets it: `npm pack`, then the tarball installed into a fresh project with --omit=optional,
// --ignore-scripts and no compiler on PATH (only node, npm and npx), then require() and import of it reading a real
// cgroup's stats, and the cgmgr command from the installed package. Also the tarball's file list, and the arm64
// prebuild loaded and called under qemu-user with Debian's arm64 Node.
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { realKernelSkipReason, makeSubtree } = require('../helpers/cgroups');
const { ROOT, PREBUILD_X64, PREBUILD_ARM64, cleanEnv, packedFiles, ensurePrebuilds, packOnce } = require('./pack');

t.setTimeout(600000);

const skip = process.env.CGMGR_ADDON
  ? 'CGMGR_ADDON selects another build: the package test is about the package\'s own prebuilt addon'
  : spawnSync('npm', ['--version'], { encoding: 'utf8' }).status !== 0 ? 'npm is not runnable here' : undefined;

if (skip) {
  t.skip(skip);
} else {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-pack-'));
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));
  const built = ensurePrebuilds();
  const tarball = packOnce(work);

  t.test('the tarball carries what users need and nothing else', async (t) => {
    const files = packedFiles(tarball);
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/cli.js',
      'dist/native.js', 'dist/addon-location.js', 'lib/index.ts', 'native/addon.cc', 'native/parse', 'binding.gyp',
      'CMakeLists.txt', 'scripts/install.js', 'docs/api.md', 'docs/cli.md', PREBUILD_X64]) {
      t.ok(files.some((x) => x === f || x.startsWith(f + '/')), `ships ${f}`);
    }
    if (built.arm64) t.ok(files.includes(PREBUILD_ARM64), `ships ${PREBUILD_ARM64}`);
    for (const prefix of ['native/fuzz/', 'test/', 'bench/', '.ci/', 'build/', 'build-', 'node_modules/', 'scripts/prebuild.js', 'tsconfig.json', '.taprc']) {
      t.same(files.filter((x) => x.startsWith(prefix)), [], `does not ship ${prefix}`);
    }
    // Every source map points at files that are in the package.
    const maps = files.filter((x) => x.endsWith('.map'));
    t.ok(maps.length > 0, 'source maps are shipped with their sources');
    const dangling = [];
    for (const m of maps) {
      const map = JSON.parse(fs.readFileSync(path.join(ROOT, m), 'utf8'));
      // An index map (the start-up bundles, dist/bundles/*.js.map) has its sources in its sections.
      const sources = map.sources ?? map.sections.flatMap((section) => section.map.sources);
      for (const s of sources) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(m), map.sourceRoot ?? '', s));
        if (!files.includes(target)) dangling.push(`${m} -> ${target}`);
      }
    }
    t.same(dangling, [], 'no source map points at an unshipped file');
    // Relative links of the shipped docs resolve inside the package.
    const broken = [];
    for (const doc of files.filter((x) => x.endsWith('.md'))) {
      const text = fs.readFileSync(path.join(ROOT, doc), 'utf8');
      for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const link = m[1];
        if (/^[a-z]+:/.test(link)) continue;
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(doc), link)).replace(/\/$/, '');
        if (!files.some((x) => x === target || x.startsWith(target + '/'))) broken.push(`${doc}: ${link}`);
      }
    }
    t.same(broken, [], 'every relative link in the shipped docs points into the package');
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    for (const k of ['repository', 'bugs', 'homepage', 'keywords', 'license']) t.ok(pkg[k], `package.json has ${k}`);
    t.match(pkg.peerDependencies['prom-client'], /<\d+/, 'the prom-client peer range is capped');
    t.ok(pkg.optionalDependencies['@homebridge/dbus-native'], 'the D-Bus library is an optional dependency');
    t.notOk(pkg.dependencies['@homebridge/dbus-native'], 'and not a required one');
    t.match(pkg.scripts.prepack, /scripts\/prebuild\.js/, 'prepack builds the prebuilds');
    t.equal(pkg.scripts.install, 'node scripts/install.js', 'install compiles only without a loadable prebuild');
  });

  t.test('installed with --ignore-scripts, --omit=optional and no compiler: require, import and the command work', async (t) => {
    const proj = path.join(work, 'fresh');
    fs.mkdirSync(proj);
    fs.writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ name: 'fresh', version: '1.0.0', private: true }));
    // A PATH with node, npm, npx and sh only.
    const bin = path.join(work, 'bin');
    fs.mkdirSync(bin);
    for (const tool of ['node', 'npm', 'npx', 'sh']) { // sh: npx runs a package's bin through it
      const real = tool === 'node' ? process.execPath : fs.realpathSync(spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim());
      fs.symlinkSync(real, path.join(bin, tool));
    }
    const env = { ...cleanEnv(), PATH: bin };
    for (const cc of ['gcc', 'g++', 'cc', 'make', 'python3']) {
      t.equal(spawnSync(cc, ['--version'], { env }).error?.code, 'ENOENT', `${cc} is not on the PATH`);
    }
    const inst = spawnSync('npm', ['install', tarball, '--ignore-scripts', '--omit=optional', '--prefer-offline', '--no-audit', '--no-fund'],
      { cwd: proj, env, encoding: 'utf8', timeout: 300000 });
    t.equal(inst.status, 0, `npm install of the tarball: ${inst.stderr.slice(-2000)}`);
    const installed = path.join(proj, 'node_modules', 'cgmgr');
    t.notOk(fs.existsSync(path.join(installed, 'build')), 'nothing was compiled');
    t.ok(fs.existsSync(path.join(installed, PREBUILD_X64)), 'the prebuild is in place');
    t.same(fs.readdirSync(path.join(proj, 'node_modules')).filter((d) => !d.startsWith('.')).sort(), ['cgmgr', 'node-addon-api'],
      'with --omit=optional nothing but cgmgr and the addon headers is installed (no D-Bus library)');

    const why = realKernelSkipReason();
    let cgPath = '';
    if (!why) {
      const sub = makeSubtree(t, ['memory', 'pids']);
      sub.mkdir();
      const child = sub.spawnSleep();
      for (const h of ['memory', 'pids']) fs.writeFileSync(path.join(sub.dir(h), 'cgroup.procs'), String(child.pid));
      cgPath = '/' + sub.name;
    }
    // Without our own cgroup the root's memory is read (a v1 root has no pids.current).
    const check = (out) => {
      const r = JSON.parse(out);
      t.equal(r.addon, PREBUILD_X64, 'the prebuilt addon was loaded');
      t.equal(r.bundle, true, 'the start-up bundle is fresh in the installed package and serves the stats path');
      if (why) {
        t.ok(r.usage > 0, 'the root cgroup\'s memory usage is read');
      } else {
        // (v1 does not move a process's charge with it: the usage of a new cgroup can be 0.)
        t.ok(Number.isSafeInteger(r.usage) && r.usage >= 0, 'our cgroup\'s memory usage is read');
        t.equal(r.pids, 1, 'our cgroup has its one process');
      }
    };
    const body = (mod) => `
      const s = ${mod}.statsSync(${JSON.stringify(cgPath)}, { controllers: ${JSON.stringify(why ? ['memory'] : ['memory', 'pids'])} });
      const addon = Object.keys(require.cache ?? {}).find((k) => k.endsWith('.node'));
      const pkgDir = require('node:path').dirname(require.resolve('cgmgr/package.json'));
      console.log(JSON.stringify({ usage: s.memory.usage, pids: s.pid.current,
        bundle: require(require('node:path').join(pkgDir, 'dist', 'bundle.js')).bundleInUse('hook'),
        addon: require('node:path').relative(pkgDir, addon) }));`;
    fs.writeFileSync(path.join(proj, 'cjs.js'), `const cgmgr = require('cgmgr');${body('cgmgr')}`);
    fs.writeFileSync(path.join(proj, 'esm.mjs'), `import { statsSync } from 'cgmgr';\nimport cgmgr from 'cgmgr';\n` +
      `import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n` +
      `if (cgmgr.statsSync !== statsSync) throw new Error('default and named exports differ');\n${body('({ statsSync })')}`);
    for (const file of ['cjs.js', 'esm.mjs']) {
      // CGMGR_BUNDLE=always: tap turns source maps on in the child, which would turn the start-up bundle off.
      const r = spawnSync('node', [file], { cwd: proj, env: { ...env, CGMGR_BUNDLE: 'always' }, encoding: 'utf8', timeout: 60000 });
      t.equal(r.status, 0, `${file} runs: ${r.stderr}`);
      t.equal(r.stderr, '', `${file}: nothing on stderr`);
      if (r.status === 0) check(r.stdout);
    }
    const top = spawnSync('npx', ['cgmgr', 'top', '--iterations', '1', '--interval', '0.1', '--json'], { cwd: proj, env, encoding: 'utf8', timeout: 60000 });
    t.equal(top.status, 0, `npx cgmgr top --iterations 1: ${top.stderr}`);
    if (top.status === 0) t.ok(JSON.parse(top.stdout).cgroups > 0, 'top saw cgroups');
    const ver = spawnSync('npx', ['cgmgr', '--version'], { cwd: proj, env, encoding: 'utf8', timeout: 60000 });
    t.equal(ver.stdout.trim(), `cgmgr ${JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version}`, 'npx cgmgr --version');
    if (why) t.comment(`statsSync read the root cgroup: ${why}`);
  });

  t.test('the arm64 prebuild loads and runs under qemu-user with Debian\'s arm64 Node', async (t) => {
    const sysroot = process.env.CGMGR_ARM64_ROOT || path.join(ROOT, '.ci', 'tools', 'arm64-root');
    const qemu = spawnSync('qemu-aarch64-static', ['--version']).error ? undefined : 'qemu-aarch64-static';
    const reason = !built.arm64 ? `no arm64 prebuild (${built.arm64Why})`
      : !qemu ? 'no qemu-aarch64-static (Debian qemu-user-static)'
        : !fs.existsSync(path.join(sysroot, 'usr', 'bin', 'node')) ? `no arm64 Node in ${sysroot} (bash .ci/arm64-node.sh makes it)` : undefined;
    if (reason) return t.skip(reason);
    const script = `
      const a = require(${JSON.stringify(path.join(ROOT, PREBUILD_ARM64))});
      a.init(Error, (errno, syscall, p) => Object.assign(new Error(syscall + ' ' + p), { errno, syscall, path: p }));
      const mounts = a.parseMountinfo(require('fs').readFileSync('/proc/self/mountinfo', 'utf8'));
      const cg = mounts.find((m) => m.controllers.includes('memory')) || mounts.find((m) => m.version === 2);
      const e = new a.Engine([cg.mountPoint], 64, 0);
      const id = e.open('');
      const text = e.readFile(id, 0, cg.version === 2 ? 'cgroup.procs' : 'memory.usage_in_bytes');
      let err = null;
      try { e.open('no-such-cgroup-' + process.pid); } catch (x) { err = x.errno; }
      e.destroy();
      console.log(JSON.stringify({ arch: process.arch, napi: process.versions.napi, mounts: mounts.length, text: text.length, err }));`;
    const r = spawnSync(qemu, ['-L', sysroot, path.join(sysroot, 'usr', 'bin', 'node'), '-e', script], { encoding: 'utf8', timeout: 120000, env: cleanEnv() });
    t.equal(r.status, 0, `arm64 node ran: ${r.stderr}`);
    if (r.status !== 0) return;
    const out = JSON.parse(r.stdout);
    t.equal(out.arch, 'arm64', 'the process is arm64');
    t.ok(Number(out.napi) >= 9, `N-API ${out.napi} ≥ 9`);
    t.ok(out.mounts > 0, 'parseMountinfo parsed this machine\'s mounts');
    t.ok(out.text > 0, 'the engine read a real cgroup file');
    t.equal(out.err, 2, 'a missing cgroup fails with ENOENT (errno 2)');
  });
}
