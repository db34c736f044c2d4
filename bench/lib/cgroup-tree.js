'use strict';
// The benchmarks' test tree: <top>/[<sub>/]pod-P/ctr-C in the given cgroup v1 hierarchies, one `sleep` per pod moved
// into ctr-0, removed children first (with EBUSY retries); only the sleeps this run started are killed. <top> is
// unique per run (<prefix>-<pid>-<8 hex>); cleanupStale() removes the trees of runs that were SIGKILLed. Everything
// here is synchronous, so it can run from exit and signal handlers.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn } = require('node:child_process');
const { performance } = require('node:perf_hooks');
const { killChildren } = require('./processes');

const CGROOT = '/sys/fs/cgroup';
const CTRS_PER_POD = 5;

const sleepMs = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Throws unless this is root on a host with the given cgroup v1 hierarchies. */
function preflight(hierarchies, what) {
  if (process.getuid && process.getuid() !== 0) throw new Error(`${what} needs root (it makes cgroups)`);
  for (const h of hierarchies) {
    if (!fs.existsSync(`${CGROOT}/${h}/cgroup.procs`)) throw new Error(`${CGROOT}/${h} is not a cgroup v1 hierarchy here`);
  }
}

/** True when pid runs no more (absent, zombie or dead). */
function processGone(pid) {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const s = st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3);
    return s === 'Z' || s === 'X';
  } catch {
    return true;
  }
}

/** Every directory below (and including) root, parents before children; [] when root is absent. */
function dirsBelow(root) {
  const dirs = [];
  const walk = (d) => {
    let entries;
    try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    dirs.push(d);
    for (const e of entries) if (e.isDirectory()) walk(path.join(d, e.name));
  };
  walk(root);
  return dirs;
}

class BenchTree {
  /**
   * name: the script's name in messages; prefix: <top> = <prefix>-<pid>-<8 hex>; hierarchies: where the tree is made;
   * sleepHierarchies: where each pod's sleep is moved into ctr-0.
   */
  constructor({ name, prefix, hierarchies, sleepHierarchies = hierarchies }) {
    this.name = name;
    this.prefix = prefix;
    this.hierarchies = hierarchies;
    this.sleepHierarchies = sleepHierarchies;
    this.top = null;
    this.sleeps = new Map(); // pid -> ChildProcess (null: a stale run's sleep)
  }

