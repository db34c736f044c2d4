#!/usr/bin/env node
'use strict';
// The per-container call, measured side by side in one run on the same N real cgroups (default 1000):
//   - cgmgr `containerCgroupStatsSync` on a CgroupfsManager's cached handles (held descriptors, plan compiled once);
//   - cgmgr `await containerCgroupStats`, one container per await;
//   - cgmgr `statsSync(path)` (no held handle: opened and closed per call), for reference;
//   - the C loop over the same files the call reads (bench/fileloop.c: held fds + pread + minimal parse), and for the
//     containers with a process the same loop doing the call's /proc scan too (`fileloop … procs-prlimit`: per pid of
//     the cgroup.procs it read, /proc/<pid>/fd opened + getdents64 + readlinkat per entry + close, and prlimit(2) for
//     the soft open-files limit, as native/proc_scan.cc; `procs` reads /proc/<pid>/limits instead, as CRI-O does);
//   - runc's GetStats (bench/go/getstats, Go, libcontainer/cgroups/fs) when Go and runc's sources are installed.
// Each variant runs in its own fresh process, several rounds interleaved; a cell is the median over rounds of the
// per-process median sweep (all N containers once). Prints per-container µs and the ratios against the targets of
// issue 13 (runc / cgmgr >= 4 and cgmgr / C loop <= 1.3, for the sync and the async call), twice: over all N
// containers, a process of ours in every 5th (CRI-O's call then also scans /proc for their descriptors and limits,
// which neither the C loop nor runc's GetStats does), and over the containers without a process. Then the same
// targets in CPU time per call, in one process (robust on a loaded machine, where wall-clock figures say little).
//
// Every variant first runs --warmup sweeps that are not timed (default 10: V8 compiles the JS path optimised only after
// some thousand calls; measured, a process's first 8-10 sweeps of 160 containers run 1.5-30× slower than the later
// ones; a runtime calls this every few seconds for as long as the container lives; the C loop and Go warm their caches
// likewise). The bound: the C loop is the floor for these files, so runc / C loop is the most any
// reader of these files can be faster than runc; --per-file prints the C loop's cost of each file alone.
//
//   node bench/container-stats.js [--n 1000] [--rounds 3] [--sweeps 5] [--warmup 5] [--shard 300] [--per-file] [--json FILE]
//     [--cpu-only] (the CPU table alone) [--base DIR] (the CPU table also times the sync call of the build in DIR)
//     [--cpu-n 50] (cgroups of the CPU table: the kernel's cost per read grows with the descriptors held — 300 is a
//     wall-clock shard's worth; the native-read row holds its own, so keep 2 × K × 29 (3 × with --base) under the
//     descriptor limit)
//   node bench/container-stats.js --quick     (CI: --n 200 --rounds 1 --sweeps 3 --warmup 10, CPU table of 3 rounds)
// Internal: node bench/container-stats.js --worker VARIANT SPECFILE
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn, execFileSync } = require('node:child_process');
const { eachArg } = require('./lib/args');
const { median } = require('./lib/stats');
const { compileC } = require('./lib/processes');

const PKG = path.resolve(__dirname, '..');
const CGROOT = '/sys/fs/cgroup';
// The v1 hierarchies a CRI-O container's stats read with the default controllers (devices: GetPids, as the library).
const HIERS = ['memory', 'cpu', 'cpuacct', 'pids', 'devices', 'blkio'];
const CTRS_PER_POD = 5;

if (process.argv[2] === '--worker') {
  worker(process.argv[3], JSON.parse(fs.readFileSync(process.argv[4], 'utf8'))).catch((err) => {
    console.error(err.stack || String(err));
    process.exit(1);
  });
} else {
  // The sleeps of the tree keep the event loop alive: exit (which removes the tree) once main is done.
  main().then(() => process.exit(0), (err) => {
    console.error(err.stack || String(err));
    process.exit(1);
  });
}

