'use strict';
// The CRI lab (../shared/cri-lab: a private containerd 1.6 with its CRI plugin) for the tests, and `cgmgr serve` as a
// child process with its scrape parsed. Each says why it cannot run.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { kernelOptInSkipReason } = require('../helpers/cgroups');

// The lab's scripts: a copy of ../shared/cri-lab in test/kubernetes/cri-lab (CRILAB_SCRIPTS overrides).
const LAB = process.env.CRILAB_SCRIPTS ?? path.join(__dirname, 'cri-lab');
const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');

function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

function labSkip() {
  const optIn = kernelOptInSkipReason();
  if (optIn) return optIn;
  if (process.getuid?.() !== 0) return 'the CRI lab needs root';
  if (!fs.existsSync(path.join(LAB, 'start.sh'))) return `no CRI lab scripts at ${LAB}`;
  for (const b of ['containerd', 'containerd-shim-runc-v2', 'ctr', 'runc', 'busybox']) {
    if (!which(b)) return `${b} not installed (apt-get install containerd runc busybox-static)`;
  }
  try {
    require.resolve('@grpc/grpc-js');
    require.resolve('@grpc/proto-loader');
  } catch {
    return 'the optional dependencies @grpc/grpc-js and @grpc/proto-loader are not installed';
  }
  return undefined;
}

function run(script, dir) {
  // The lab's daemons are not under test: no sanitizer runtime preloaded into them (the ASan run of the host suite).
  const env = { ...process.env, CRILAB_DIR: dir };
  for (const k of ['LD_PRELOAD', 'ASAN_OPTIONS', 'UBSAN_OPTIONS']) delete env[k];
  const r = spawnSync('bash', [path.join(LAB, script)], { env, encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}): ${r.stderr}${r.stdout}`);
}

/** Starts a lab in a fresh directory: { dir, endpoint, cgParent, stop(), restart(), kill() }. */
function startLab() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cgmgr-crilab-'));
  run('start.sh', dir);
  const env = fs.readFileSync(path.join(dir, 'lab.env'), 'utf8');
  const cgParent = /^CGPARENT=(\S+)$/m.exec(env)[1];
  const pidOf = () => Number(fs.readFileSync(path.join(dir, 'containerd.pid'), 'utf8').trim());
  const lab = {
    dir, cgParent, endpoint: `unix://${dir}/containerd.sock`,
    /** Kills the lab's containerd (its pid only; shims and containers keep running, as after a crash). */
    async kill() {
      const pid = pidOf();
      process.kill(pid, 'SIGKILL');
      const deadline = Date.now() + 10000;
      while (Date.now() < deadline) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`containerd ${pid} did not exit`);
    },
    /** Starts containerd again after kill(): the shims kept the pods running; containerd recovers them. */
    restart() {
      run('start.sh', dir);
    },
    stop() {
      run('stop.sh', dir);
      fs.rmSync(dir, { recursive: true, force: true }); // stop.sh keeps the logs
    },
  };
  return lab;
}

/** `cgmgr serve` with these arguments: { url, child, stderr(), stop() } once it listens. */
async function startServe(args) {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /"url":\s*"([^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code}: ${err}`));
    });
  });
  return {
    url,
    child,
    stderr: () => err,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** The series of a family in a Prometheus text scrape: [{ labels, value }]. */
function series(text, family) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${family}{`)) continue;
    const close = line.lastIndexOf('}');
    const labels = {};
    for (const m of line.slice(family.length + 1, close).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]] = m[2];
    out.push({ labels, value: Number(line.slice(close + 2)) });
  }
  return out;
}

/** GET on a fresh connection (no keep-alive reuse racing the server's idle close): { status, text }. */
function get(url, headers = {}) {
  const http = require('node:http');
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(30000, () => req.destroy(new Error(`GET ${url}: timed out`)));
  });
}

async function waitFor(what, fn, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

module.exports = { get, labSkip, startLab, startServe, series, waitFor };
