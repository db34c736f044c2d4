#!/usr/bin/env node
/*
 * cgmgr benchmark: the native engine against the C syscall limit and plain Node.js, on real cgroups.
 *
 *   node bench/benchmark.js [--sizes 1000,5000] [--quick] [--rounds R] [--shard 750] [--json FILE]
 *                           [--strace] [--no-micro] [--keep-going]
 *   node bench/benchmark.js --cleanup-stale   (removes trees of benchmark runs that were SIGKILLed)
 *
 * Needs root on a cgroup v1 host (memory, cpu, cpuacct, pids hierarchies under /sys/fs/cgroup). For every N it makes
 * <top>/pod-P/ctr-C (5 containers per pod) in those four hierarchies, with a unique top-level name per run, starts one
 * `sleep` per pod and moves it into ctr-0 in cpu, cpuacct and pids (only processes this benchmark started; the memory
 * cgroups stay empty as in PERF-FACTS). Then it reads the 12-file "collector" set of /work/shared/PERF-FACTS.md with:
 *   - the C loop at the syscall limit (bench/cloop.c: held fds + pread(fd, buf, n, 0) + minimal parse), sharded,
 *     and the same loop with io_uring READ at QD 64 (the measurement that kept io_uring out of the engine);
 *   - the engine, readSync and await read, sharded like the C loop and in one process with its default fd budget;
 *   - Node: held fds + fs.readSync(fd, buf, 0, n, 0) + JS parse (sharded), and fs.readFileSync + JS parse.
 * Every implementation runs in fresh processes, several rounds interleaved; a cell is the median of the per-round
 * values (per-process median sweep time; for ‡k sharded rows the sum of the k shard medians of that round).
 * The tree and the sleeps are always removed: on success, on error, on SIGINT/SIGTERM/SIGHUP.
 *
 * Internal: `node bench/benchmark.js --worker VARIANT --spec FILE` runs one measuring process.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance, monitorEventLoopDelay } = require('node:perf_hooks');
const { CGROOT, BenchTree, preflight, installCleanupHandlers, runCleanup } = require('./lib/cgroup-tree');
const { runJsonProcess, runNodeWorker: runWorkerProcess, runScript, compileC, tmpFile, nofileLimit, shardsOf, runShards } = require('./lib/processes');
const { median, medianRecord } = require('./lib/stats');
const { runMeta, settleCell, ratioBuilder, closeMeta, finishRun, roundOrder } = require('./lib/results');
const { eachArg } = require('./lib/args');
const { fmtMs, variantTable: markdownVariantTable, ratioTable } = require('./lib/markdown');

const HIERS = ['memory', 'cpu', 'cpuacct', 'pids'];
const PIDS_HIERS = ['cpu', 'cpuacct', 'pids'];
const PKG_ROOT = path.resolve(__dirname, '..');
const LIST_CAP = 64;
const BUF_SIZE = 64 * 1024;

// The 12-file collector set (PERF-FACTS), in one order shared by every variant (and bench/cloop.c).
const MEMSTAT_KEYS = ['cache', 'rss', 'total_rss', 'total_cache', 'total_inactive_file', 'total_mapped_file', 'mapped_file', 'pgfault'];
const FILES = [
  { h: 'memory', name: 'memory.stat', kind: 'keyed', keys: MEMSTAT_KEYS, engine: { format: 'flatKeyed', keys: MEMSTAT_KEYS } },
  { h: 'memory', name: 'memory.usage_in_bytes', kind: 'single', engine: { format: 'single' } },
  { h: 'memory', name: 'memory.limit_in_bytes', kind: 'single', engine: { format: 'single' } },
  { h: 'memory', name: 'memory.max_usage_in_bytes', kind: 'single', engine: { format: 'single' } },
  { h: 'memory', name: 'memory.failcnt', kind: 'single', engine: { format: 'single' } },
  { h: 'memory', name: 'memory.memsw.usage_in_bytes', kind: 'single', engine: { format: 'single' } },
  { h: 'cpuacct', name: 'cpuacct.usage', kind: 'single', engine: { format: 'single' } },
  { h: 'cpuacct', name: 'cpuacct.usage_percpu', kind: 'list', engine: { format: 'list', cap: LIST_CAP } },
  { h: 'cpuacct', name: 'cpuacct.stat', kind: 'keyed', keys: ['user', 'system'], engine: { format: 'cpuacctStat' } },
  { h: 'cpu', name: 'cpu.stat', kind: 'keyed', keys: ['nr_periods', 'nr_throttled', 'throttled_time'], engine: { format: 'flatKeyed', keys: ['nr_periods', 'nr_throttled', 'throttled_time'] } },
  { h: 'pids', name: 'pids.current', kind: 'single', engine: { format: 'single' } },
  { h: 'pids', name: 'pids.max', kind: 'single', engine: { format: 'single' } },
];
// Slot layout of a JS row (same as cloop.c): singles 1, keyed nkeys, list 1 + cap.
let SLOTS = 0;
for (const f of FILES) {
  f.slot = SLOTS;
  f.nslots = f.kind === 'single' ? 1 : f.kind === 'list' ? 1 + LIST_CAP : f.keys.length;
  f.keyBufs = (f.keys || []).map((k) => Buffer.from(k, 'latin1'));
  SLOTS += f.nslots;
}
const ENGINE_SPEC = FILES.map((f) => ({ controller: f.h, name: f.name, ...f.engine }));


// ---------------------------------------------------------------------------------------------------------------
// JS parsers (bytes in, numbers into a Float64Array row): the same minimal parse as cloop.c.

function parseSingle(b, n, out, o) {
  let i = 0;
  while (i < n && (b[i] === 32 || b[i] === 9)) i++;
  if (i + 2 < n && b[i] === 109 && b[i + 1] === 97 && b[i + 2] === 120) { out[o] = Infinity; return 0; }
  let v = 0;
  const s = i;
  for (; i < n; i++) {
    const c = b[i] - 48;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
  }
  if (i === s) return 1;
  out[o] = v;
  return 0;
}

function parseList(b, n, out, o, cap) {
  let i = 0;
  let count = 0;
  while (count < cap) {
    while (i < n && (b[i] === 32 || b[i] === 10 || b[i] === 9)) i++;
    if (i >= n) break;
    const s = i;
    let v = 0;
    for (; i < n; i++) {
      const c = b[i] - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
    }
    if (i === s) return 1;
    out[o + 1 + count++] = v;
  }
  out[o] = count;
  return 0;
}

function parseKeyed(b, n, out, o, keys) {
  let i = 0;
  const nk = keys.length;
  while (i < n) {
    const ks = i;
    while (i < n && b[i] !== 32) i++;
    const klen = i - ks;
    let k = -1;
    for (let j = 0; j < nk; j++) {
      const key = keys[j];
      if (key.length !== klen) continue;
      let m = 0;
      while (m < klen && key[m] === b[ks + m]) m++;
      if (m === klen) { k = j; break; }
    }
    i++;
    if (k >= 0) {
      const s = i;
      let v = 0;
      for (; i < n; i++) {
        const c = b[i] - 48;
        if (c < 0 || c > 9) break;
        v = v * 10 + c;
      }
      if (i === s) return 1;
      out[o + k] = v;
    }
    while (i < n && b[i] !== 10) i++;
    i++;
  }
  return 0;
}

function parseFile(f, b, n, out, o) {
  switch (f.kind) {
    case 'single': return parseSingle(b, n, out, o + f.slot);
    case 'list': return parseList(b, n, out, o + f.slot, LIST_CAP);
    default: return parseKeyed(b, n, out, o + f.slot, f.keyBufs);
  }
}

// A row in one canonical shape for the cross-check of parsed values between variants.
function canonicalRow(get) {
  // get(fileIndex, k) -> number | undefined
  const r = {};
  const g = get;
  get = (fi, k) => {
    const v = g(fi, k);
    return v === Infinity ? 'max' : v;
  };
  FILES.forEach((f, fi) => {
    if (f.kind === 'single') r[f.name] = get(fi, 0);
    else if (f.kind === 'list') r[f.name + '#count'] = get(fi, 0);
    else f.keys.forEach((k, ki) => { r[`${f.name}:${k}`] = get(fi, ki); });
  });
  return r;
}
function jsRowCanonical(row) {
  return canonicalRow((fi, k) => row[FILES[fi].slot + k]);
}

// ---------------------------------------------------------------------------------------------------------------
// Workers: one measuring process each.

async function worker(variant, specFile) {
  const spec = JSON.parse(fs.readFileSync(specFile, 'utf8'));
  const { rels, warmup, sweeps } = spec;
  const n = rels.length;
  let out;
  switch (variant) {
    case 'node-held': out = workerNodeHeld(rels, warmup, sweeps); break;
    case 'readfile': out = workerReadFile(rels, warmup, sweeps); break;
    case 'engine-sync':
    case 'engine-async':
      out = await workerEngine(rels, warmup, sweeps, variant === 'engine-async', spec); break;
    case 'micro': out = await workerMicro(rels[0], spec); break;
    default: throw new Error(`unknown worker variant ${variant}`);
  }
  out.n = n;
  process.stdout.write(JSON.stringify(out) + '\n');
}

function filePath(rel, f) {
  return `${CGROOT}/${f.h}/${rel}/${f.name}`;
}

function workerNodeHeld(rels, warmup, sweeps) {
  const n = rels.length;
  const nf = FILES.length;
  const fds = new Int32Array(n * nf).fill(-1);
  const retry = []; // [cgroup index, file index, path] of files that were ENOENT at setup
  const t0 = performance.now();
  let held = 0;
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < nf; f++) {
      const p = filePath(rels[i], FILES[f]);
      try {
        fds[i * nf + f] = fs.openSync(p, 'r');
        held++;
      } catch (e) {
        if (e.code !== 'ENOENT') throw e;
        retry.push([i, f, p]);
      }
    }
  }
  const openMs = performance.now() - t0;
  const buf = Buffer.allocUnsafe(BUF_SIZE);
  const rows = new Float64Array(n * SLOTS);
  const times = [];
  let errors = 0;
  let enoent = 0;
  const retryByCg = new Map();
  for (const r of retry) {
    if (!retryByCg.has(r[0])) retryByCg.set(r[0], []);
    retryByCg.get(r[0]).push(r);
  }
  let cpu0;
  for (let s = 0; s < warmup + sweeps; s++) {
    if (s === warmup) cpu0 = process.cpuUsage();
    errors = 0;
    enoent = 0;
    const a = performance.now();
    for (let i = 0; i < n; i++) {
      const o = i * SLOTS;
      const base = i * nf;
      for (let f = 0; f < nf; f++) {
        const fd = fds[base + f];
        if (fd < 0) continue;
        const r = fs.readSync(fd, buf, 0, BUF_SIZE, 0);
        if (parseFile(FILES[f], buf, r, rows, o) !== 0) errors++;
      }
      if (retryByCg.size !== 0) {
        const list = retryByCg.get(i);
        if (list !== undefined) {
          for (const [, f, p] of list) {
            // The cheapest absent-file probe Node has: statx without an exception object.
            if (fs.statSync(p, { throwIfNoEntry: false }) === undefined) { enoent++; continue; }
            const fd = fs.openSync(p, 'r');
            const r = fs.readSync(fd, buf, 0, BUF_SIZE, 0);
            fs.closeSync(fd);
            if (parseFile(FILES[f], buf, r, rows, o) !== 0) errors++;
          }
        }
      }
    }
    times.push(performance.now() - a);
  }
  const cpu = process.cpuUsage(cpu0);
  return { openMs, heldFds: held, errors, enoent, userUs: cpu.user, sysUs: cpu.system, sweepsMs: times.slice(warmup), row0: jsRowCanonical(rows.subarray(0, SLOTS)) };
}

function workerReadFile(rels, warmup, sweeps) {
  const n = rels.length;
  const nf = FILES.length;
  const paths = [];
  for (let i = 0; i < n; i++) for (let f = 0; f < nf; f++) paths.push(filePath(rels[i], FILES[f]));
  const rows = new Float64Array(n * SLOTS);
  const times = [];
  let errors = 0;
  let enoent = 0;
  let cpu0;
  for (let s = 0; s < warmup + sweeps; s++) {
    if (s === warmup) cpu0 = process.cpuUsage();
    errors = 0;
    enoent = 0;
    const a = performance.now();
    for (let i = 0; i < n; i++) {
      const o = i * SLOTS;
      for (let f = 0; f < nf; f++) {
        let b;
        try {
          b = fs.readFileSync(paths[i * nf + f]);
        } catch (e) {
          if (e.code === 'ENOENT') enoent++;
          else errors++;
          continue;
        }
        if (parseFile(FILES[f], b, b.length, rows, o) !== 0) errors++;
      }
    }
    times.push(performance.now() - a);
  }
  const cpu = process.cpuUsage(cpu0);
  return { openMs: 0, heldFds: 0, errors, enoent, userUs: cpu.user, sysUs: cpu.system, sweepsMs: times.slice(warmup), row0: jsRowCanonical(rows.subarray(0, SLOTS)) };
}

function loadEngine() {
  return require(path.join(PKG_ROOT, 'dist', 'engine'));
}

async function workerEngine(rels, warmup, sweeps, async, spec) {
  const { Engine } = loadEngine();
  const n = rels.length;
  const eng = new Engine();
  const t0 = performance.now();
  const ids = new Uint32Array(n);
  for (let i = 0; i < n; i++) ids[i] = eng.open(rels[i]);
  const plan = eng.plan(ENGINE_SPEC);
  const res = eng.result(plan, n);
  const openMs = performance.now() - t0;
  const times = [];
  let firstSweepMs = 0;
  let cpu0;
  for (let s = 0; s < warmup + sweeps; s++) {
    if (s === warmup) cpu0 = process.cpuUsage();
    const a = performance.now();
    if (async) await eng.read(plan, ids, res);
    else eng.readSync(plan, ids, res);
    const t = performance.now() - a;
    if (s === 0) firstSweepMs = t;
    times.push(t);
  }
  const cpu = process.cpuUsage(cpu0);
  // What the last sweep read: every file ok, absent (ENOENT on a live cgroup), or an error.
  let ok = 0;
  let enoent = 0;
  let errors = 0;
  const errorKinds = {};
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < FILES.length; f++) {
      if (res.ok(r, f)) ok++;
      else if (res.absent(r, f)) enoent++;
      else {
        errors++;
        const e = res.error(r, f);
        const k = e ? e.code : 'unknown';
        errorKinds[k] = (errorKinds[k] || 0) + 1;
      }
    }
    if (res.itemStatus[r] !== 0) errors++;
  }
  const usage = eng.usage();
  let heldDirs = 0;
  for (let i = 0; i < n; i++) {
    const info = eng.info(ids[i]);
    if (info) heldDirs += info.held.filter(Boolean).length;
  }
  const row0 = canonicalRow((fi, k) => {
    const v = res.get(0, fi, FILES[fi].kind === 'list' ? 0 : k);
    return v === undefined ? undefined : Number(v);
  });
  const out = {
    openMs, firstSweepMs, heldFds: usage.heldFds, heldDirs, fdBudget: usage.fdBudget, hierarchies: usage.hierarchies,
    ok, enoent, errors, errorKinds, userUs: cpu.user, sysUs: cpu.system, sweepsMs: times.slice(warmup), row0,
  };
  if (async && spec.probe) out.loop = await eventLoopProbe(eng, plan, ids, res, spec.probe);
  if (!async && spec.probe) out.syncBlockMs = median(times.slice(warmup));
  eng.destroy();
  return out;
}

// What the event loop gets while `await engine.read()` runs, in two settings, a few probe sweeps each:
//  - idle: only a 1 ms setInterval and monitorEventLoopDelay (1 ms resolution) run: how late do timers fire?
//  - busy: the JS thread also spins setImmediate callbacks: how many ticks does it get, and the longest gap between
//    two ticks (a 2-vCPU host: the worker and the JS thread compete with everything else on the machine). Every loop
//    turn is an epoll_wait(0) syscall, so this is also a syscall-heavy JS thread.
//  - cpu: the JS thread computes in 1 ms slices between setImmediate ticks: a CPU-bound JS thread with few syscalls.
async function eventLoopProbe(eng, plan, ids, res, sweeps) {
  const one = async (mode) => {
    const busy = mode !== 'idle';
    const h = monitorEventLoopDelay({ resolution: 1 });
    let ticks = 0;
    let maxGap = 0;
    let last = 0;
    let running = true;
    let sink = 0;
    const tick = () => {
      let t = performance.now();
      if (t - last > maxGap) maxGap = t - last;
      ticks++;
      if (mode === 'cpu') {
        const end = t + 1;
        while (t < end) {
          for (let i = 0; i < 2000; i++) sink = (sink * 31 + i) | 0;
          t = performance.now();
        }
      }
      last = t;
      if (running) setImmediate(tick);
    };
    let timerFires = 0;
    let lastFire = 0;
    let maxTimerGap = 0;
    const timer = setInterval(() => {
      const t = performance.now();
      if (t - lastFire > maxTimerGap) maxTimerGap = t - lastFire;
      lastFire = t;
      timerFires++;
    }, 1);
    h.enable();
    const a = performance.now();
    last = a;
    lastFire = a;
    if (busy) setImmediate(tick);
    await eng.read(plan, ids, res);
    const sweepMs = performance.now() - a;
    running = false;
    h.disable();
    clearInterval(timer);
    await new Promise((r) => setTimeout(r, 5));
    return {
      sweepMs, ticks, ticksPerMs: ticks / sweepMs, maxGapMs: busy ? maxGap : NaN, timerFires, maxTimerGapMs: maxTimerGap,
      eldP50Ms: h.percentile(50) / 1e6, eldP99Ms: h.percentile(99) / 1e6, eldMaxMs: h.max / 1e6,
    };
  };
  const runs = { idle: [], busy: [], cpu: [] };
  for (let s = 0; s < sweeps; s++) {
    for (const mode of Object.keys(runs)) runs[mode].push(await one(mode));
  }
  return { sweeps, idle: medianRecord(runs.idle), busy: medianRecord(runs.busy), cpu: medianRecord(runs.cpu) };
}

// The `benchmark` package on the single-cgroup case: engine readSync of 1 cgroup vs readFileSync of the same 12
// files (and Node held-fd readSync, and the async engine call for its fixed cost).
async function workerMicro(rel, spec) {
  const Benchmark = require('benchmark');
  const { Engine } = loadEngine();
  const eng = new Engine();
  const ids = new Uint32Array([eng.open(rel)]);
  const plan = eng.plan(ENGINE_SPEC);
  const res = eng.result(plan, 1);
  eng.readSync(plan, ids, res);
  const row = new Float64Array(SLOTS);
  const paths = FILES.map((f) => filePath(rel, f));
  const fds = paths.map((p) => { try { return fs.openSync(p, 'r'); } catch { return -1; } });
  const buf = Buffer.allocUnsafe(BUF_SIZE);
  const opts = { maxTime: spec.maxTime, minSamples: 5 };
  const suite = new Benchmark.Suite('1 cgroup, 12 files');
  suite.add('engine readSync (1 cgroup)', () => { eng.readSync(plan, ids, res); }, opts);
  suite.add('engine await read (1 cgroup)', {
    ...opts, defer: true,
    fn: (deferred) => { eng.read(plan, ids, res).then(() => deferred.resolve()); },
  });
  suite.add('Node held-fd readSync + parse (12 fds)', () => {
    for (let f = 0; f < FILES.length; f++) {
      if (fds[f] < 0) continue;
      const r = fs.readSync(fds[f], buf, 0, BUF_SIZE, 0);
      parseFile(FILES[f], buf, r, row, 0);
    }
  }, opts);
  suite.add('Node readFileSync + parse (12 files)', () => {
    for (let f = 0; f < FILES.length; f++) {
      let b;
      try { b = fs.readFileSync(paths[f]); } catch { continue; }
      parseFile(FILES[f], b, b.length, row, 0);
    }
  }, opts);
  const results = [];
  await new Promise((resolve) => {
    suite.on('cycle', (ev) => {
      const t = ev.target;
      results.push({ name: t.name, hz: t.hz, meanUs: t.stats.mean * 1e6, rme: t.stats.rme, samples: t.stats.sample.length });
    });
    suite.on('complete', resolve);
    suite.run({ async: true });
  });
  eng.destroy();
  return { results };
}

// ---------------------------------------------------------------------------------------------------------------
// Orchestrator state and cleanup (idempotent, synchronous: usable from exit and signal handlers).

const tree = new BenchTree({ name: 'benchmark', prefix: 'cgmgr-bench', hierarchies: HIERS, sleepHierarchies: PIDS_HIERS });
const scratch = { tmp: null }; // this run's temporary directory (specs, binaries)
const cleanupAll = runCleanup(tree, scratch);

// ---------------------------------------------------------------------------------------------------------------
// Running measuring processes.

function runNodeWorker(variant, spec, timeoutMs = 180000, wrap = null) {
  return runWorkerProcess(__filename, scratch.tmp, variant, spec, { timeoutMs, wrap });
}

async function runC(bin, rels, warmup, sweeps, wrap = null, mode = 'pread') {
  const args = [bin, CGROOT, String(warmup), String(sweeps), mode, '64'];
  const cmd = wrap ? [...wrap, ...args] : args;
  return runJsonProcess(cmd[0], cmd.slice(1), { input: rels.join('\n') + '\n', timeoutMs: 180000 });
}

// The variants of the main table. kind: how a process is run; sharded: ‡k like PERF-FACTS.
const VARIANTS = [
  { id: 'c', label: 'C held-fd pread+parse', kind: 'c', sharded: true },
  { id: 'c-uring', label: 'C held-fd io_uring READ QD64+parse (reference)', kind: 'c', cmode: 'uring', sharded: true },
  { id: 'engine-sync-shard', label: 'engine readSync', kind: 'engine-sync', sharded: true },
  { id: 'engine-async-shard', label: 'engine await read', kind: 'engine-async', sharded: true },
  { id: 'engine-sync', label: 'engine readSync, 1 process, default fd budget', kind: 'engine-sync', sharded: false },
  { id: 'engine-async', label: 'engine await read, 1 process, default fd budget', kind: 'engine-async', sharded: false, probe: true },
  { id: 'node-held', label: 'Node held-fd readSync pos0 + JS parse', kind: 'node-held', sharded: true },
  { id: 'readfile', label: 'Node readFileSync + JS parse', kind: 'readfile', sharded: false },
];

function sweepCounts(n, quick) {
  if (quick) return n <= 200 ? { warmup: 2, sweeps: 9 } : { warmup: 1, sweeps: 5 };
  if (n <= 200) return { warmup: 3, sweeps: 21 };
  if (n <= 1000) return { warmup: 3, sweeps: 11 };
  return { warmup: 2, sweeps: 5 };
}

async function runVariantOnce(v, rels, counts, opts) {
  const measured = await runShards(rels, opts.shard, v.sharded, (s) => {
    if (v.kind === 'c') return runC(opts.cbin, s, counts.warmup, counts.sweeps, null, v.cmode);
    return runNodeWorker(v.kind, { rels: s, warmup: counts.warmup, sweeps: counts.sweeps, probe: v.probe ? opts.probeSweeps : 0 });
  });
  const perSweep = (k) => measured.procs.reduce((a, p) => a + (p[k] || 0) / p.sweepsMs.length, 0);
  return { ...measured, userUs: perSweep('userUs'), sysUs: perSweep('sysUs') };
}

// ---------------------------------------------------------------------------------------------------------------
// strace: syscalls per cgroup per sweep = (calls with warm-up + S sweeps) − (calls with warm-up only), / (S × n).

function parseStraceC(file) {
  const calls = {};
  const errors = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const t = line.trim().split(/\s+/);
    if (t.length < 5 || !/^[\d.]+$/.test(t[0]) || !/^\d+$/.test(t[3])) continue;
    const name = t[t.length - 1];
    if (name === 'total') continue;
    calls[name] = Number(t[3]);
    errors[name] = t.length >= 6 && /^\d+$/.test(t[4]) ? Number(t[4]) : 0;
  }
  return { calls, errors };
}

async function straceVariant(run, n, sweeps) {
  const f0 = tmpFile(scratch.tmp, 'strace0', 'txt');
  const f1 = tmpFile(scratch.tmp, 'strace1', 'txt');
  await run(['strace', '-f', '-c', '-o', f0], 0);
  await run(['strace', '-f', '-c', '-o', f1], sweeps);
  const a = parseStraceC(f0);
  const b = parseStraceC(f1);
  const per = {};
  const perErr = {};
  let total = 0;
  for (const k of new Set([...Object.keys(a.calls), ...Object.keys(b.calls)])) {
    const d = ((b.calls[k] || 0) - (a.calls[k] || 0)) / (sweeps * n);
    const de = ((b.errors[k] || 0) - (a.errors[k] || 0)) / (sweeps * n);
    if (Math.abs(d) >= 0.01) {
      per[k] = Math.round(d * 100) / 100;
      if (de >= 0.01) perErr[k] = Math.round(de * 100) / 100;
      total += d;
    }
  }
  return { n, sweeps, perCgroup: per, errorsPerCgroup: perErr, total: Math.round(total * 100) / 100 };
}

async function runStrace(rels, opts) {
  const shard = shardsOf(rels, opts.shard)[0];
  const S = 3;
  const out = {};
  out.c = await straceVariant((wrap, s) => runC(opts.cbin, shard, 1, s, wrap), shard.length, S);
  out['c-uring'] = await straceVariant((wrap, s) => runC(opts.cbin, shard, 1, s, wrap, 'uring'), shard.length, S);
  out['engine-sync-shard'] = await straceVariant((wrap, s) => runNodeWorker('engine-sync', { rels: shard, warmup: 1, sweeps: s }, 300000, wrap), shard.length, S);
  out['engine-sync'] = await straceVariant((wrap, s) => runNodeWorker('engine-sync', { rels, warmup: 1, sweeps: s }, 300000, wrap), rels.length, S);
  out['node-held'] = await straceVariant((wrap, s) => runNodeWorker('node-held', { rels: shard, warmup: 1, sweeps: s }, 300000, wrap), shard.length, S);
  out.readfile = await straceVariant((wrap, s) => runNodeWorker('readfile', { rels: shard, warmup: 1, sweeps: s }, 300000, wrap), shard.length, S);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Report.


function crossCheck(rowsByVariant) {
  // Compare the stable values of row 0 (pod-0/ctr-0) between variants; cpuacct.usage may move, skip it.
  const names = Object.keys(rowsByVariant);
  if (names.length < 2) return { ok: true, compared: names, mismatches: [] };
  const ref = rowsByVariant[names[0]];
  const mismatches = [];
  const norm = (v) => (v === undefined || v === null ? 'absent' : v === 'max' || v >= 1.8e19 ? 'max' : Number(v));
  for (const name of names.slice(1)) {
    const row = rowsByVariant[name];
    for (const k of Object.keys(ref)) {
      if (k === 'cpuacct.usage') continue;
      const a = norm(ref[k]);
      const b = norm(row[k]);
      const same = typeof a === 'number' && typeof b === 'number' ? Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a)) : a === b;
      if (!same) mismatches.push(`${names[0]} vs ${name}: ${k} ${a} != ${b}`);
    }
  }
  return { ok: mismatches.length === 0, compared: names, mismatches };
}

function cRowCanonical(arr) {
  if (!Array.isArray(arr) || arr.length === 0) return null;
  return canonicalRow((fi, k) => arr[FILES[fi].slot + k]);
}

function buildReport(results, meta) {
  const sizes = meta.sizes;
  const lines = [];
  // One row per variant, one column per N: format(r) renders a variant's result at one N ('–' when it has none).
  const variantTable = (format) => {
    lines.push(...markdownVariantTable(VARIANTS, sizes, (v, n) => {
      const r = results.variants[v.id] && results.variants[v.id].perN[n];
      return (r && format(r)) || '–';
    }));
  };
  lines.push(`## cgmgr benchmark: ms per sweep · µs per cgroup (12-file collector set)`);
  lines.push('');
  lines.push(`${meta.date} · Linux ${meta.kernel} · Node ${meta.node} · ${meta.cpus} vCPU · RLIMIT_NOFILE ${meta.nofile} · ` +
    `${meta.rounds} rounds · shard ≤ ${meta.shard} cgroups · memsw files ${meta.memswPresent ? 'present' : 'absent (ENOENT)'} · ` +
    `load average ${meta.loadavg.start.join(' ')} at start, ${meta.loadavg.end.join(' ')} at end`);
  lines.push('');
  variantTable((r) => {
    if (!Number.isFinite(r.ms)) return r.error ? 'failed' : null;
    const sh = r.shards > 1 ? ` ‡${r.shards}` : '';
    return `${fmtMs(r.ms)} ms · ${(r.usPerCg).toFixed(1)} µs${sh}`;
  });
  lines.push('');
  lines.push(`‡k: k processes run one after another, each holding a slice of ≤ ${meta.shard} cgroups; sweep = sum of shard medians. ` +
    'Cell = median over rounds of the per-process median sweep.');
  lines.push('');
  lines.push('### Ratios');
  lines.push('');
  lines.push(...ratioTable(results.ratios, sizes));
  lines.push('');
  lines.push('### Spread: min / median / max of the per-round values (ms per sweep)');
  lines.push('');
  variantTable((r) => (r.rounds.length ? `${fmtMs(Math.min(...r.rounds))} / ${fmtMs(r.ms)} / ${fmtMs(Math.max(...r.rounds))}` : null));
  lines.push('');
  lines.push('### CPU time per cgroup per sweep: user µs / system µs (getrusage / process.cpuUsage over the timed sweeps, whole process)');
  lines.push('');
  variantTable((r) => (Number.isFinite(r.userUsPerCg) ? `${r.userUsPerCg.toFixed(1)} / ${r.sysUsPerCg.toFixed(1)}` : null));
  lines.push('');
  lines.push('### Engine descriptors and read status (last sweep of one process)');
  lines.push('');
  lines.push('| engine process | N | fd budget | held fds | held dir fds | held file fds | files ok | ENOENT | errors | first sweep ms |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const id of ['engine-sync-shard', 'engine-sync']) {
    for (const n of sizes) {
      const r = results.variants[id] && results.variants[id].perN[n];
      if (!r || !r.sample) continue;
      const s = r.sample;
      lines.push(`| ${id === 'engine-sync' ? '1 process' : 'shard 1 of ' + r.shards} | ${s.n} | ${s.fdBudget} | ${s.heldFds} | ${s.heldDirs} | ${s.heldFds - s.heldDirs} | ${s.ok} | ${s.enoent} | ${s.errors}${s.errors ? ' ' + JSON.stringify(s.errorKinds) : ''} | ${fmtMs(s.firstSweepMs)} |`);
    }
  }
  lines.push('');
  lines.push('### Event loop during one `await engine.read()` sweep of all N (1 process)');
  lines.push('');
  lines.push('idle = only a 1 ms setInterval + monitorEventLoopDelay run during the read; busy = the JS thread also spins ' +
    'setImmediate (one epoll_wait syscall per turn); cpu = the JS thread computes in 1 ms slices between setImmediate turns. ' +
    'readSync blocks the loop for a whole sweep (last column).');
  lines.push('');
  lines.push('| N | loop | async sweep ms | 1 ms timer fires | longest timer gap ms | ELD p50 / p99 / max ms | setImmediate ticks (ticks/ms) | longest tick gap ms | readSync sweep ms (loop blocked) |');
  lines.push('|---|---|---|---|---|---|---|---|---|');
  for (const n of sizes) {
    const l = results.eventLoop[n];
    if (!l) continue;
    const syncMs = results.variants['engine-sync'] && results.variants['engine-sync'].perN[n] ? results.variants['engine-sync'].perN[n].ms : NaN;
    for (const mode of ['idle', 'busy', 'cpu']) {
      const m = l[mode];
      lines.push(`| ${n} | ${mode} | ${fmtMs(m.sweepMs)} | ${Math.round(m.timerFires)} | ${m.maxTimerGapMs.toFixed(2)} | ` +
        `${m.eldP50Ms.toFixed(2)} / ${m.eldP99Ms.toFixed(2)} / ${m.eldMaxMs.toFixed(2)} | ` +
        `${mode !== 'idle' ? `${Math.round(m.ticks)} (${m.ticksPerMs.toFixed(1)})` : '–'} | ${mode !== 'idle' ? m.maxGapMs.toFixed(2) : '–'} | ${fmtMs(syncMs)} |`);
    }
  }
  if (results.micro) {
    lines.push('');
    lines.push(`### Single cgroup (benchmark.js, ${results.micro.cgroup})`);
    lines.push('');
    lines.push('| case | µs per call | ops/s | ±rme | samples |');
    lines.push('|---|---|---|---|---|');
    for (const m of results.micro.results) lines.push(`| ${m.name} | ${m.meanUs.toFixed(1)} | ${Math.round(m.hz)} | ${m.rme.toFixed(1)}% | ${m.samples} |`);
  }
  for (const [n, runs] of Object.entries(results.strace || {})) {
    lines.push('');
    lines.push(`### Syscalls per cgroup per sweep (strace -f -c, N=${n}: calls with 1+3 sweeps minus calls with 1+0, / 3 / cgroups)`);
    lines.push('');
    lines.push('| implementation | cgroups in the process | total | by syscall (of which errors) |');
    lines.push('|---|---|---|---|');
    for (const [id, s] of Object.entries(runs)) {
      const by = Object.entries(s.perCgroup).sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}${s.errorsPerCgroup[k] ? ` (${s.errorsPerCgroup[k]} err)` : ''}`).join(', ');
      lines.push(`| ${id} | ${s.n} | ${s.total} | ${by} |`);
    }
  }
  lines.push('');
  lines.push(`cross-check of parsed values (pod-0/ctr-0): ${results.crossCheck.ok ? 'OK' : 'MISMATCH'} (${results.crossCheck.compared.join(', ')})`);
  for (const m of results.crossCheck.mismatches.slice(0, 10)) lines.push(`  - ${m}`);
  return lines.join('\n');
}


function parseArgs(argv) {
  const o = { sizes: null, quick: false, rounds: null, shard: 750, json: null, strace: false, micro: true, keepGoing: false };
  eachArg(argv, (a, next) => {
    if (a === '--sizes') o.sizes = next().split(',').map((s) => parseInt(s, 10));
    else if (a === '--quick') o.quick = true;
    else if (a === '--rounds') o.rounds = parseInt(next(), 10);
    else if (a === '--shard') o.shard = parseInt(next(), 10);
    else if (a === '--json') o.json = next();
    else if (a === '--strace') o.strace = true;
    else if (a === '--no-micro') o.micro = false;
    else if (a === '--keep-going') o.keepGoing = true;
    else if (a === '-h' || a === '--help') {
      { const l = fs.readFileSync(__filename, 'utf8').split('\n'); process.stdout.write(l.slice(1, l.indexOf(' */')).join('\n') + '\n'); }
      process.exit(0);
    } else return false;
    return true;
  });
  if (!o.sizes) o.sizes = o.quick ? [200, 1000] : [1000, 5000];
  if (o.sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 100000)) throw new Error('--sizes must be positive integers');
  if (!o.rounds) o.rounds = 3;
  if (!Number.isInteger(o.shard) || o.shard < 1) throw new Error('--shard must be a positive integer');
  return o;
}