// ---- measuring processes --------------------------------------------------------------------------------------------

/**
 * CPU time per call, side by side in one process on the same cgroups (the first 50 of the shard), the minimum over
 * rounds: the sync call, the async call, the native read alone on handles of our own, and the C loop (its own
 * getrusage over its timed sweeps, the same number of calls after as many warm-up sweeps). CPU time is what a call costs the machine;
 * other processes' load inflates it far less than the wall clock.
 */
async function cpuWorker(spec) {
  const n = Math.min(spec.cpuN ?? 50, spec.ids.length);
  const parents = spec.parents.slice(0, n);
  const ids = spec.ids.slice(0, n);
  const { CgroupfsManager } = require(path.join(PKG, 'dist', 'managers'));
  const { compileStats } = require(path.join(PKG, 'dist', 'stats', 'reader'));
  const m = new CgroupfsManager({ cacheSize: n + 16 });
  const eng = m.context.engine;
  const rels = ids.map((id, i) => `${parents[i].slice(1)}/crio-${id}`);
  const handles = rels.map((r) => eng.open(r));
  const c = compileStats(eng, m.context.statsReader().context(undefined));
  const res = eng.result(c.plan, 1, { bigint: true });
  const one = new Uint32Array(1);
  const calls = Math.max(1, Math.round(4000 / n));
  // --base DIR: the sync call of another build of cgmgr (e.g. main's, copied to /tmp), alternated with this one's.
  const mb = spec.base ? new (require(path.join(spec.base, 'dist', 'managers')).CgroupfsManager)({ cacheSize: n + 16 }) : undefined;
  const cases = {
    sync: () => { for (let i = 0; i < n; i++) m.containerCgroupStatsSync(parents[i], ids[i]); },
    ...(mb ? { baseSync: () => { for (let i = 0; i < n; i++) mb.containerCgroupStatsSync(parents[i], ids[i]); } } : {}),
    async: async () => { for (let i = 0; i < n; i++) await m.containerCgroupStats(parents[i], ids[i]); },
    native: () => { for (let i = 0; i < n; i++) { one[0] = handles[i]; eng.readSync(c.plan, one, res); } },
  };
  for (const k in cases) for (let s = 0; s < 40; s++) await cases[k]();
  const best = { sync: Infinity, async: Infinity, native: Infinity, c: Infinity, cScan: Infinity, cScanLimits: Infinity, ...(mb ? { baseSync: Infinity } : {}) };
  for (let r = 0; r < spec.rounds; r++) {
    for (const k in cases) {
      const t0 = process.cpuUsage();
      for (let s = 0; s < calls; s++) await cases[k]();
      const d = process.cpuUsage(t0);
      best[k] = Math.min(best[k], (d.user + d.system) / (calls * n));
    }
    // The plain loop, then the loop with the call's /proc scan (prlimit, as the call) and with CRI-O's (the limits
    // file): as many calls as the JS cases after as many warm-up sweeps, the loop's own getrusage over its timed sweeps
    // (its setup, opening every file, excluded as the JS cases' is).
    for (const [k, mode] of [['c', ''], ['cScan', 'procs-prlimit'], ['cScanLimits', 'procs']]) {
      const out = require('node:child_process').spawnSync(spec.cloop, [CGROOT, '40', String(calls), spec.filesFile, ...(mode ? [mode] : [])],
        { input: rels.join('\n') + '\n' });
      if (out.status !== 0) throw new Error(`fileloop ${mode} exited ${out.status}: ${String(out.stderr).trim()}`);
      const j = JSON.parse(out.stdout.toString().trim().split('\n').pop());
      best[k] = Math.min(best[k], j.sweepCpuUs / (calls * n));
    }
  }
  process.stdout.write(JSON.stringify({ n, calls, usCpu: best }) + '\n');
}

