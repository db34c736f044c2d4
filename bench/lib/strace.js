'use strict';
// strace -c attached to a running process (all its threads) around some work: calls, errors and kernel time per
// syscall, divided by how many times the work ran.

const fs = require('node:fs');
const { spawn, execFileSync } = require('node:child_process');
const { tmpFile } = require('./processes');

/** Why strace cannot be used here, or null. */
function straceMissing() {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'strace not installed';
  }
}

/**
 * Parses `strace -c` output: { syscalls: { name: { calls, errors, seconds } }, total: { calls, errors, seconds } }.
 * `seconds` is strace's own figure: system (kernel) CPU time spent in the call.
 */
function parseStraceSummary(text) {
  const syscalls = {};
  let total = { calls: 0, errors: 0, seconds: 0 };
  for (const line of text.split('\n')) {
    const t = line.trim().split(/\s+/);
    // % time, seconds, [usecs/call], calls, [errors], syscall
    if (t.length < 4 || !/^[\d.]+$/.test(t[0]) || !/^[\d.]+$/.test(t[1])) continue;
    const name = t[t.length - 1];
    const nums = t.slice(2, -1).map(Number);
    // usecs/call calls [errors] (the total line too)
    const [, calls, errors = 0] = nums;
    if (!Number.isFinite(calls)) continue;
    if (name === 'total') total = { calls, errors, seconds: Number(t[1]) };
    else syscalls[name] = { calls, errors, seconds: Number(t[1]) };
  }
  return { syscalls, total };
}

/**
 * Attaches `strace -f -c` to pid (every thread, and threads started later), runs work(), detaches (SIGINT to the
 * strace it started) and resolves with the summary divided by `per` (the work's repetitions): calls, errors and
 * kernel milliseconds per repetition for each syscall.
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
  const { syscalls, total } = parseStraceSummary(fs.readFileSync(out, 'utf8'));
  fs.rmSync(out, { force: true });
  const perRun = {};
  for (const [name, s] of Object.entries(syscalls)) {
    perRun[name] = { calls: s.calls / per, errors: s.errors / per, ms: (s.seconds * 1000) / per };
  }
  return { per, syscalls: perRun, total: { calls: total.calls / per, errors: total.errors / per, ms: (total.seconds * 1000) / per }, result };
}

module.exports = { straceMissing, parseStraceSummary, straceDuring };
