#!/usr/bin/env node
/*
 * cgmgr sweep benchmark: the StatsCollector (CgroupStats fields, collect() and collectAsync()) on real cgroups,
 * against the C loop at the syscall limit over the same files, the best pure-Node reader over the same files, and
 * runc's Go cgroups library (GetStats) on the same cgroups.
 *
 *   node bench/sweep.js [--sizes 1000,5000] [--rounds R] [--shard 500] [--json FILE] [--no-go]
 *   node bench/sweep.js --quick                  (CI: N=1000, 1 round, short soak; well under 60 s)
 *   node bench/sweep.js --soak [--soak-n 500] [--soak-sweeps 10000]   (memory and fds over many sweeps with churn)
 *   node bench/sweep.js --cleanup-stale          (removes the trees of sweep runs that were SIGKILLed)
 *
 * Needs root on a cgroup v1 host (memory, cpu, cpuacct, pids under /sys/fs/cgroup), `cc`, a built addon and dist/.
 * For every N it makes <top>/pod-P/ctr-C (5 containers per pod) in those four hierarchies, <top> =
 * cgmgr-bench-sweep-<pid>-<8 hex>, starts one `sleep` per pod and moves it into ctr-0 in all four (only processes
 * this benchmark started). Variants, each in fresh processes, interleaved over rounds (cell = median over rounds of
 * the per-process median sweep; ‡ = run in shards of ≤ --shard cgroups, one after another, sweep = sum of shard
 * medians, because RLIMIT_NOFILE cannot hold every file of N cgroups in one process):
 *   - C loop (bench/sweeploop.c, built with cc at run time): held fds + pread + parse, over the files a collector
 *     sweep reads (its usage tier: docs/collector.md "Read tiers");
 *   - collector collect() and await collectAsync(), sharded like the C loop and in one process (default fd budget),
 *     each also timed over sweeps that re-read every spec file (refreshSpec()); the targets are checked on the steady
 *     state of sweeps every 10 s with the default 60 s spec interval (a sixth of the spec files per sweep);
 *   - collector collect() with specIntervalMs 0 (every file every sweep, as before the tiers), sharded;
 *   - Node: held fds + fs.readSync(fd, buf, 0, n, 0) + parse, over the collector's files (sharded);
 *   - Go: runc libcontainer/cgroups/fs GetStats (bench/go/getstats, built offline in GOPATH mode), when Go and
 *     Debian's golang-github-opencontainers-runc-dev are installed (skipped with the reason otherwise).
 * Per-file cost: the C loop over every file of the collector's plan (usage, spec, detail) with each read timed in
 * context (SWEEPLOOP_PER_FILE=1), µs per cgroup per file, beside the budget per cgroup the targets leave.
 * Event loop: during collectAsync sweeps of all N in one process, perf_hooks.monitorEventLoopDelay (1 ms resolution)
 * and eventLoopUtilization: the share of the sweep the loop was free to run other callbacks.
 * Soak: one process sweeps (collectAsync) N cgroups S times while 1% of them are replaced every sweep (half removed
 * from the collector first, half vanishing under it), sampling rss, heap, external memory and open fds.
 * The tree and the sleeps are removed on success, on error and on SIGINT/SIGTERM/SIGHUP.
 *
 * Internal: `node bench/sweep.js --worker VARIANT --spec FILE` runs one measuring process.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { performance, monitorEventLoopDelay } = require('node:perf_hooks');
const { CGROOT, BenchTree, sleepMs, preflight, installCleanupHandlers, runCleanup } = require('./lib/cgroup-tree');
const {
  runJsonProcess, runNodeWorker, runScript, errorLineAndLast, compileC, fdCount, nofileLimit, runShards,
} = require('./lib/processes');
const { median, medianRecord } = require('./lib/stats');
const { runMeta, settleCell, ratioBuilder, closeMeta, finishRun, roundOrder } = require('./lib/results');
const { eachArg } = require('./lib/args');
const { fmtMs, variantTable, ratioTable } = require('./lib/markdown');
const { straceSkipReason, mark, parseSummary, diffSummary, countTraceByFile } = require('./lib/strace');

const CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'pids'];
const PKG_ROOT = path.resolve(__dirname, '..');
const BUF_SIZE = 64 * 1024;


// ---------------------------------------------------------------------------------------------------------------
// The collector, as the benchmark uses it.

function loadCollector() {
  return require(path.join(PKG_ROOT, 'dist', 'collector'));
}

function newCollector(options = {}) {
  const { StatsCollector } = loadCollector();
  return new StatsCollector({ controllers: CONTROLLERS, ...options });
}

/** The files of the collector's plan, as "controller/name" ("controller/!name" for a file the engine opens and closes
 * at each read instead of holding it: v1 cgroup.procs, the spec and detail files), with their read tier. */
function collectorFiles(collector) {
  return collector.files().map((f) => ({ file: `${f.controller}/${f.hold ? '' : '!'}${f.name}`, tier: f.tier }));
}

/** The share of the spec tier a sweep reads in the steady state the targets are measured for: sweeps every 10 s with
 * the default specIntervalMs of 60 s re-read the spec files of 1/6 of the cgroups per sweep. */
const SCRAPE_S = 10;
const SPEC_SHARE = SCRAPE_S / 60;

// ---------------------------------------------------------------------------------------------------------------
// Workers: one measuring process each.