async function worker(variant, spec) {
  if (variant === 'cpu') return cpuWorker(spec);
  const { parents, ids, warmup, sweeps } = spec;
  const n = ids.length;
  const times = [];
  let sample;
  if (variant === 'sync' || variant === 'async') {
    const { CgroupfsManager } = require(path.join(PKG, 'dist', 'managers'));
    const m = new CgroupfsManager({ cacheSize: n + 16 });
    for (let s = 0; s < warmup + sweeps; s++) {
      const t0 = process.hrtime.bigint();
      if (variant === 'sync') {
        for (let i = 0; i < n; i++) sample = m.containerCgroupStatsSync(parents[i], ids[i]);
      } else {
        for (let i = 0; i < n; i++) sample = await m.containerCgroupStats(parents[i], ids[i]);
      }
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  } else if (variant === 'statsSync') {
    const { statsSync } = require(path.join(PKG, 'dist', 'stats'));
    const paths = ids.map((id, i) => `${parents[i]}/crio-${id}`);
    for (let s = 0; s < warmup + sweeps; s++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) sample = statsSync(paths[i]);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  } else if (variant === 'files') {
    // The files the per-container call reads (its compiled plan), for the C loop.
    const { cachedReader, compileStats } = require(path.join(PKG, 'dist', 'stats', 'reader'));
    const r = cachedReader({});
    const c = compileStats(r.engine, r.context(undefined));
    const files = c.plan.files.map((f) => `${path.relative(CGROOT, f.hierarchy.path) || '.'} ${f.name}`);
    process.stdout.write(JSON.stringify({ files }) + '\n');
    return;
  } else {
    throw new Error(`unknown variant ${variant}`);
  }
  const timed = times.slice(warmup);
  process.stdout.write(JSON.stringify({ n, sweepsMs: timed, medianMs: median(timed), sampleUsage: sample.memory.usage }) + '\n');
}

// ---- the run -------------------------------------------------------------------------------------------------------

/** Descriptors each measuring process may hold: every file of every cgroup held (root may raise the hard limit). */
const NOFILE = 65536;

function runJson(cmd, args, input = '') {
  return new Promise((resolve, reject) => {
    const p = spawn('sh', ['-c', `ulimit -n ${NOFILE} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`, 'sh', cmd, ...args],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${path.basename(cmd)} ${args[0]} exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch (e) {
        reject(new Error(`${path.basename(cmd)}: no JSON (${e.message}): ${out.slice(0, 200)}`));
      }
    });
    p.stdin.end(input);
  });
}