  /** Picks this run's unique top-level name. */
  claimTop() {
    this.top = `${this.prefix}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    return this.top;
  }

  /** The n cgroups of the tree, relative to the hierarchy roots. */
  relPaths(n, sub = '') {
    const rels = [];
    for (let c = 0; c < n; c++) rels.push(`${this.top}${sub}/pod-${Math.floor(c / CTRS_PER_POD)}/ctr-${c % CTRS_PER_POD}`);
    return rels;
  }

  /** Makes <top> if absent, in every hierarchy. Returns how many directories it made. */
  ensureTop() {
    let made = 0;
    for (const h of this.hierarchies) {
      if (!fs.existsSync(`${CGROOT}/${h}/${this.top}`)) { fs.mkdirSync(`${CGROOT}/${h}/${this.top}`); made++; }
    }
    return made;
  }

  /** Makes <top><sub>/pod-P/ctr-C for n containers and starts one sleep per pod in ctr-0 (only these pids are written). */
  makeTree(n, sub = '') {
    const pods = Math.ceil(n / CTRS_PER_POD);
    const t0 = performance.now();
    let dirs = this.ensureTop();
    for (const h of this.hierarchies) {
      const base = `${CGROOT}/${h}/${this.top}${sub}`;
      if (sub) { fs.mkdirSync(base); dirs++; }
      for (let p = 0; p < pods; p++) {
        fs.mkdirSync(`${base}/pod-${p}`);
        dirs++;
        for (let c = 0; c < CTRS_PER_POD && p * CTRS_PER_POD + c < n; c++) { fs.mkdirSync(`${base}/pod-${p}/ctr-${c}`); dirs++; }
      }
    }
    const mkdirMs = performance.now() - t0;
    const t1 = performance.now();
    const sleepBin = fs.existsSync('/bin/sleep') ? '/bin/sleep' : 'sleep';
    for (let p = 0; p < pods; p++) {
      const child = spawn(sleepBin, ['3600'], { stdio: 'ignore' });
      if (child.pid === undefined) throw new Error('could not start sleep');
      child.on('error', () => {});
      this.sleeps.set(child.pid, child);
      for (const h of this.sleepHierarchies) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`sleep ${child.pid} exited early`);
        fs.writeFileSync(`${CGROOT}/${h}/${this.top}${sub}/pod-${p}/ctr-0/cgroup.procs`, String(child.pid));
      }
    }
    return { dirs, mkdirMs, sleeps: pods, sleepSetupMs: performance.now() - t1 };
  }

  /** SIGKILLs the sleeps this run started (those still running) and waits up to 5 s for them to be gone. */
  killSleeps() {
    const pids = [...this.sleeps.keys()];
    for (const pid of pids) {
      const c = this.sleeps.get(pid);
      if (c && (c.exitCode !== null || c.signalCode !== null)) continue;
      if (!processGone(pid)) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      }
    }
    const deadline = Date.now() + 5000;
    for (const pid of pids) while (!processGone(pid) && Date.now() < deadline) sleepMs(5);
    this.sleeps.clear();
  }

  /** Removes top in every hierarchy: every directory below it (all ours: the name is unique to a run), children first. */
  removeTop(top) {
    for (const h of this.hierarchies) {
      const dirs = dirsBelow(`${CGROOT}/${h}/${top}`);
      for (let i = dirs.length - 1; i >= 0; i--) {
        const deadline = Date.now() + 3000;
        for (;;) {
          try { fs.rmdirSync(dirs[i]); break; } catch (e) {
            if (e.code === 'ENOENT') break;
            if (e.code === 'EBUSY' && Date.now() < deadline) { sleepMs(10); continue; }
            process.stderr.write(`${this.name}: could not remove ${dirs[i]}: ${e.message}\n`);
            break;
          }
        }
      }
    }
  }

  /** Kills this run's sleeps and removes its tree. */
  remove() {
    this.killSleeps();
    if (this.top) this.removeTop(this.top);
  }

  /**
   * Trees of runs that were SIGKILLed: <prefix>-<pid>-<8 hex> whose <pid> is not a running `script`. Only `sleep`
   * processes inside such a tree are killed (the ones a run started); anything else in it is left alone and keeps
   * its cgroup from being removed.
   */
  cleanupStale(script) {
    const re = new RegExp(`^${this.prefix}-(\\d+)-[0-9a-f]{8}$`);
    const tops = new Set();
    for (const h of this.hierarchies) for (const name of fs.readdirSync(`${CGROOT}/${h}`)) if (re.test(name)) tops.add(name);
    let removed = 0;
    for (const top of tops) {
      const pid = Number(re.exec(top)[1]);
      let alive = false;
      try { alive = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(script); } catch { /* gone */ }
      if (alive) continue;
      for (const h of this.hierarchies) {
        for (const d of dirsBelow(`${CGROOT}/${h}/${top}`)) {
          let procs = [];
          try { procs = fs.readFileSync(`${d}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number); } catch { continue; }
          for (const p of procs) {
            let comm = '';
            try { comm = fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim(); } catch { continue; }
            if (comm === 'sleep') this.sleeps.set(p, null);
          }
        }
      }
      this.killSleeps();
      this.removeTop(top);
      removed++;
      process.stderr.write(`removed stale ${top}\n`);
    }
    process.stderr.write(`${removed} stale tree(s) removed\n`);
  }
}

/**
 * Runs cleanup (idempotent, synchronous) on exit, on SIGINT/SIGTERM/SIGHUP (then exits 128 + signal) and on an
 * uncaught exception or unhandled rejection (then exits 1).
 */
function installCleanupHandlers(name, cleanup) {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      process.stderr.write(`\n${name}: ${sig}, removing the benchmark's cgroups\n`);
      cleanup();
      process.exit(128 + os.constants.signals[sig]);
    });
  }
  process.on('exit', () => cleanup());
  const fatal = (e) => {
    process.stderr.write(`${name}: ${e && e.stack ? e.stack : e}\n`);
    cleanup();
    process.exit(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}

/**
 * The cleanup of a whole run (idempotent, synchronous): kills the measuring processes, the sleeps and the tree, and
 * removes run.tmp.
 */
function runCleanup(tree, run) {
  let cleaning = false;
  return () => {
    if (cleaning) return;
    cleaning = true;
    try {
      killChildren();
      tree.remove();
      if (run.tmp) fs.rmSync(run.tmp, { recursive: true, force: true });
      run.tmp = null;
    } finally {
      cleaning = false;
    }
  };
}

module.exports = { CGROOT, CTRS_PER_POD, sleepMs, preflight, processGone, BenchTree, installCleanupHandlers, runCleanup };
