'use strict';
// Child-process plumbing of the benchmarks: measuring processes that print one JSON line, Node worker processes of
// a benchmark script, the C loops built with cc at run time, and descriptor counts.

const fs = require('node:fs');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { median } = require('./stats');

/** The running measuring processes (killed by killChildren() on cleanup). */
const children = new Set();

/** The last `count` lines of a child's stderr, as one line. */
const lastLines = (count) => (stderr) => stderr.trim().split('\n').slice(-count).join(' | ');

/** The first line that names an error, then the last `count` lines of a child's stderr. */
const errorLineAndLast = (count) => (stderr) => {
  const lines = stderr.trim().split('\n');
  const message = lines.find((l) => /Error|error:/.test(l)) || lines[0] || '';
  return `${message.trim()} | ${lines.slice(-count).join(' | ')}`;
};

/**
 * Runs cmd with args, input on stdin, and resolves with the JSON of the last line of its stdout. Killed with SIGKILL
 * after timeoutMs; a non-zero exit rejects with describeStderr(stderr) in the message.
 */
function runJsonProcess(cmd, args, { input = '', timeoutMs, env = process.env, describeStderr = lastLines(3) }) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    children.add(child);
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', (e) => { clearTimeout(timer); children.delete(child); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (code !== 0) {
        reject(new Error(`${path.basename(cmd)} ${args.slice(0, 3).join(' ')} failed (${signal || code}): ${describeStderr(stderr)}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop()));
      } catch {
        reject(new Error(`bad output from ${cmd}: ${stdout.slice(0, 200)} ${stderr.slice(0, 200)}`));
      }
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

let specSeq = 0;
/** A fresh file name in dir (specs, strace outputs). */
function tmpFile(dir, prefix, ext) {
  return path.join(dir, `${prefix}-${process.pid}-${specSeq++}.${ext}`);
}

/**
 * Runs `node [nodeArgs] script --worker VARIANT --spec FILE` (under `wrap`, e.g. strace, when given) with the spec
 * written to a file in tmp, and resolves with the worker's JSON line.
 */
async function runNodeWorker(script, tmp, variant, spec, { timeoutMs, nodeArgs = [], wrap = null, describeStderr } = {}) {
  const f = tmpFile(tmp, 'spec', 'json');
  fs.writeFileSync(f, JSON.stringify(spec));
  const argv = [process.execPath, ...nodeArgs, script, '--worker', variant, '--spec', f];
  const cmd = wrap ? [...wrap, ...argv] : argv;
  try {
    return await runJsonProcess(cmd[0], cmd.slice(1), { timeoutMs, describeStderr });
  } finally {
    fs.rmSync(f, { force: true });
  }
}

/** The entry point of a benchmark script: `--worker VARIANT --spec FILE` runs worker(), anything else main(). */
function runScript(name, worker, main, cleanup) {
  if (process.argv[2] === '--worker') {
    worker(process.argv[3], process.argv[5]).catch((e) => {
      process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
      process.exit(1);
    });
  } else {
    main().catch((e) => {
      process.stderr.write(`${name}: ${e && e.stack ? e.stack : e}\n`);
      cleanup();
      process.exit(1);
    });
  }
}

/** Builds a C loop of bench/ with `cc -O2 -Wall` into dir; returns the binary's path. */
function compileC(source, dir) {
  const bin = path.join(dir, path.basename(source, '.c'));
  execFileSync('cc', ['-O2', '-Wall', '-o', bin, source], { stdio: ['ignore', 'inherit', 'inherit'] });
  return bin;
}

function killChildren() {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch { /* gone */ }
  }
}

/** Open descriptors of this process, or a string saying why they cannot be counted (EMFILE: none left). */
function fdCount() {
  try {
    return fs.readdirSync('/proc/self/fd').length;
  } catch (e) {
    return e.code || String(e);
  }
}

/** RLIMIT_NOFILE as the shell reports it ('?' when it cannot be asked). */
function nofileLimit() {
  try { return execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim(); } catch { return '?'; }
}

/** Splits rels into the fewest equal slices of at most shardSize (one measuring process each). */
function shardsOf(rels, shardSize) {
  const k = Math.max(1, Math.ceil(rels.length / shardSize));
  const per = Math.ceil(rels.length / k);
  const out = [];
  for (let i = 0; i < k; i++) out.push(rels.slice(i * per, (i + 1) * per));
  return out.filter((s) => s.length > 0);
}

/**
 * Runs one measuring process per shard of rels (one after another; all rels in one process when not sharded):
 * runOne(shard) resolves with a result holding sweepsMs. Returns { shards, ms: the sum of the per-process median
 * sweeps, procs: the results, each with medianMs }.
 */
async function runShards(rels, shardSize, sharded, runOne) {
  const shards = sharded ? shardsOf(rels, shardSize) : [rels];
  const procs = [];
  for (const s of shards) {
    const r = await runOne(s);
    r.medianMs = median(r.sweepsMs);
    procs.push(r);
  }
  return { shards: shards.length, ms: procs.reduce((a, p) => a + p.medianMs, 0), procs };
}

module.exports = {
  children, lastLines, errorLineAndLast, runJsonProcess, tmpFile, runNodeWorker, runScript, compileC, killChildren, fdCount, nofileLimit, shardsOf, runShards,
};