function buildGo(tmp) {
  const gopath = '/usr/share/gocode';
  if (!fs.existsSync(`${gopath}/src/github.com/opencontainers/runc/libcontainer/cgroups/fs`)) {
    return { skip: "runc's Go sources are not installed (apt-get install golang-github-opencontainers-runc-dev)" };
  }
  const bin = path.join(tmp, 'getstats');
  const env = { ...process.env, GO111MODULE: 'off', GOPATH: gopath, GOCACHE: path.join(tmp, 'gocache'), GOFLAGS: '', CGO_ENABLED: '0' };
  try {
    execFileSync('go', ['build', '-o', bin, path.join(__dirname, 'go', 'getstats', 'main.go')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    if (e.code === 'ENOENT') return { skip: 'Go is not installed (apt-get install golang-go)' };
    return { skip: `go build failed: ${String(e.stderr || e.message).trim().split('\n').slice(-3).join(' | ')}` };
  }
  return { bin };
}

async function main() {
  let n = 1000;
  let rounds = 3;
  let sweeps = 5;
  let jsonFile;
  let shard = 300;
  let warmup = 10;
  let perFile = false;
  let cpuOnly = false;
  let base;
  let cpuN = 50;
  eachArg(process.argv.slice(2), (flag, next) => {
    if (flag === '--n') n = Number(next());
    else if (flag === '--rounds') rounds = Number(next());
    else if (flag === '--sweeps') sweeps = Number(next());
    else if (flag === '--json') jsonFile = next();
    else if (flag === '--shard') shard = Number(next());
    else if (flag === '--warmup') warmup = Number(next());
    else if (flag === '--per-file') perFile = true;
    else if (flag === '--cpu-only') cpuOnly = true;
    else if (flag === '--base') base = path.resolve(next());
    else if (flag === '--cpu-n') cpuN = Number(next());
    else if (flag === '--quick') {
      n = 200;
      rounds = 1;
      sweeps = 3;
      warmup = 10;
    }
    else return false;
    return true;
  });
  if (process.getuid && process.getuid() !== 0) throw new Error('bench/container-stats.js needs root (it makes cgroups)');
  if (fs.existsSync(path.join(CGROOT, 'cgroup.controllers'))) throw new Error('a cgroup v1 (hybrid) host is needed');
  const hiers = HIERS.filter((h) => fs.existsSync(path.join(CGROOT, h, 'cgroup.procs')));

  // The tree: <top>/pod-P/crio-<id>, one sleep of ours per pod in its first container (every hierarchy). Container ids
  // are unique, as CRI-O's are (64 hex digits): the managers' handle caches are keyed by container id.
  const top = `cgmgr-bench-ctr-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-ctr-bench-'));
  const sleeps = [];
  const dirs = [];
  const cleanup = () => {
    for (const p of sleeps) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
    for (const d of dirs.slice().reverse()) {
      for (let i = 0; i < 200; i++) {
        try { fs.rmdirSync(d); break; } catch (e) {
          if (e.code === 'ENOENT') break;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        }
      }
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(130));

  const parents = [];
  const ids = [];
  const mk = (rel) => {
    for (const h of hiers) {
      const d = path.join(CGROOT, h, rel);
      fs.mkdirSync(d);
      dirs.push(d);
    }
  };
  mk(top);
  for (let p = 0; p * CTRS_PER_POD < n; p++) {
    mk(`${top}/pod-${p}`);
    for (let c = 0; c < CTRS_PER_POD && p * CTRS_PER_POD + c < n; c++) {
      const id = crypto.createHash('sha256').update(`${top}/${p}/${c}`).digest('hex');
      mk(`${top}/pod-${p}/crio-${id}`);
      parents.push(`/${top}/pod-${p}`);
      ids.push(id);
    }
    const s = spawn('sleep', ['3600'], { stdio: 'ignore' });
    sleeps.push(s);
    await new Promise((resolve, reject) => { s.once('spawn', resolve); s.once('error', reject); });
    for (const h of hiers) fs.writeFileSync(path.join(CGROOT, h, top, `pod-${p}`, `crio-${ids[p * CTRS_PER_POD]}`, 'cgroup.procs'), String(s.pid));
  }
  const rels = ids.map((id, i) => `${parents[i].slice(1)}/crio-${id}`);

  // The two sets measured: every container (a process in each pod's first one), and the containers without a process.
  const all = ids.map((_, i) => i);
  const sets = [
    { key: 'procs', label: `all ${n} containers, a process in every ${CTRS_PER_POD}th`, idx: all },
    { key: 'noProcs', label: `the ${all.filter((i) => i % CTRS_PER_POD !== 0).length} containers without a process`, idx: all.filter((i) => i % CTRS_PER_POD !== 0) },
  ];

  // Shards: every process holds the files of at most `shard` cgroups (RLIMIT_NOFILE is 20000 on this machine kind, the
  // engine holds 3/4 of it, and it cannot be raised without CAP_SYS_RESOURCE); a sweep is the sum of its shards.
  for (const set of sets) {
    set.shards = [];
    for (let i = 0; i < set.idx.length; i += shard) {
      const idx = set.idx.slice(i, i + shard);
      const specFile = path.join(tmp, `spec-${set.key}-${i}.json`);
      fs.writeFileSync(specFile, JSON.stringify({ parents: idx.map((k) => parents[k]), ids: idx.map((k) => ids[k]), warmup, sweeps }));
      set.shards.push({ specFile, input: idx.map((k) => rels[k]).join('\n') + '\n' });
    }
  }
  const nodeWorker = (variant, specFile) => runJson(process.execPath, [__filename, '--worker', variant, specFile]);
  // A sweep of a set: the sum over shards of each shard's median sweep (and of its fastest sweep: on a loaded machine
  // the fastest sweep is the one least disturbed by other processes, so it is printed beside the median).
  const sharded = (set, runOne) => async () => {
    let med = 0;
    let min = 0;
    for (const sh of set.shards) {
      const sweepsMs = (await runOne(sh)).sweepsMs;
      med += median(sweepsMs);
      min += Math.min(...sweepsMs);
    }
    return { med, min };
  };

  const { files } = await nodeWorker('files', sets[0].shards[0].specFile);
  const filesFile = path.join(tmp, 'files.txt');
  fs.writeFileSync(filesFile, files.join('\n') + '\n');
  const cloop = compileC(path.join(__dirname, 'fileloop.c'), tmp);
  const go = buildGo(tmp);

  const variants = [];
  for (const set of sets) {
    const v = (id, label, run) => variants.push({ set, id, key: `${set.key}:${id}`, label, run: sharded(set, run) });
    v('sync', 'cgmgr `containerCgroupStatsSync`, cached handles', (sh) => nodeWorker('sync', sh.specFile));
    v('async', 'cgmgr `await containerCgroupStats`, one per await', (sh) => nodeWorker('async', sh.specFile));
    if (set.key === 'procs') v('statsSync', 'cgmgr `statsSync(path)` (no held handle)', (sh) => nodeWorker('statsSync', sh.specFile));
    v('c', `C loop: held fds + pread + parse, the same ${files.length} files`, (sh) => runJson(cloop, [CGROOT, String(warmup), String(sweeps), filesFile], sh.input));
    if (set.key === 'procs') {
      v('cScan', 'C loop + the call\'s /proc scan (fd dir, readlinkat, prlimit): the same work', (sh) => runJson(cloop, [CGROOT, String(warmup), String(sweeps), filesFile, 'procs-prlimit'], sh.input));
      v('cScanLimits', 'C loop + CRI-O\'s /proc scan (fd dir, readlinkat, the limits file)', (sh) => runJson(cloop, [CGROOT, String(warmup), String(sweeps), filesFile, 'procs'], sh.input));
    }
    if (go.bin) v('go', 'runc `GetStats` (Go, libcontainer/cgroups/fs)', (sh) => runJson(go.bin, [CGROOT, String(warmup), String(sweeps)], sh.input));
  }

  const per = new Map(variants.map((v) => [v.key, []]));
  for (let r = 0; r < (cpuOnly ? 0 : rounds); r++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(k + r) % variants.length];
      per.get(v.key).push(await v.run());
    }
  }
  const usOf = (set, id) => (per.has(`${set.key}:${id}`) ? (median(per.get(`${set.key}:${id}`).map((x) => x.med)) / set.idx.length) * 1000 : NaN);
  const usMinOf = (set, id) => (per.has(`${set.key}:${id}`) ? (Math.min(...per.get(`${set.key}:${id}`).map((x) => x.min)) / set.idx.length) * 1000 : NaN);
  console.log(`per-container stats, N=${n} cgroups (v1: ${hiers.join(', ')}), shards of ${shard}, ${rounds} rounds × ${sweeps} sweeps after ${warmup} untimed, node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(2)}`);
  console.log(`files per call: ${files.length}`);
  if (!go.bin) console.log(`runc GetStats: skipped (${go.skip})`);
  const fmt = (x) => (Number.isNaN(x) ? 'n/a' : x.toFixed(2) + '×');
  const ratios = [];
  const bounds = {};
  for (const set of cpuOnly ? [] : sets) {
    console.log(`\n${set.label}: wall clock`);
    console.log('| variant | µs per container (median) | fastest sweep |');
    console.log('|---|---:|---:|');
    for (const v of variants.filter((x) => x.set === set)) console.log(`| ${v.label} | ${usOf(set, v.id).toFixed(1)} | ${usMinOf(set, v.id).toFixed(1)} |`);
    const ratio = (label, target, ok, a, b) => {
      const x = usOf(set, a) / usOf(set, b);
      const xMin = usMinOf(set, a) / usMinOf(set, b);
      ratios.push({ set: set.key, label, target, value: x, fastestSweeps: xMin, met: Number.isNaN(x) ? null : ok(x) });
      console.log(`| ${label} | ${fmt(x)} | ${fmt(xMin)} | ${target} | ${Number.isNaN(x) ? 'skipped' : ok(x) ? 'met' : 'NOT met'} |`);
    };
    console.log('\n| ratio | value (medians) | fastest sweeps | target | |');
    console.log('|---|---:|---:|---:|---|');
    ratio('runc GetStats / cgmgr sync', '≥ 4', (x) => x >= 4, 'go', 'sync');
    ratio('runc GetStats / cgmgr async', '≥ 4', (x) => x >= 4, 'go', 'async');
    ratio('cgmgr sync / C loop (same files)', '≤ 1.3', (x) => x <= 1.3, 'sync', 'c');
    ratio('cgmgr async / C loop (same files)', '≤ 1.3', (x) => x <= 1.3, 'async', 'c');
    if (set.key === 'procs') {
      ratio('cgmgr sync / C loop + the call\'s /proc scan (same work)', '≤ 1.3', (x) => x <= 1.3, 'sync', 'cScan');
      ratio('cgmgr async / C loop + the call\'s /proc scan (same work)', '≤ 1.3', (x) => x <= 1.3, 'async', 'cScan');
    }
    ratio('cgmgr async / cgmgr sync', '(≈ 1: answered on the calling thread)', () => true, 'async', 'sync');
    if (set.key === 'procs') ratio('cgmgr statsSync(path) / cgmgr sync', '(held handles gain)', () => true, 'statsSync', 'sync');
    // The bound: nothing that reads these files beats the C loop, so runc / C loop caps "runc / cgmgr".
    const bound = usOf(set, 'go') / usOf(set, 'c');
    const boundMin = usMinOf(set, 'go') / usMinOf(set, 'c');
    bounds[set.key] = { bound, boundMin };
    console.log(`\nbound: runc GetStats / C loop = ${fmt(bound)} (fastest sweeps ${fmt(boundMin)}): the most any reader of these ${files.length} files can be faster than runc ` +
      `(runc ≥ 4× needs ${Number.isNaN(bound) ? 'n/a' : bound >= 4 ? 'the call within ' + (bound / 4).toFixed(2) + '× the C loop' : 'fewer files: out of reach here'})`);
  }

  // CPU time per call in one process (robust on a loaded machine: the wall-clock figures above are not), per set.
  const cpuRounds = Math.max(3, rounds * 2);
  const cpu = {};
  for (const set of sets) {
    const idx = set.idx.slice(0, cpuN);
    const cpuSpec = path.join(tmp, `cpu-spec-${set.key}.json`);
    fs.writeFileSync(cpuSpec, JSON.stringify({ parents: idx.map((k) => parents[k]), ids: idx.map((k) => ids[k]), rounds: cpuRounds, cloop, filesFile, base, cpuN }));
    cpu[set.key] = await nodeWorker('cpu', cpuSpec);
  }
  const [cw, cn] = [cpu.procs, cpu.noProcs];
  console.log(`\nCPU time per call (user + system), one process, the first ${cw.n} cgroups of each set, minimum of ${cpuRounds} rounds of ${cw.calls * cw.n} calls (load ${os.loadavg()[0].toFixed(2)}):`);
  console.log(`| | µs, a process in every ${CTRS_PER_POD}th | / C loop | µs, no process | / C loop |`);
  console.log('|---|---:|---:|---:|---:|');
  for (const [label, k] of [['cgmgr `containerCgroupStatsSync`', 'sync'], ['cgmgr `await containerCgroupStats`', 'async'],
    ...(base ? [[`the sync call of --base ${base}`, 'baseSync']] : []),
    ['the native read alone (engine.readSync, held handles)', 'native'], ['C loop (same files)', 'c']]) {
    console.log(`| ${label} | ${cw.usCpu[k].toFixed(1)} | ${(cw.usCpu[k] / cw.usCpu.c).toFixed(2)}× | ${cn.usCpu[k].toFixed(1)} | ${(cn.usCpu[k] / cn.usCpu.c).toFixed(2)}× |`);
  }
  // The loop that also does the call's /proc scan: the like-for-like floor of the set with processes (in the set
  // without, it only parses the empty cgroup.procs).
  for (const [label, k] of [['C loop + the call\'s /proc scan (prlimit): the same work', 'cScan'], ['C loop + CRI-O\'s /proc scan (the limits file)', 'cScanLimits']]) {
    console.log(`| ${label} | ${cw.usCpu[k].toFixed(1)} | ${(cw.usCpu[k] / cw.usCpu.c).toFixed(2)}× | ${cn.usCpu[k].toFixed(1)} | ${(cn.usCpu[k] / cn.usCpu.c).toFixed(2)}× |`);
  }
  const met = (x) => (x <= 1.3 ? 'met' : 'NOT met');
  for (const k of ['sync', 'async']) {
    console.log(`| target: cgmgr ${k} / C loop ≤ 1.3 | | ${met(cw.usCpu[k] / cw.usCpu.c)} | | ${met(cn.usCpu[k] / cn.usCpu.c)} |`);
    // Only the set with processes: without one the scan loop does what the plain loop does.
    console.log(`| target: cgmgr ${k} / C loop + the call's /proc scan ≤ 1.3 (like with like) | ${(cw.usCpu[k] / cw.usCpu.cScan).toFixed(2)}× | ${met(cw.usCpu[k] / cw.usCpu.cScan)} | | (the plain loop's row) |`);
  }

  let fileCosts;
  if (perFile) {
    // Each file alone through the C loop (held fd + pread + parse), one round: what each costs the kernel per container.
    fileCosts = [];
    for (const f of files) {
      const one = path.join(tmp, 'one-file.txt');
      fs.writeFileSync(one, f + '\n');
      const { min } = await sharded(sets[0], (sh) => runJson(cloop, [CGROOT, String(warmup), String(sweeps), one], sh.input))();
      fileCosts.push({ file: f, us: (min / n) * 1000 });
    }
    const total = fileCosts.reduce((a, b) => a + b.us, 0);
    console.log(`\n| file (C loop, alone, fastest sweep) | µs per container | share |`);
    console.log('|---|---:|---:|');
    for (const fc of [...fileCosts].sort((a, b) => b.us - a.us)) console.log(`| ${fc.file} | ${fc.us.toFixed(2)} | ${((100 * fc.us) / total).toFixed(0)}% |`);
    console.log(`| sum of the files alone | ${total.toFixed(1)} | |`);
  }
  if (jsonFile) {
    const usPer = (f) => Object.fromEntries(sets.map((set) => [set.key, Object.fromEntries(variants.filter((v) => v.set === set).map((v) => [v.id, f(set, v.id)]))]));
    fs.writeFileSync(jsonFile, JSON.stringify({ n, rounds, sweeps, warmup, files, usPerContainer: usPer(usOf), usPerContainerFastest: usPer(usMinOf), ratios, bounds, cpu: { procs: cw.usCpu, noProcs: cn.usCpu }, fileCosts }, null, 2) + '\n');
  }
}
