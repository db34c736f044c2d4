'use strict';
// strace helpers of the benchmarks: whether strace runs here, the summary table of `strace -c -f` (calls, errors and
// seconds per syscall), the difference of two such tables (a run doing K sweeps minus the same run doing none: what
// the K sweeps cost: bench/sweep.js), `strace -f -c` attached to a running process around some work, per repetition
// (bench/scrape.js), and the per-file counts of a `strace -f -y -e trace=...` trace between two marker calls the
// traced process makes (an openat of MARK_BEGIN / MARK_END, which fail with ENOENT).

const fs = require('node:fs');
const { spawn, spawnSync } = require('node:child_process');
const { tmpFile } = require('./processes');

const MARK_BEGIN = '/cgmgr-strace-mark-begin';
const MARK_END = '/cgmgr-strace-mark-end';

/** Undefined when `strace` can trace a child here, else the reason. */
function straceSkipReason() {
  const r = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', 'true'], { encoding: 'utf8' });
  if (r.error && r.error.code === 'ENOENT') return 'strace is not installed (apt-get install strace)';
  if (r.error || r.status !== 0) return `strace cannot trace here: ${(r.stderr || String(r.error)).trim().split('\n').pop()}`;
  return undefined;
}

/** The marker calls, made by the traced process around what is measured. */
function mark(which) {
  try {
    fs.closeSync(fs.openSync(which === 'begin' ? MARK_BEGIN : MARK_END, 'r'));
  } catch {
    // ENOENT: the call is what counts
  }
}

/** Parses `strace -c` output: Map syscall -> { calls, errors, seconds } (`seconds`: kernel CPU time in the call). */
function parseSummary(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    const m = /^\s*[\d.]+\s+([\d.]+)\s+(\d+)\s+(\d+)\s+(?:(\d+)\s+)?([a-z_0-9]+)\s*$/.exec(line);
    if (!m || m[5] === 'total') continue;
    out.set(m[5], { seconds: Number(m[1]), calls: Number(m[3]), errors: Number(m[4] || 0) });
  }
  return out;
}

/** a − b per syscall (calls, errors, seconds), syscalls with no calls left out, most calls first. */
function diffSummary(a, b) {
  const rows = [];
  for (const [name, x] of a) {
    const y = b.get(name) || { calls: 0, errors: 0, seconds: 0 };
    const calls = x.calls - y.calls;
    if (calls <= 0) continue;
    rows.push({ syscall: name, calls, errors: Math.max(0, x.errors - y.errors), seconds: Math.max(0, x.seconds - y.seconds) });
  }
  return rows.sort((p, q) => q.calls - p.calls);
}

/** The file a traced call is about: a cgroup file by name, a /proc file with <pid>, anything else as "other". */
function fileClass(p) {
  if (p.startsWith('/sys/fs/cgroup/')) {
    const name = p.slice(p.lastIndexOf('/') + 1);
    return name.includes('.') ? name : '(a cgroup directory)'; // every cgroup file name has a dot
  }
  if (p.startsWith('/proc/')) return p.replace(/^\/proc\/\d+\//, '/proc/<pid>/').replace(/^\/proc\/self\//, '/proc/self/');
  return 'other';
}

/**
 * Counts the calls of a `strace -f -y` trace between the marker calls, by syscall and file: Map "syscall file" ->
 * count, and the number of marked stretches seen.
 */
function countTraceByFile(text) {
  const counts = new Map();
  let inside = false;
  let stretches = 0;
  for (const line of text.split('\n')) {
    if (line.includes(MARK_BEGIN)) { inside = true; stretches++; continue; }
    if (line.includes(MARK_END)) { inside = false; continue; }
    if (!inside || line.includes(' resumed>')) continue;
    const m = /^\d+\s+([a-z_0-9]+)\((.*)$/.exec(line);
    if (!m) continue;
    const call = m[1];
    let file;
    if (call === 'openat' || call === 'openat2' || call === 'open') {
      const q = /"([^"]*)"/.exec(m[2]);
      const dir = /^(\d+)<([^>]*)>/.exec(m[2]);
      if (!q) continue;
      file = fileClass(q[1].startsWith('/') || !dir ? q[1] : `${dir[2]}/${q[1]}`);
    } else {
      const fd = /^(\d+)<([^>]*)>/.exec(m[2]);
      file = fd ? fileClass(fd[2]) : 'other';
    }
    const k = `${call} ${file}`;
    counts.set(k, (counts.get(k) || 0) + 1);
  }
  return { counts, stretches };
}

/**
 * Attaches `strace -f -c` to pid (every thread, and threads started later), runs work(), detaches (SIGINT to the
 * strace it started) and resolves with the summary divided by `per` (the work's repetitions): { per, syscalls: { name:
 * { calls, errors, ms } }, total: { calls, errors, ms }, result } (ms: kernel milliseconds per repetition).
 */
async function straceDuring(pid, tmp, per, work) {
  const out = tmpFile(tmp, 'strace', 'txt');
  const child = spawn('strace', ['-f', '-c', '-o', out, '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  // strace says "Process N attached" for each thread once it traces it.
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`strace did not attach to ${pid}: ${stderr.trim()}`)), 20000);
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/attached/.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`strace exited before attaching: ${stderr.trim()}`));
    });
  });
  // Every thread of the process is attached before strace prints its first line for the last one; give it a moment.
  await new Promise((resolve) => setTimeout(resolve, 200));
  let result;
  try {
    result = await work();
  } finally {
    child.kill('SIGINT');
    await exited;
  }
  const summary = parseSummary(fs.readFileSync(out, 'utf8'));
  fs.rmSync(out, { force: true });
  const syscalls = {};
  const total = { calls: 0, errors: 0, ms: 0 };
  for (const [name, s] of summary) {
    syscalls[name] = { calls: s.calls / per, errors: s.errors / per, ms: (s.seconds * 1000) / per };
    total.calls += s.calls / per;
    total.errors += s.errors / per;
    total.ms += (s.seconds * 1000) / per;
  }
  return { per, syscalls, total, result };
}

module.exports = { MARK_BEGIN, MARK_END, straceSkipReason, mark, parseSummary, diffSummary, countTraceByFile, straceDuring };