async function main() {
  if (process.argv.includes('--cleanup-stale')) {
    preflight(HIERS, 'the benchmark');
    tree.cleanupStale('benchmark.js');
    return;
  }
  const opts = parseArgs(process.argv.slice(2));
  preflight(HIERS, 'the benchmark');
  installCleanupHandlers('benchmark', cleanupAll);
  const started = performance.now();
  scratch.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-bench-'));
  tree.claimTop();
  opts.cbin = compileC(path.join(__dirname, 'cloop.c'), scratch.tmp);
  opts.probeSweeps = opts.quick ? 2 : 3;

  const nofile = nofileLimit();
  const meta = {
    ...runMeta(nofile), sizes: opts.sizes, rounds: opts.rounds, shard: opts.shard, quick: opts.quick, top: tree.top, memswPresent: null,
    sweeps: {}, tree: {},
  };
  const results = { meta, variants: {}, ratios: [], eventLoop: {}, micro: null, strace: null, crossCheck: null, failures: [] };
  for (const v of VARIANTS) results.variants[v.id] = { label: v.label, sharded: v.sharded, perN: {} };
  const rowsForCheck = {};
  const disabled = new Set();

  for (const n of opts.sizes) {
    const counts = sweepCounts(n, opts.quick);
    meta.sweeps[n] = counts;
    process.stderr.write(`N=${n}: making the tree (${tree.top}) ... `);
    const made = tree.makeTree(n);
    meta.tree[n] = made;
    process.stderr.write(`${made.dirs} dirs in ${made.mkdirMs.toFixed(0)} ms, ${made.sleeps} sleeps in ${made.sleepSetupMs.toFixed(0)} ms\n`);
    const rels = tree.relPaths(n);
    if (meta.memswPresent === null) meta.memswPresent = fs.existsSync(`${CGROOT}/memory/${rels[0]}/memory.memsw.usage_in_bytes`);
    try {
      for (let round = 0; round < opts.rounds; round++) {
        for (const v of roundOrder(VARIANTS, round)) {
          if (disabled.has(v.id)) continue;
          const slot = results.variants[v.id].perN[n] ||= { rounds: [], shards: 0, allSweeps: [], procMedians: [] };
          const t = performance.now();
          try {
            const r = await runVariantOnce(v, rels, counts, opts);
            slot.rounds.push(r.ms);
            (slot.userUs ||= []).push(r.userUs);
            (slot.sysUs ||= []).push(r.sysUs);
            slot.shards = r.shards;
            for (const p of r.procs) { slot.allSweeps.push(...p.sweepsMs); slot.procMedians.push(p.medianMs); }
            const p0 = r.procs[0];
            if (!slot.sample) {
              slot.sample = { n: p0.n, fdBudget: p0.fdBudget, heldFds: p0.heldFds, heldDirs: p0.heldDirs, ok: p0.ok, enoent: p0.enoent, errors: p0.errors, errorKinds: p0.errorKinds, firstSweepMs: p0.firstSweepMs, openMs: p0.openMs };
            }
            if (p0.loop) (slot.loops ||= []).push(p0.loop);
            if (round === 0 && n === opts.sizes[0]) {
              const row = v.kind === 'c' ? cRowCanonical(p0.row0) : p0.row0;
              if (v.kind === 'c' && p0.mode !== (v.cmode || 'pread')) throw new Error(`cloop ran ${p0.mode}`);
              if (row) rowsForCheck[v.id] = row;
            }
            const errs = r.procs.reduce((a, p) => a + (p.errors || 0), 0);
            if (errs) slot.readErrors = (slot.readErrors || 0) + errs;
            process.stderr.write(`  N=${n} round ${round + 1}/${opts.rounds} ${v.id.padEnd(18)} ${fmtMs(r.ms).padStart(8)} ms/sweep` +
              `${r.shards > 1 ? ` (‡${r.shards})` : ''}${errs ? ` [${errs} read errors]` : ''}  (${((performance.now() - t) / 1000).toFixed(1)} s)\n`);
          } catch (e) {
            slot.error = e.message;
            results.failures.push({ n, variant: v.id, error: e.message });
            process.stderr.write(`  N=${n} ${v.id}: FAILED: ${e.message}\n`);
            if (v.kind.startsWith('engine')) {
              // The engine does not load (or crashes): skip its variants for the rest of the run.
              for (const w of VARIANTS) if (w.kind.startsWith('engine')) disabled.add(w.id);
            } else if (!opts.keepGoing) disabled.add(v.id);
          }
        }
      }
      if (opts.micro && n === opts.sizes[0] && !disabled.has('engine-sync')) {
        process.stderr.write('  single-cgroup micro benchmark (benchmark.js) ...\n');
        try {
          const m = await runNodeWorker('micro', { rels: [rels[0]], maxTime: opts.quick ? 0.3 : 1.5 });
          results.micro = { cgroup: rels[0].split('/').slice(1).join('/'), results: m.results };
        } catch (e) {
          results.failures.push({ n, variant: 'micro', error: e.message });
        }
      }
      if (opts.strace) {
        process.stderr.write(`  strace -f -c runs at N=${n} ...\n`);
        try {
          (results.strace ||= {})[n] = await runStrace(rels, opts);
        } catch (e) {
          results.failures.push({ n, variant: 'strace', error: e.message });
          process.stderr.write(`  strace failed: ${e.message}\n`);
        }
      }
    } finally {
      const t = performance.now();
      tree.remove();
      meta.tree[n].removeMs = performance.now() - t;
      process.stderr.write(`N=${n}: tree removed in ${(performance.now() - t).toFixed(0)} ms\n`);
    }
  }

  // Aggregate.
  for (const v of VARIANTS) {
    for (const n of opts.sizes) {
      const r = results.variants[v.id].perN[n];
      if (!r) continue;
      settleCell(r, n);
      r.userUsPerCg = median(r.userUs || []) / n;
      r.sysUsPerCg = median(r.sysUs || []) / n;
      if (r.allSweeps.length) {
        r.sweepMin = Math.min(...r.allSweeps);
        r.sweepMax = Math.max(...r.allSweeps);
      }
      if (r.loops) {
        const agg = (mode) => medianRecord(r.loops.map((l) => l[mode]));
        results.eventLoop[n] = { processes: r.loops.length, sweepsPerProcess: r.loops[0].sweeps, idle: agg('idle'), busy: agg('busy'), cpu: agg('cpu') };
      }
      delete r.allSweeps;
    }
  }
  const { ms, ratio } = ratioBuilder(results, opts.sizes);
  ratio('engine readSync ‡ / C loop ‡', '≤ 1.2', (x) => x <= 1.2, (n) => ms('engine-sync-shard', n) / ms('c', n));
  ratio('engine readSync 1 process / C loop ‡', '≤ 1.2', (x) => x <= 1.2, (n) => ms('engine-sync', n) / ms('c', n));
  ratio('Node held-fd ‡ / engine readSync ‡', '≥ 3', (x) => x >= 3, (n) => ms('node-held', n) / ms('engine-sync-shard', n));
  ratio('Node held-fd ‡ / engine readSync 1 process', '≥ 3', (x) => x >= 3, (n) => ms('node-held', n) / ms('engine-sync', n));
  ratio('readFileSync / engine readSync ‡', null, null, (n) => ms('readfile', n) / ms('engine-sync-shard', n));
  ratio('readFileSync / engine readSync 1 process', null, null, (n) => ms('readfile', n) / ms('engine-sync', n));
  ratio('engine async / sync ‡', null, null, (n) => ms('engine-async-shard', n) / ms('engine-sync-shard', n));
  ratio('engine async / sync, 1 process', null, null, (n) => ms('engine-async', n) / ms('engine-sync', n));
  ratio('Node held-fd ‡ / C loop ‡ (reference)', null, null, (n) => ms('node-held', n) / ms('c', n));
  ratio('C io_uring QD64 ‡ / C pread ‡ (reference)', null, null, (n) => ms('c-uring', n) / ms('c', n));
  results.crossCheck = crossCheck(rowsForCheck);
  closeMeta(meta, started, performance.now());
  finishRun(results, meta, buildReport(results, meta), opts.json);
  cleanupAll();
  const engineMissing = results.failures.some((f) => f.variant.startsWith('engine'));
  process.exitCode = engineMissing || !results.crossCheck.ok ? 1 : 0;
}

runScript('benchmark', worker, main, cleanupAll);
