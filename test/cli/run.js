'use strict';
// Runs the real cgmgr binary (node dist/cli.js): synchronously, or as a child to talk to (serve, top).
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');
const TREE = path.join(__dirname, '..', 'fixtures', 'trees', 'v1-real');

/** Runs `cgmgr ...args` to completion: { status, signal, stdout, stderr }. NO_COLOR keeps the text plain. */
function run(...args) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60000 });
}

/** Starts `cgmgr ...args`; the caller waits for output and ends it. The child is killed in teardown if still alive. */
function start(t, ...args) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  child.stdoutText = '';
  child.stderrText = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { child.stdoutText += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { child.stderrText += d; });
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

/** Resolves when the child's stdout has a full line, with that line; rejects when it exits first or after ms. */
function firstLine(child, ms = 20000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no output in ${ms} ms; stderr: ${child.stderrText}`)), ms);
    const check = () => {
      const i = child.stdoutText.indexOf('\n');
      if (i >= 0) {
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolve(child.stdoutText.slice(0, i));
      }
    };
    child.stdout.on('data', check);
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`exited before printing: ${child.stderrText}`));
    });
    check();
  });
}

module.exports = { CLI, TREE, run, start, firstLine };