async function worker(variant, specFile) {
  const spec = JSON.parse(fs.readFileSync(specFile, 'utf8'));
  let out;
  switch (variant) {
    case 'files': out = workerFiles(spec); break;
    case 'collector-sync': out = await workerCollector(spec, false); break;
    case 'collector-sync-all': out = await workerCollector({ ...spec, specIntervalMs: 0 }, false); break;
    case 'collector-async': out = await workerCollector(spec, true); break;
    case 'node-held': out = workerNodeHeld(spec); break;
    case 'soak': out = await workerSoak(spec); break;
    case 'strace-sweeps': out = await workerStraceSweeps(spec); break;
    default: throw new Error(`unknown worker variant ${variant}`);
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

// Traced by the orchestrator (strace): the cgroups added and one sweep made (a first sweep reads the spec files), then
// `sweeps` collectAsync sweeps (no spec read due) between the marker calls.
async function workerStraceSweeps(spec) {
  // An hour's spec interval: tracing slows the setup down by seconds, which would make some cgroups' spec files due
  // (the first re-read is spread over the interval) and count them in "sweeps with no spec read due".
  const c = newCollector({ specIntervalMs: 3600000 });
  for (const r of spec.rels) c.add(r);
  let sweep = await c.collectAsync();
  // Steady state before counting (in both the K-sweep and the 0-sweep run): past the descriptor budget the engine
  // moves its share from directories to files over the first sweeps (docs/engine.md), which is not a sweep's cost.
  for (let w = 0; w < 3; w++) sweep = await c.collectAsync({ into: sweep });
  mark('begin');
  for (let s = 0; s < spec.sweeps; s++) sweep = await c.collectAsync({ into: sweep });
  mark('end');
  const ok = Array.from({ length: sweep.rows }, (_, r) => sweep.ok(r)).filter(Boolean).length;
  c.close();
  return { n: spec.rels.length, sweeps: spec.sweeps, ok };
}

function workerFiles(spec) {
  const c = newCollector();
  c.add(spec.rels[0]);
  c.collect();
  const all = collectorFiles(c);
  c.close();
  return { files: all.filter((f) => f.tier === 'usage').map((f) => f.file), all };
}

async function workerCollector(spec, async) {
  const { rels, warmup, sweeps } = spec;
  const c = newCollector(spec.specIntervalMs === undefined ? {} : { specIntervalMs: spec.specIntervalMs });
  const t0 = performance.now();
  for (const r of rels) c.add(r);
  const openMs = performance.now() - t0;
  const times = [];
  let sweep;
  let cpu0;
  for (let s = 0; s < warmup + sweeps; s++) {
    if (s === warmup) cpu0 = process.cpuUsage();
    const a = performance.now();
    sweep = async ? await c.collectAsync({ into: sweep }) : c.collect({ into: sweep });
    times.push(performance.now() - a);
  }
  const cpu = process.cpuUsage(cpu0);
  // Sweeps that re-read every cgroup's spec files (a cgroup's first sweep, or every one after refreshSpec()): with
  // the steady sweeps they give the amortized cost at a given share of spec reads per sweep.
  const specSweepsMs = [];
  for (let s = 0; s < (spec.specSweeps || 0); s++) {
    c.refreshSpec();
    const a = performance.now();
    sweep = async ? await c.collectAsync({ into: sweep }) : c.collect({ into: sweep });
    specSweepsMs.push(performance.now() - a);
  }
  // Rows read, and rows whose memory, CPU and pids columns all hold a value (a row can be "ok" with columns absent,
  // e.g. when the process ran out of descriptors).
  let ok = 0;
  let complete = 0;
  for (let r = 0; r < sweep.rows; r++) {
    if (sweep.ok(r)) ok++;
    if (['memory_usage_bytes', 'cpu_usage_ns', 'pids_current'].every((f) => sweep.get(r, f) !== undefined)) complete++;
  }
  const out = { n: rels.length, openMs, ok, complete, userUs: cpu.user, sysUs: cpu.system, sweepsMs: times.slice(warmup), specSweepsMs, fds: fdCount(), usage: c.usage() };
  if (async && spec.probe) out.loop = await eventLoopProbe(c, spec.probe);
  if (spec.sample) {
    const row = sweep.rowOf(rels[0]);
    out.sample = { memoryUsage: sweep.get(row, 'memory_usage_bytes'), cpuUsageNs: sweep.get(row, 'cpu_usage_ns'), pids: sweep.get(row, 'pids_current') };
  }
  c.close();
  return out;
}

// The share of an async sweep during which the event loop was free. monitorEventLoopDelay (1 ms resolution) samples
// the loop with a 1 ms timer: every sample over 1 ms is time the loop could not run a callback, so
// blocked = Σ (sample − 1 ms) = count × (mean − 1 ms), free = 1 − blocked / sweep time. The same measurement over an
// idle stretch of the same length is the timer's own jitter on this machine (reported beside it); eventLoopUtilization
// gives the share of the sweep the loop spent running JavaScript instead of waiting.
async function eventLoopProbe(c, sweeps) {
  // The JS thread's CPU time and runqueue wait (/proc/thread-self/schedstat, ns): what of a blocked loop was our own
  // work and what was waiting for a CPU that the machine's other threads (ours on the pool, or other processes) held.
  const schedstat = () => {
    try {
      return fs.readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ').map(Number);
    } catch {
      return [NaN, NaN];
    }
  };
  const measure = async (fn) => {
    const s0 = schedstat();
    const h = monitorEventLoopDelay({ resolution: 1 });
    const elu0 = performance.eventLoopUtilization();
    h.enable();
    const a = performance.now();
    await fn();
    const ms = performance.now() - a;
    h.disable();
    const elu = performance.eventLoopUtilization(elu0);
    const s1 = schedstat();
    const blockedMs = h.count > 0 ? Math.max(0, (h.count * (h.mean - 1e6)) / 1e6) : 0;
    return {
      ms, samples: h.count, blockedMs, free: 1 - blockedMs / ms, elu: elu.utilization, maxDelayMs: h.max / 1e6,
      cpuMs: (s1[0] - s0[0]) / 1e6, runqMs: (s1[1] - s0[1]) / 1e6,
    };
  };
  // The same sweeps with nothing else on the loop: the histogram's 1 ms timer wakes the loop ~once per ms, and each
  // wake-up is loop time that eventLoopUtilization counts (and a sample whose 1 ms resolution reads as ~7% blocked on
  // an idle loop here). Without it, eventLoopUtilization is the loop's own share: the fill slices and the copy-out.
  const unobserved = async (fn) => {
    const s0 = schedstat();
    const elu0 = performance.eventLoopUtilization();
    const a = performance.now();
    await fn();
    const ms = performance.now() - a;
    const elu = performance.eventLoopUtilization(elu0);
    const s1 = schedstat();
    // activeMs: the loop's own time in the sweep (what the 95% target bounds: at most 5% of the sweep).
    return { ms, elu: elu.utilization, activeMs: elu.active, cpuMs: (s1[0] - s0[0]) / 1e6 };
  };
  const during = [];
  const idle = [];
  const plain = [];
  let sweep;
  for (let s = 0; s < sweeps; s++) {
    const d = await measure(async () => { sweep = await c.collectAsync({ into: sweep }); });
    during.push(d);
    idle.push(await measure(() => new Promise((r) => setTimeout(r, Math.max(1, Math.round(d.ms))))));
    plain.push(await unobserved(async () => { sweep = await c.collectAsync({ into: sweep }); }));
  }
  return { sweeps, during: medianRecord(during), idle: medianRecord(idle), plain: medianRecord(plain) };
}

// The best pure-Node reader over the collector's files: descriptors held, fs.readSync at position 0, and a parse of
// every number in the text (the parse of bench/sweeploop.c).
function parseAll(b, n) {
  let sum = 0;
  for (let i = 0; i < n;) {
    const c = b[i] - 48;
    if (c >= 0 && c <= 9) {
      let v = 0;
      for (; i < n; i++) {
        const d = b[i] - 48;
        if (d < 0 || d > 9) break;
        v = v * 10 + d;
      }
      sum += v;
    } else if (b[i] === 109 && b[i + 1] === 97 && b[i + 2] === 120 && i + 2 < n) {
      sum += Infinity;
      i += 3;
    } else {
      i++;
    }
  }
  return sum;
}

function workerNodeHeld(spec) {
  const { rels, warmup, sweeps, files } = spec;
  // "controller/!name": opened, read and closed every sweep, as the collector reads it.
  const perRead = [];
  const split = files.filter((f) => !f.includes('/!')).map((f) => { const i = f.indexOf('/'); return [f.slice(0, i), f.slice(i + 1)]; });
  for (const f of files.filter((x) => x.includes('/!'))) {
    const i = f.indexOf('/');
    for (const rel of rels) perRead.push(`${CGROOT}/${f.slice(0, i)}/${rel}/${f.slice(i + 2)}`);
  }
  const nf = split.length;
  const fds = new Int32Array(rels.length * nf).fill(-1);
  const absent = []; // [cgroup, file, path] of files that were ENOENT at setup, retried every sweep
  const t0 = performance.now();
  for (let i = 0; i < rels.length; i++) {
    for (let f = 0; f < nf; f++) {
      const p = `${CGROOT}/${split[f][0]}/${rels[i]}/${split[f][1]}`;
      try {
        fds[i * nf + f] = fs.openSync(p, 'r');
      } catch (e) {
        if (e.code !== 'ENOENT') throw e;
        absent.push(p);
      }
    }
  }
  const openMs = performance.now() - t0;
  const buf = Buffer.allocUnsafe(BUF_SIZE);
  const times = [];
  let checksum = 0;
  let errors = 0;
  let cpu0;
  for (let s = 0; s < warmup + sweeps; s++) {
    if (s === warmup) cpu0 = process.cpuUsage();
    errors = 0;
    const a = performance.now();
    for (let k = 0; k < fds.length; k++) {
      const fd = fds[k];
      if (fd < 0) continue;
      checksum += parseAll(buf, fs.readSync(fd, buf, 0, BUF_SIZE, 0));
    }
    for (const p of perRead) {
      let fd;
      try { fd = fs.openSync(p, 'r'); } catch { continue; }
      checksum += parseAll(buf, fs.readSync(fd, buf, 0, BUF_SIZE, 0));
      fs.closeSync(fd);
    }
    for (const p of absent) {
      if (fs.statSync(p, { throwIfNoEntry: false }) === undefined) continue;
      const fd = fs.openSync(p, 'r');
      checksum += parseAll(buf, fs.readSync(fd, buf, 0, BUF_SIZE, 0));
      fs.closeSync(fd);
    }
    times.push(performance.now() - a);
  }
  const cpu = process.cpuUsage(cpu0);
  for (const fd of fds) if (fd >= 0) fs.closeSync(fd);
  return { n: rels.length, openMs, errors, absent: absent.length, checksum, userUs: cpu.user, sysUs: cpu.system, sweepsMs: times.slice(warmup) };
}

// sweep. Memory (after a forced GC when --expose-gc) and open fds are sampled 50 times.
async function workerSoak(spec) {
  const { top, n, sweeps } = spec;
  const c = newCollector();
  const live = [];
  let seq = 0;
  const make = () => {
    const rel = `${top}/soak/c-${seq++}`;
    for (const h of CONTROLLERS) fs.mkdirSync(`${CGROOT}/${h}/${rel}`);
    return rel;
  };
  const rmdirAll = (rel) => {
    for (const h of CONTROLLERS) {
      for (let attempt = 0; ; attempt++) {
        try { fs.rmdirSync(`${CGROOT}/${h}/${rel}`); break; } catch (e) {
          if (e.code === 'ENOENT') break;
          if (e.code !== 'EBUSY' || attempt > 100) throw e;
          sleepMs(5);
        }
      }
    }
  };
  for (const h of CONTROLLERS) fs.mkdirSync(`${CGROOT}/${h}/${top}/soak`);
  for (let i = 0; i < n; i++) {
    const rel = make();
    live.push(rel);
    c.add(rel);
  }
  const churn = Math.max(2, Math.round(n / 100));
  const every = Math.max(1, Math.floor(sweeps / 50));
  const samples = [];
  let vanished = [];
  let sweep;
  let gone = 0;
  let rowsSeen = 0;
  const times = [];
  const sample = (s) => {
    if (global.gc) global.gc();
    const m = process.memoryUsage();
    samples.push({ sweep: s, rssMB: m.rss / 2 ** 20, heapMB: m.heapUsed / 2 ** 20, externalMB: m.external / 2 ** 20, arrayBuffersMB: m.arrayBuffers / 2 ** 20, fds: fdCount() });
  };
  const t0 = performance.now();
  for (let s = 0; s < sweeps; s++) {
    if (s % every === 0) sample(s);
    const a = performance.now();
    sweep = await c.collectAsync({ into: sweep });
    times.push(performance.now() - a);
    rowsSeen += sweep.rows;
    for (let r = 0; r < sweep.rows; r++) if (!sweep.ok(r)) gone++;
    for (const rel of vanished) c.remove(rel);
    vanished = [];
    for (let k = 0; k < churn; k++) {
      const rel = live.splice(Math.floor(Math.random() * live.length), 1)[0];
      if (k % 2 === 0) {
        c.remove(rel);
        rmdirAll(rel);
      } else {
        rmdirAll(rel);
        vanished.push(rel);
      }
      const fresh = make();
      live.push(fresh);
      c.add(fresh);
    }
  }
  sample(sweeps);
  const totalS = (performance.now() - t0) / 1000;
  for (const rel of vanished) c.remove(rel);
  c.close();
  for (const rel of live) rmdirAll(rel);
  for (const h of CONTROLLERS) fs.rmdirSync(`${CGROOT}/${h}/${top}/soak`);
  return { n, sweeps, churnPerSweep: churn, replaced: churn * sweeps, goneRowsSeen: gone, rowsSeen, totalS, sweepMedianMs: median(times), samples, gcForced: Boolean(global.gc) };
}

// ---------------------------------------------------------------------------------------------------------------
// Orchestrator state and cleanup (idempotent, synchronous: usable from exit and signal handlers).

const tree = new BenchTree({ name: 'sweep', prefix: 'cgmgr-bench-sweep', hierarchies: CONTROLLERS });
const scratch = { tmp: null }; // this run's temporary directory (specs, binaries)
const cleanupAll = runCleanup(tree, scratch);

// ---------------------------------------------------------------------------------------------------------------
// Running measuring processes.

const describeStderr = errorLineAndLast(2);

function runProcess(cmd, args, input, timeoutMs) {
  return runJsonProcess(cmd, args, { input, timeoutMs, describeStderr });
}

function runWorker(variant, spec, timeoutMs = 300000, nodeArgs = [], wrap = null) {
  return runNodeWorker(__filename, scratch.tmp, variant, spec, { timeoutMs, nodeArgs, wrap, describeStderr });
}

/** Builds bench/go/getstats, or returns { skip: reason }. */
function buildGo() {
  const gopath = '/usr/share/gocode';
  if (!fs.existsSync(`${gopath}/src/github.com/opencontainers/runc/libcontainer/cgroups/fs`)) {
    return { skip: `runc's Go sources are not installed (apt-get install golang-github-opencontainers-runc-dev)` };
  }
  const bin = path.join(scratch.tmp, 'getstats');
  const env = { ...process.env, GO111MODULE: 'off', GOPATH: gopath, GOCACHE: path.join(scratch.tmp, 'gocache'), GOFLAGS: '', CGO_ENABLED: '0' };
  try {
    execFileSync('go', ['build', '-o', bin, path.join(__dirname, 'go', 'getstats', 'main.go')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    if (e.code === 'ENOENT') return { skip: 'Go is not installed (apt-get install golang-go)' };
    return { skip: `go build failed: ${String(e.stderr || e.message).trim().split('\n').slice(-3).join(' | ')}` };
  }
  return { bin, version: execFileSync('go', ['version'], { encoding: 'utf8' }).trim() };
}

/**
 * strace of collectAsync sweeps of `rels` in one process: `strace -c -f` of a run doing K sweeps minus the same run
 * doing none (calls, errors and system seconds per syscall that the K sweeps made), and a `strace -f -y` trace of
 * openat, pread64, read and close between the sweeps' marker calls, counted by file.
 */
async function straceSweeps(rels, sweeps) {
  const summary = async (k) => {
    const out = path.join(scratch.tmp, `strace-c-${k}.txt`);
    const r = await runWorker('strace-sweeps', { rels, sweeps: k }, 600000, [], ['strace', '-c', '-f', '-qq', '-o', out]);
    if (r.ok !== rels.length) throw new Error(`strace run: only ${r.ok} of ${rels.length} cgroups read`);
    const table = parseSummary(fs.readFileSync(out, 'utf8'));
    fs.rmSync(out, { force: true });
    return table;
  };
  const none = await summary(0);
  const some = await summary(sweeps);
  const traceFile = path.join(scratch.tmp, 'strace-files.txt');
  await runWorker('strace-sweeps', { rels, sweeps }, 600000, [], ['strace', '-f', '-qq', '-y', '-e', 'trace=openat,openat2,pread64,read,close', '-o', traceFile]);
  const { counts, stretches } = countTraceByFile(fs.readFileSync(traceFile, 'utf8'));
  fs.rmSync(traceFile, { force: true });
  if (stretches !== 1) throw new Error(`strace trace: ${stretches} marked stretches, expected 1`);
  const byFile = [...counts].map(([k, c]) => ({ call: k.slice(0, k.indexOf(' ')), file: k.slice(k.indexOf(' ') + 1), calls: c }))
    .sort((a, b) => b.calls - a.calls);
  return { cgroups: rels.length, sweeps, syscalls: diffSummary(some, none), byFile };
}

const VARIANTS = [
  { id: 'c', label: 'C loop, held fds + pread + parse (the usage files a sweep reads)', sharded: true },
  { id: 'c-par', label: 'C loop as above, each shard read by 2 processes at once (a half each: what 2 pool workers can do on this machine; per sweep the slower)', sharded: true },
  { id: 'collector-sync-shard', label: '**collector `collect()`**', kind: 'collector-sync', sharded: true },
  { id: 'collector-async-shard', label: '**collector `await collectAsync()`**', kind: 'collector-async', sharded: true },
  { id: 'collector-sync-all-shard', label: 'collector `collect()` with `specIntervalMs: 0` (every file every sweep, as before the tiers)', kind: 'collector-sync-all', sharded: true },
  { id: 'collector-sync', label: 'collector `collect()`, 1 process, default fd budget', kind: 'collector-sync', sharded: false },
  { id: 'collector-async', label: 'collector `await collectAsync()`, 1 process, default fd budget', kind: 'collector-async', sharded: false, probe: true },
  { id: 'node-held', label: 'best pure Node: held fds + `fs.readSync` at 0 + parse (same files)', kind: 'node-held', sharded: true },
  { id: 'go', label: "runc `GetStats` (Go, libcontainer/cgroups/fs, its own 26 files)", sharded: false },
];

function sweepCounts(n, quick) {
  if (quick) return { warmup: 1, sweeps: 3, goSweeps: 2, specSweeps: 2 };
  return n <= 1000 ? { warmup: 3, sweeps: 11, goSweeps: 7, specSweeps: 5 } : { warmup: 2, sweeps: 5, goSweeps: 5, specSweeps: 3 };
}

async function runVariantOnce(v, rels, counts, opts) {
  return runShards(rels, opts.shard, v.sharded, async (s) => {
    let r;
    if (v.id === 'c') r = await runProcess(opts.cbin, [CGROOT, String(counts.warmup), String(counts.sweeps), ...opts.files], s.join('\n') + '\n', 300000);
    else if (v.id === 'c-par') {
      // The parallel floor: the shard's two halves read at the same time by two C loops (as the async sweep's two
      // workers read its two row ranges); sweep i = the slower of the two loops' sweep i.
      const half = Math.ceil(s.length / 2);
      const [a, b] = await Promise.all([s.slice(0, half), s.slice(half)].map((part) =>
        runProcess(opts.cbin, [CGROOT, String(counts.warmup), String(counts.sweeps), ...opts.files], part.join('\n') + '\n', 300000)));
      r = { ...a, n: s.length, sweepsMs: a.sweepsMs.map((x, i) => Math.max(x, b.sweepsMs[i] ?? x)) };
    }
    else if (v.id === 'go') r = await runProcess(opts.go.bin, [CGROOT, '1', String(counts.goSweeps)], s.join('\n') + '\n', 600000);
    else r = await runWorker(v.kind, { rels: s, warmup: counts.warmup, sweeps: counts.sweeps, files: opts.files, probe: v.probe ? opts.probeSweeps : 0, sample: true, specSweeps: v.kind === 'node-held' || v.kind === 'collector-sync-all' ? 0 : counts.specSweeps });
    if (r.ok !== undefined && r.ok !== s.length) throw new Error(`${v.id}: only ${r.ok} of ${s.length} cgroups read`);
    if (r.complete !== undefined && r.complete !== s.length) {
      throw new Error(`${v.id}: only ${r.complete} of ${s.length} rows have memory, CPU and pids values (process fds: ${r.fds}, held ${r.usage.heldFds} of budget ${r.usage.fdBudget})`);
    }
    return r;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Report.

function soakReport(soak) {
  const s = soak.samples;
  const settled = s.filter((x) => x.sweep >= soak.sweeps * 0.1);
  const first = settled[0];
  const last = s[s.length - 1];
  const keys = ['rssMB', 'heapMB', 'externalMB', 'fds'];
  // Least-squares slope per 1000 sweeps over the settled samples.
  const slope = (k) => {
    const xs = settled.map((x) => x.sweep);
    const ys = settled.map((x) => x[k]);
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    let num = 0;
    let den = 0;
    for (let i = 0; i < xs.length; i++) { num += (xs[i] - mx) * (ys[i] - my); den += (xs[i] - mx) ** 2; }
    return den > 0 ? (num / den) * 1000 : 0;
  };
  const lines = [];
  lines.push(`Soak: ${soak.sweeps} \`collectAsync\` sweeps of ${soak.n} cgroups, ${soak.churnPerSweep} replaced every sweep ` +
    `(${soak.replaced} in all; ${soak.goneRowsSeen} rows seen gone), ${soak.totalS.toFixed(1)} s, median sweep ${fmtMs(soak.sweepMedianMs)} ms` +
    `${soak.gcForced ? ', GC forced before each sample' : ''}.`);
  lines.push('');
  lines.push('| measure | at sweep 0 | after warm-up (sweep ' + first.sweep + ') | at the end (sweep ' + last.sweep + ') | max after warm-up | slope per 1000 sweeps after warm-up |');
  lines.push('|---|---|---|---|---|---|');
  for (const k of keys) {
    const f = (x) => (k === 'fds' ? String(x) : `${x.toFixed(1)} MB`);
    const sl = slope(k);
    lines.push(`| ${k === 'fds' ? 'open fds' : k.replace('MB', '')} | ${f(s[0][k])} | ${f(first[k])} | ${f(last[k])} | ${f(Math.max(...settled.map((x) => x[k])))} | ${k === 'fds' ? sl.toFixed(2) : `${sl.toFixed(3)} MB`} |`);
  }
  return { lines, slopes: Object.fromEntries(keys.map((k) => [k, slope(k)])), first, last };
}

/**
 * The per-file cost table: µs per cgroup for each file of the plan, read in context by the C loop (all files of a
 * cgroup one after the other, cgroup after cgroup), with its tier; the tiers' sums; and, beside runc, the budget per
 * cgroup the targets leave — so a target that is not met says which files' kernel cost prevents it.
 */
function perFileReport(results, meta) {
  const sizes = meta.sizes.filter((n) => results.perFile[n]);
  if (sizes.length === 0 || !meta.allFiles) return [];
  const lines = [];
  lines.push('Per-file cost, µs per cgroup (C loop over every file of the plan with each read timed, in shards of ≤ ' +
    `${meta.shard} cgroups; two clock_gettime per read included). A sweep reads the usage files, ${(SPEC_SHARE * 100).toFixed(0)}% of ` +
    'the spec files in the steady state, and no detail file (stats(row) reads those for its row):');
  lines.push('');
  lines.push(`| file | tier | ${sizes.map((n) => `N=${n}`).join(' | ')} |`);
  lines.push(`|---|---|${sizes.map(() => '---').join('|')}|`);
  meta.allFiles.forEach((f, i) => lines.push(`| ${f.file} | ${f.tier} | ${sizes.map((n) => results.perFile[n][i].toFixed(2)).join(' | ')} |`));
  const sum = (n, tier) => meta.allFiles.reduce((a, f, i) => a + (f.tier === tier ? results.perFile[n][i] : 0), 0);
  for (const tier of ['usage', 'spec', 'detail']) lines.push(`| **all ${tier} files** | | ${sizes.map((n) => sum(n, tier).toFixed(2)).join(' | ')} |`);
  lines.push(`| **a steady sweep: usage + ${(SPEC_SHARE * 100).toFixed(0)}% of spec** | | ${sizes.map((n) => (sum(n, 'usage') + SPEC_SHARE * sum(n, 'spec')).toFixed(2)).join(' | ')} |`);
  const go = results.variants.go;
  const runcUs = (n) => (go && go.perN[n] && Number.isFinite(go.perN[n].ms) ? (go.perN[n].ms * 1000) / n : NaN);
  lines.push(`| runc GetStats, µs per cgroup | | ${sizes.map((n) => runcUs(n).toFixed(1)).join(' | ')} |`);
  lines.push(`| budget per cgroup for \`collect()\` at its target (runc ÷ 6, ÷ 5 at 5000) | | ${sizes.map((n) => (runcUs(n) / (n <= 1000 ? 6 : 5)).toFixed(2)).join(' | ')} |`);
  lines.push(`| budget per cgroup for \`collectAsync()\` at its target (runc ÷ 10, ÷ 8 at 5000; its workers read rows in parallel on ${meta.cpus} CPUs) | | ${sizes.map((n) => (runcUs(n) / (n <= 1000 ? 10 : 8)).toFixed(2)).join(' | ')} |`);
  return lines;
}

/** The strace counts: syscalls per sweep and per cgroup, and the calls per file. */
function straceReport(results, meta) {
  const sizes = meta.sizes.filter((n) => results.strace[n]);
  if (meta.strace.skip) return [`Syscall counts: skipped (${meta.strace.skip}).`, ''];
  if (sizes.length === 0) return [];
  const lines = [];
  for (const n of sizes) {
    const st = results.strace[n];
    const per = st.cgroups * st.sweeps;
    lines.push(`Syscalls of \`collectAsync()\` sweeps at N=${n} (\`strace -c -f\` of one process holding ${st.cgroups} of the cgroups: ` +
      `a run doing ${st.sweeps} sweeps with no spec read due minus the same run doing none; seconds are strace's system time, ` +
      'inflated by tracing — compare calls, and take the kernel cost from the C loop):');
    lines.push('');
    lines.push('| syscall | calls per sweep | per cgroup | errors per sweep | µs per call (traced) |');
    lines.push('|---|---|---|---|---|');
    for (const r of st.syscalls.filter((x) => x.calls >= st.sweeps)) {
      lines.push(`| ${r.syscall} | ${(r.calls / st.sweeps).toFixed(1)} | ${(r.calls / per).toFixed(3)} | ${(r.errors / st.sweeps).toFixed(1)} | ${((r.seconds * 1e6) / r.calls).toFixed(2)} |`);
    }
    const total = st.syscalls.reduce((a, r) => a + r.calls, 0);
    lines.push(`| **all** | ${(total / st.sweeps).toFixed(1)} | ${(total / per).toFixed(3)} | | |`);
    lines.push('');
    lines.push(`The same sweeps by file (\`strace -f -y -e trace=openat,openat2,pread64,read,close\`, between marker calls around the sweeps), per cgroup per sweep:`);
    lines.push('');
    const w = st.whole;
    const wper = w ? w.cgroups * w.sweeps : NaN;
    const wOf = (call, file) => (w ? (w.byFile.find((x) => x.call === call && x.file === file) || { calls: 0 }).calls / wper : NaN);
    lines.push(`| call | file | per cgroup per sweep | per sweep |${w ? ` one process of all ${w.cgroups}: per cgroup per sweep |` : ''}`);
    lines.push(`|---|---|---|---|${w ? '---|' : ''}`);
    // Every (call, file) of the shard's trace, then those only the one-process trace has (files opened per read).
    const rowsOf = [...st.byFile, ...(w ? w.byFile.filter((x) => !st.byFile.some((y) => y.call === x.call && y.file === x.file)).map((x) => ({ ...x, calls: 0 })) : [])];
    for (const r of rowsOf) {
      lines.push(`| ${r.call} | ${r.file} | ${(r.calls / per).toFixed(3)} | ${(r.calls / st.sweeps).toFixed(1)} |${w ? ` ${wOf(r.call, r.file).toFixed(3)} |` : ''}`);
    }
    if (w) {
      const all = (x) => x.syscalls.reduce((a, r) => a + r.calls, 0) / (x.cgroups * x.sweeps);
      lines.push('');
      lines.push(`One process of all ${w.cgroups} cgroups (default descriptor budget; \`strace -c -f\`, ${w.sweeps} sweeps minus none): ` +
        `${all(w).toFixed(2)} syscalls per cgroup per sweep against ${all(st).toFixed(2)} in a shard — ` +
        w.syscalls.filter((r) => r.calls / wper >= 0.01).map((r) => `${r.syscall} ${(r.calls / wper).toFixed(2)}`).join(', ') + '.');
    }
    lines.push('');
  }
  return lines;
}

/**
 * For each sweep target not met: the floor the kernel cost of the files a sweep must read sets (the C loop over the
 * usage files, on one thread and split over the async sweep's workers), against the target's budget (runc ÷ target),
 * with the syscall counts behind it.
 */
function floorReport(results, meta) {
  const go = results.variants.go;
  const sizes = meta.sizes.filter((n) => go && go.perN[n] && Number.isFinite(go.perN[n].ms));
  if (sizes.length === 0) return [];
  const cell = (id, n, k = 'ms') => (results.variants[id].perN[n] ? results.variants[id].perN[n][k] : NaN);
  const workers = (n) => Math.max(1, Math.min(Math.ceil(Math.min(n, meta.shard) / 256), 4, meta.cpus));
  const lines = ['Targets against the floor the files set (floor: the C loop over the usage files, held descriptors + pread + parse, ' +
    'on one thread; for an async sweep, which splits its rows over pool workers, the same files read by as many C loops at once ' +
    `on this machine's ${meta.cpus} vCPUs):`, ''];
  const targets = [
    { id: 'collector-sync-shard', what: '`collect()` ‡', target: (n) => (n <= 1000 ? 6 : 5), par: () => 1 },
    { id: 'collector-async-shard', what: '`collectAsync()` ‡', target: (n) => (n <= 1000 ? 10 : 8), par: workers },
    { id: 'collector-async', what: '`collectAsync()`, 1 process', target: (n) => (n <= 1000 ? 10 : 8), par: (n) => Math.max(1, Math.min(Math.ceil(n / 256), 4, meta.cpus)) },
  ];
  for (const n of sizes) {
    const runc = cell('go', n);
    const st = results.strace[n];
    const callsOf = (x, call) => (x ? x.byFile.filter((r) => r.call === call || (call === 'openat' && r.call === 'openat2')).reduce((a, r) => a + r.calls, 0) / (x.cgroups * x.sweeps) : NaN);
    const perFile = results.perFile[n];
    const kernelUs = perFile && meta.allFiles ? meta.allFiles.reduce((a, f, i) => a + (f.tier === 'usage' ? perFile[i] : 0), 0) : NaN;
    const cloop = cell('c', n);
    for (const t of targets) {
      const measured = t.id === 'collector-async' ? cell(t.id, n, 'amortizedMs') : cell(t.id, n, 'amortizedMs');
      if (!Number.isFinite(measured)) continue;
      const ratio = runc / measured;
      const budget = runc / t.target(n);
      const par = t.par(n);
      // An async sweep's floor: the C loop read by `par` processes at once where measured (c-par), else the ideal split.
      const cpar = cell('c-par', n);
      const measuredPar = par > 1 && Number.isFinite(cpar);
      const floor = par > 1 ? (measuredPar ? cpar : cloop / par) : cloop;
      const met = ratio >= t.target(n);
      // The one-process variants' counts when N is more than a shard (files past the descriptor budget opened per read).
      const counted = t.id === 'collector-async' && st && st.whole ? st.whole : st;
      const preads = callsOf(counted, 'pread64');
      const opens = callsOf(counted, 'openat');
      const extraOpens = Number.isFinite(opens) && st ? opens - callsOf(st, 'openat') : 0;
      lines.push(`- N=${n} ${t.what}: ${ratio.toFixed(1)}× runc (target ≥ ${t.target(n)}×) ${met ? '✓ met' : '✗ not met'}: ` +
        `${fmtMs(measured)} ms vs budget runc ÷ ${t.target(n)} = ${fmtMs(budget)} ms. ` +
        `Usage files: ${Number.isFinite(preads) ? preads.toFixed(2) : '?'} preads + ${Number.isFinite(opens) ? opens.toFixed(2) : '?'} opens per cgroup per sweep (strace), ` +
        `${Number.isFinite(kernelUs) ? kernelUs.toFixed(1) : '?'} µs/cgroup read in context (C loop per file) → ` +
        `floor ${fmtMs(cloop)} ms on one thread (C loop ‡)${par > 1 ? (measuredPar ? `, ${fmtMs(floor)} ms read by ${par} processes at once (C loop ‡ in halves, measured; ${fmtMs(cloop / par)} ms if they scaled)` : `, ${fmtMs(floor)} ms over ${par} workers if they scaled`) : ''}` +
        `${met ? '' : floor > budget ? ` — the floor is ABOVE the budget: no reader of these files reaches the target on this machine` +
          ` (it would need ${(floor / budget).toFixed(2)}× less kernel time per file)` :
          ` — the floor is below the budget: ${fmtMs(measured - floor)} ms of the sweep is above the files' cost` +
          (extraOpens > 0.05 ? ` (${extraOpens.toFixed(2)} more openat + close per cgroup per sweep than a shard: the files past the default descriptor budget are opened per read, and the spec re-reads` :
            (t.par(n) > 1 || t.id.startsWith('collector-async') ? ' (the spec re-reads, cgroup.procs opened per read, the copy-out, the fill, thread hops' :
              ' (the spec re-reads, cgroup.procs opened per read, the fill')) +
          `, and the CPU the machine's other processes took: load average ${meta.loadavg.start.join(' ')} at the start on ${meta.cpus} vCPUs)`}.`);
    }
  }
  lines.push('');
  return lines;
}

function buildReport(results, meta) {
  const sizes = meta.sizes;
  const lines = [];
  if (sizes.length === 0) {
    // --soak alone: only the soak.
    lines.push(`## cgmgr sweep benchmark: soak (${meta.date} · Linux ${meta.kernel} · Node ${meta.node} · ${meta.cpus} vCPU)`);
    lines.push('');
    if (results.soak) lines.push(...soakReport(results.soak).lines);
    return lines.join('\n');
  }
  lines.push('## cgmgr sweep benchmark: ms per sweep · µs per cgroup');
  lines.push('');
  lines.push(`${meta.date} · Linux ${meta.kernel} · Node ${meta.node} · ${meta.cpus} vCPU · RLIMIT_NOFILE ${meta.nofile} · ${meta.rounds} round(s) · ` +
    `shard ≤ ${meta.shard} cgroups · collector files per cgroup: ${meta.files.length} · ${meta.go.version || `Go skipped: ${meta.go.skip}`} · ` +
    `load average ${meta.loadavg.start.join(' ')} at start, ${meta.loadavg.end.join(' ')} at end`);
  lines.push('');
  lines.push(...variantTable(VARIANTS, sizes, (v, n) => {
    const r = results.variants[v.id].perN[n];
    if (!r) return v.id === 'go' && meta.go.skip ? 'skipped' : '–';
    if (!Number.isFinite(r.ms)) return r.error ? 'failed' : '–';
    const spec = Number.isFinite(r.specMs) ? ` (every spec re-read: ${fmtMs(r.specMs)} ms; ${SCRAPE_S} s/60 s: ${fmtMs(r.amortizedMs)} ms)` : '';
    return `${fmtMs(r.ms)} ms · ${r.usPerCg.toFixed(1)} µs${r.shards > 1 ? ` ‡${r.shards}` : ''}${spec}`;
  }));
  lines.push('');
  lines.push(`‡k: k processes one after another, each holding ≤ ${meta.shard} cgroups; sweep = sum of the shard medians. ` +
    'Cell = median over rounds of the per-process median sweep.');
  lines.push('');
  lines.push('Collector cells: a sweep with no spec read due (what most sweeps are); in brackets a sweep that re-reads every ' +
    `cgroup's spec files (a cgroup's first sweep, or after refreshSpec()), and the steady state of sweeps every ${SCRAPE_S} s ` +
    `with the default specIntervalMs of 60 s (${(SPEC_SHARE * 100).toFixed(0)}% of the cgroups re-read their spec files per sweep), which the targets are checked on.`);
  lines.push('');
  lines.push(...ratioTable(results.ratios, sizes));
  lines.push('');
  lines.push(...perFileReport(results, meta));
  lines.push('');
  lines.push('Event loop during `await collectAsync()` of all N in one process (median of the probe sweeps; free = 1 − ' +
    'Σ(monitorEventLoopDelay sample − 1 ms) / sweep time; the same over an idle wait of the same length is the timer jitter):');
  lines.push('');
  lines.push('| N | async sweep ms | ELD samples | loop blocked ms | loop free | idle wait: blocked ms · free | loop free net of the idle jitter | 1 − event-loop utilization | longest delay ms | JS thread CPU ms | JS thread runqueue wait ms (idle wait) | unobserved sweeps: ms · 1 − event-loop utilization (target ≥ 95%) |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const n of sizes) {
    const l = results.eventLoop[n];
    if (!l) continue;
    const d = l.during;
    const net = 1 - Math.max(0, d.blockedMs - l.idle.blockedMs) / d.ms;
    const p = l.plain;
    const plainCell = p ? `${fmtMs(p.ms)} · ${((1 - p.elu) * 100).toFixed(1)}% ${1 - p.elu >= 0.95 ? '✓' : '✗'}` : '–';
    lines.push(`| ${n} | ${fmtMs(d.ms)} | ${Math.round(d.samples)} | ${d.blockedMs.toFixed(2)} | ${(d.free * 100).toFixed(1)}% | ` +
      `${l.idle.blockedMs.toFixed(2)} · ${(l.idle.free * 100).toFixed(1)}% | ${(net * 100).toFixed(1)}% | ${((1 - d.elu) * 100).toFixed(1)}% | ${d.maxDelayMs.toFixed(2)} | ` +
      `${d.cpuMs.toFixed(2)} | ${d.runqMs.toFixed(2)} (${l.idle.runqMs.toFixed(2)}) | ${plainCell} |`);
  }
  lines.push('');
  lines.push('The target is read from the unobserved sweeps\' event-loop utilization (as many sweeps, interleaved with the ' +
    'probed ones, with no timer on the loop): the probe\'s 1 ms timer is loop time too, and its samples read ~7% blocked ' +
    'over an idle wait, so the "loop free" column cannot show 95% at this sweep length.');
  lines.push('JS thread CPU: its own time on a CPU during the sweep (the fill in slices, the copy-out, the probe\'s timer); ' +
    'runqueue wait: time it was ready to run but every CPU was taken (the pool threads reading, other processes) — ' +
    'blocked time the collector does not spend, in brackets the same over the idle wait.');
  lines.push('');
  for (const n of sizes) {
    const p = results.eventLoop[n]?.plain;
    if (!p) continue;
    const free = 1 - p.elu;
    const active = p.activeMs ?? p.elu * p.ms;
    lines.push(`- N=${n} event loop free during \`collectAsync()\` (1 process, unobserved sweeps): ${(free * 100).toFixed(1)}% ` +
      `(target ≥ 95%) ${free >= 0.95 ? '✓ met' : '✗ NOT met'}: the loop's own time ${active.toFixed(2)} ms per sweep of ` +
      `${fmtMs(p.ms)} ms (≤ 5% of it = ${(0.05 * p.ms).toFixed(2)} ms)` +
      `${Number.isFinite(p.cpuMs) ? `; JS thread CPU ${p.cpuMs.toFixed(2)} ms per sweep` : ''}; load average ${meta.loadavg.start.join(' ')} at start, ${(meta.loadavg.end ?? []).join(' ')} at end.`);
  }
  lines.push('');
  lines.push(...straceReport(results, meta));
  lines.push(...floorReport(results, meta));
  if (results.soak) {
    lines.push('');
    lines.push(...soakReport(results.soak).lines);
  }
  lines.push('');
  lines.push(`collector files per cgroup in a sweep (the usage tier, ${meta.files.length}): ${meta.files.join(', ')}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const o = { sizes: null, quick: false, rounds: null, shard: 500, json: null, go: true, soak: false, soakN: null, soakSweeps: null, onlySoak: false };
  eachArg(argv, (a, next) => {
    const int = (s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${a} must be a positive integer`);
      return n;
    };
    if (a === '--sizes') o.sizes = next().split(',').map(int);
    else if (a === '--quick') o.quick = true;
    else if (a === '--rounds') o.rounds = int(next());
    else if (a === '--shard') o.shard = int(next());
    else if (a === '--json') o.json = next();
    else if (a === '--no-go') o.go = false;
    else if (a === '--soak') { o.soak = true; o.onlySoak = true; }
    else if (a === '--soak-n') o.soakN = int(next());
    else if (a === '--soak-sweeps') o.soakSweeps = int(next());
    else if (a === '-h' || a === '--help') {
      const l = fs.readFileSync(__filename, 'utf8').split('\n');
      process.stdout.write(l.slice(l.indexOf('/*') + 1, l.indexOf(' */')).map((x) => x.replace(/^ \* ?/, '')).join('\n') + '\n');
      process.exit(0);
    } else return false;
    return true;
  });
  if (!o.sizes) o.sizes = o.quick ? [1000] : [1000, 5000];
  if (!o.rounds) o.rounds = o.quick ? 1 : 3;
  if (o.quick) o.soak = true;
  if (!o.soakN) o.soakN = o.quick ? 100 : 500;
  if (!o.soakSweeps) o.soakSweeps = o.quick ? 150 : 10000;
  return o;
}

async function main() {
  if (process.argv.includes('--cleanup-stale')) {
    preflight(CONTROLLERS, 'the sweep benchmark');
    tree.cleanupStale('sweep.js');
    return;
  }
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`sweep: ${e.message} (--help for the options)\n`);
    process.exitCode = 2;
    return;
  }
  preflight(CONTROLLERS, 'the sweep benchmark');
  installCleanupHandlers('sweep', cleanupAll);
  const started = performance.now();
  scratch.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-sweep-'));
  tree.claimTop();
  const nofile = nofileLimit();
  // Shards must fit the descriptor limit: ~25 descriptors per cgroup (the collector's 23 files and its directories).
  const maxShard = Math.floor((0.7 * Number(nofile)) / 25);
  if (Number.isFinite(maxShard) && maxShard >= 1 && opts.shard > maxShard) {
    process.stderr.write(`RLIMIT_NOFILE ${nofile}: shards of ${maxShard} cgroups instead of ${opts.shard}\n`);
    opts.shard = maxShard;
  }
  const meta = {
    ...runMeta(nofile), sizes: opts.onlySoak ? [] : opts.sizes,
    rounds: opts.rounds, shard: opts.shard, quick: opts.quick, top: tree.top, files: [], go: { skip: 'not asked (--no-go)' }, tree: {},
  };
  const results = { meta, variants: {}, ratios: [], eventLoop: {}, perFile: {}, strace: {}, soak: null, failures: [] };
  const straceSkip = opts.onlySoak ? 'soak only' : straceSkipReason();
  meta.strace = straceSkip ? { skip: straceSkip } : {};
  for (const v of VARIANTS) results.variants[v.id] = { label: v.label, perN: {} };

  if (!opts.onlySoak) {
    opts.cbin = compileC(path.join(__dirname, 'sweeploop.c'), scratch.tmp);
    if (opts.go) {
      process.stderr.write('building bench/go/getstats (runc GetStats) ... ');
      opts.go = buildGo();
      meta.go = opts.go;
      process.stderr.write(opts.go.skip ? `skipped: ${opts.go.skip}\n` : `${opts.go.version}\n`);
    } else opts.go = meta.go;
    opts.probeSweeps = opts.quick ? 2 : 5;
  }

  for (const n of meta.sizes) {
    const counts = sweepCounts(n, opts.quick);
    process.stderr.write(`N=${n}: making the tree (${tree.top}) ... `);
    const { mkdirMs, sleeps } = tree.makeTree(n, `/n${n}`);
    meta.tree[n] = { mkdirMs, sleeps };
    process.stderr.write(`${(n * 1.2 * CONTROLLERS.length) | 0} dirs in ${mkdirMs.toFixed(0)} ms, ${sleeps} sleeps\n`);
    const rels = tree.relPaths(n, `/n${n}`);
    try {
      if (meta.files.length === 0) {
        const f = await runWorker('files', { rels });
        meta.files = f.files;
        meta.allFiles = f.all;
        opts.files = meta.files;
      }
      for (let round = 0; round < opts.rounds; round++) {
        for (const v of roundOrder(VARIANTS, round)) {
          if (v.id === 'go' && opts.go.skip) continue;
          const slot = (results.variants[v.id].perN[n] ||= { rounds: [], shards: 0 });
          if (slot.error) continue;
          const t = performance.now();
          try {
            const r = await runVariantOnce(v, rels, counts, opts);
            slot.rounds.push(r.ms);
            const specMs = r.procs.reduce((a, p) => a + (p.specSweepsMs && p.specSweepsMs.length ? median(p.specSweepsMs) : NaN), 0);
            if (Number.isFinite(specMs)) (slot.specRounds ||= []).push(specMs);
            slot.shards = r.shards;
            const p0 = r.procs[0];
            if (p0.loop) (slot.loops ||= []).push(p0.loop);
            if (p0.sample && !slot.sample) slot.sample = p0.sample;
            const errs = r.procs.reduce((a, p) => a + (p.errors || 0), 0);
            if (p0.usage) slot.fds = { processFds: p0.fds, ...p0.usage };
            process.stderr.write(`  N=${n} round ${round + 1}/${opts.rounds} ${v.id.padEnd(22)} ${fmtMs(r.ms).padStart(8)} ms/sweep` +
              `${r.shards > 1 ? ` (‡${r.shards})` : ''}${errs ? ` [${errs} read errors]` : ''}${p0.usage ? ` [fds ${p0.fds}, held ${p0.usage.heldFds} of budget ${p0.usage.fdBudget}]` : ''}  (${((performance.now() - t) / 1000).toFixed(1)} s)\n`);
          } catch (e) {
            slot.error = e.message;
            results.failures.push({ n, variant: v.id, error: e.message });
            process.stderr.write(`  N=${n} ${v.id}: FAILED: ${e.message}\n`);
          }
        }
      }
      // Per-file cost: the C loop over every file of the plan (usage, spec and detail), each read timed in context.
      const t = performance.now();
      try {
        const all = meta.allFiles.map((f) => f.file);
        const r = await runShards(rels, opts.shard, true, (s) => runJsonProcess(opts.cbin, [CGROOT, String(counts.warmup), String(counts.sweeps), ...all],
          { input: s.join('\n') + '\n', timeoutMs: 300000, env: { ...process.env, SWEEPLOOP_PER_FILE: '1' }, describeStderr }));
        // µs per cgroup per file: the shards' figures weighted by their cgroups.
        results.perFile[n] = all.map((_, i) => r.procs.reduce((a, p) => a + p.perFileUs[i] * p.n, 0) / n);
        process.stderr.write(`  N=${n} per-file costs (‡${r.shards}) (${((performance.now() - t) / 1000).toFixed(1)} s)\n`);
      } catch (e) {
        results.failures.push({ n, variant: 'per-file', error: e.message });
        process.stderr.write(`  N=${n} per-file: FAILED: ${e.message}\n`);
      }
      // Syscall counts of collectAsync sweeps (strace), in one process of a shard's cgroups.
      if (!meta.strace.skip) {
        const t2 = performance.now();
        try {
          const k = opts.quick ? 2 : 5;
          results.strace[n] = await straceSweeps(rels.slice(0, Math.min(n, opts.shard)), k);
          // One process of all N (default descriptor budget): the files past the budget are opened per read.
          if (n > opts.shard) results.strace[n].whole = await straceSweeps(rels, Math.max(2, k - 2));
          process.stderr.write(`  N=${n} strace counts (${((performance.now() - t2) / 1000).toFixed(1)} s)\n`);
        } catch (e) {
          results.failures.push({ n, variant: 'strace', error: e.message });
          process.stderr.write(`  N=${n} strace: FAILED: ${e.message}\n`);
        }
      }
    } finally {
      tree.remove();
    }
  }

  for (const v of VARIANTS) {
    for (const n of meta.sizes) {
      const r = results.variants[v.id].perN[n];
      if (!r) continue;
      settleCell(r, n);
      if (r.specRounds) {
        // A sweep that re-reads every spec file, and the steady state of sweeps every SCRAPE_S with the default
        // interval: the usage sweep plus SPEC_SHARE of the spec sweep's extra cost.
        r.specMs = median(r.specRounds);
        r.amortizedMs = r.ms + SPEC_SHARE * Math.max(0, r.specMs - r.ms);
      }
      if (r.loops) {
        const agg = (k) => medianRecord(r.loops.map((l) => l[k]));
        results.eventLoop[n] = { during: agg('during'), idle: agg('idle'), plain: agg('plain') };
      }
    }
  }
  const { ms, ratio } = ratioBuilder(results, meta.sizes);
  const amortized = (id, n) => (results.variants[id].perN[n] ? results.variants[id].perN[n].amortizedMs : NaN);
  // Issue 12's targets: runc ÷ collector ≥ 6 / ≥ 10 (collect / collectAsync) at N ≤ 1000, ≥ 5 / ≥ 8 at larger N.
  const syncTarget = (n) => (n <= 1000 ? 6 : 5);
  const asyncTarget = (n) => (n <= 1000 ? 10 : 8);
  if (meta.sizes.length) {
    const am = `sweeps every ${SCRAPE_S} s, spec every 60 s`;
    ratio(`runc GetStats / collector \`collect()\`, 1 process (${am})`, '≥ 6 · ≥ 5 at 5000', (x, n) => x >= syncTarget(n), (n) => ms('go', n) / amortized('collector-sync', n));
    ratio(`runc GetStats / collector \`collect()\` ‡ (${am})`, '≥ 6 · ≥ 5 at 5000', (x, n) => x >= syncTarget(n), (n) => ms('go', n) / amortized('collector-sync-shard', n));
    ratio(`runc GetStats / collector \`collectAsync()\`, 1 process (${am})`, '≥ 10 · ≥ 8 at 5000', (x, n) => x >= asyncTarget(n), (n) => ms('go', n) / amortized('collector-async', n));
    ratio(`runc GetStats / collector \`collectAsync()\` ‡ (${am})`, '≥ 10 · ≥ 8 at 5000', (x, n) => x >= asyncTarget(n), (n) => ms('go', n) / amortized('collector-async-shard', n));
    ratio('runc GetStats / collector `collect()`, 1 process, a sweep with no spec read due', null, null, (n) => ms('go', n) / ms('collector-sync', n));
    ratio('runc GetStats / collector `collectAsync()`, 1 process, a sweep with no spec read due', null, null, (n) => ms('go', n) / ms('collector-async', n));
    ratio('what the tiers buy: `collect()` ‡ with every file every sweep / with tiers, no spec read due', null, null, (n) => ms('collector-sync-all-shard', n) / ms('collector-sync-shard', n));
    ratio(`what the tiers buy: \`collect()\` ‡ with every file every sweep / with tiers (${SCRAPE_S} s/60 s)`, null, null, (n) => ms('collector-sync-all-shard', n) / amortized('collector-sync-shard', n));
    ratio('collector `collect()` ‡ / C loop ‡ (usage files)', '≤ 1.2', (x) => x <= 1.2, (n) => ms('collector-sync-shard', n) / ms('c', n));
    ratio('collector `collectAsync()` ‡ / C loop ‡ (usage files)', '≤ 1.2', (x) => x <= 1.2, (n) => ms('collector-async-shard', n) / ms('c', n));
    ratio('C loop ‡ in 2 processes at once / in one (what a second reader buys on this machine: 0.5 = a perfect split)', null, null, (n) => ms('c-par', n) / ms('c', n));
    ratio('best pure Node ‡ / collector `collect()` ‡', null, null, (n) => ms('node-held', n) / ms('collector-sync-shard', n));
    ratio('collector 1 process / sharded (`collect()`)', null, null, (n) => ms('collector-sync', n) / ms('collector-sync-shard', n));
  }

  if (opts.soak) {
    const top = tree.top;
    tree.ensureTop();
    process.stderr.write(`soak: ${opts.soakSweeps} sweeps of ${opts.soakN} cgroups with churn ...\n`);
    try {
      results.soak = await runWorker('soak', { top, n: opts.soakN, sweeps: opts.soakSweeps }, 4 * 3600 * 1000, ['--expose-gc']);
    } catch (e) {
      results.failures.push({ n: opts.soakN, variant: 'soak', error: e.message });
      process.stderr.write(`soak FAILED: ${e.message}\n`);
    } finally {
      tree.remove();
    }
  }

  closeMeta(meta, started, performance.now());
  finishRun(results, meta, buildReport(results, meta), opts.json);
  cleanupAll();
  process.exitCode = results.failures.length ? 1 : 0;
}

runScript('sweep', worker, main, cleanupAll);
