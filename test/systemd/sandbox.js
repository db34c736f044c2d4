'use strict';
// A real systemd 252 for the tests: boots test/systemd/sandbox/start.sh under a unique name (cgmgr-sd-<label>-<pid>),
// always stops it (t.teardown, and on exit/SIGINT/SIGTERM), starts processes inside it (their pids are the sandbox's,
// as systemd sees them) and maps systemd's ControlGroup paths to the host's view of the sandbox's cgroups.
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { kernelOptInSkipReason } = require('../helpers/cgroups');

const DIR = path.join(__dirname, 'sandbox');
const HIERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'systemd', 'unified'];

// The sandbox must never run under the sanitizers of the ASan CI pass (systemd would run under ASan).
function cleanEnv(extra) {
  const env = { ...process.env, ...extra };
  for (const k of ['LD_PRELOAD', 'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS']) delete env[k];
  return env;
}

/** Why the sandbox cannot start here, or undefined. */
function unavailable() {
  const optIn = kernelOptInSkipReason();
  if (optIn) return optIn;
  if (process.getuid() !== 0) return 'the systemd sandbox needs root';
  if (!fs.existsSync('/lib/systemd/systemd')) return 'systemd is not installed (/lib/systemd/systemd)';
  for (const b of ['dbus-daemon', 'busctl', 'unshare', 'nsenter']) {
    if (spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0) return `${b} is not installed`;
  }
  for (const h of HIERS) {
    if (!fs.existsSync(`/sys/fs/cgroup/${h}`)) return `the sandbox recipe needs the cgroup v1 hybrid layout (no /sys/fs/cgroup/${h})`;
  }
  return undefined;
}

const running = new Set();
function stopAll() {
  for (const s of [...running]) s.stop();
}
process.on('exit', stopAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    stopAll();
    process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
  });
}

class Sandbox {
  constructor(label) {
    this.name = `cgmgr-sd-${label}-${process.pid}`;
    this.state = `/tmp/${this.name}`;
    this.env = cleanEnv({ SDTEST_NAME: this.name, SDTEST_STATE: this.state, SDTEST_MAX_LIFETIME: '900' });
    this.children = new Set();
    this.stopped = false;
  }

  start() {
    running.add(this);
    const r = spawnSync(path.join(DIR, 'start.sh'), [], { env: this.env, encoding: 'utf8', timeout: 60000 });
    if (r.status !== 0) {
      this.stop();
      throw new Error(`start.sh failed (${r.status}): ${r.stderr}${r.stdout}`);
    }
    this.initPid = Number(fs.readFileSync(`${this.state}/init.pid`, 'utf8'));
    this.socket = `${this.state}/run/dbus/system_bus_socket`;
    this.address = `unix:path=${this.socket}`;
    /** The sandbox's own /sys/fs/cgroup, seen from the host: cgroup paths there are systemd's ControlGroup paths. */
    this.cgroupRoot = `/proc/${this.initPid}/root/sys/fs/cgroup`;
    /**
     * Its cgroup mounts as seen from here: the sandbox's mountinfo with each mount point under that root. (Read as
     * plain directories, the root would also show the read-only placeholders of co-mounted names, e.g. cpu,cpuacct.)
     */
    this.mountinfo = `${this.state}/cgmgr-mountinfo`;
    const prefix = `/proc/${this.initPid}/root`;
    const lines = fs.readFileSync(`/proc/${this.initPid}/mountinfo`, 'utf8').split('\n').filter(Boolean)
      .map((l) => l.split(' ').map((f, i) => (i === 4 ? prefix + f : f)).join(' '));
    fs.writeFileSync(this.mountinfo, lines.join('\n') + '\n');
    return this;
  }

  stop() {
    if (this.stopped) return;
    this.stopped = true;
    for (const c of this.children) c.kill();
    const r = spawnSync(path.join(DIR, 'stop.sh'), [], { env: { ...this.env, SDTEST_STOP_TIMEOUT: '10' }, encoding: 'utf8', timeout: 60000 });
    running.delete(this);
    if (r.status !== 0) process.stderr.write(`stop.sh (${this.name}) failed: ${r.stderr}${r.stdout}\n`);
  }

  /** Runs `args` inside the sandbox (exec.sh, synchronously); `unset`: more variables to leave out. */
  execSync(args, unset = []) {
    const env = { ...this.env };
    for (const k of unset) delete env[k];
    return spawnSync(path.join(DIR, 'exec.sh'), args, { env, encoding: 'utf8', timeout: 30000 });
  }

  /**
   * Starts `sleep <secs>` inside the sandbox and resolves to { hostPid, pid (the sandbox's), kill(), exited }. The
   * process is a child of the nsenter that exec.sh runs; it is killed by kill() and when the sandbox stops.
   */
  async spawnSleep(secs = 600) {
    const nsenter = spawn(path.join(DIR, 'exec.sh'), ['sleep', String(secs)], { env: this.env, stdio: 'ignore' });
    let hostPid;
    for (let i = 0; i < 500 && hostPid === undefined; i++) {
      try {
        const kid = fs.readFileSync(`/proc/${nsenter.pid}/task/${nsenter.pid}/children`, 'utf8').trim();
        if (kid && fs.readFileSync(`/proc/${kid}/comm`, 'utf8').trim() === 'sleep') hostPid = Number(kid);
      } catch {
        // not there yet
      }
      if (hostPid === undefined) await new Promise((r) => setTimeout(r, 10));
    }
    if (hostPid === undefined) {
      nsenter.kill('SIGKILL');
      throw new Error('the sandboxed sleep did not start');
    }
    const ns = fs.readFileSync(`/proc/${hostPid}/status`, 'utf8').match(/^NSpid:\s+(.*)$/m)[1].trim().split(/\s+/);
    const exited = new Promise((r) => nsenter.once('exit', r));
    const child = {
      hostPid,
      pid: Number(ns[ns.length - 1]),
      exited,
      kill() {
        // Only the process we started: still a child of our nsenter, still sleep.
        try {
          const kids = fs.readFileSync(`/proc/${nsenter.pid}/task/${nsenter.pid}/children`, 'utf8').trim().split(/\s+/);
          if (kids.includes(String(hostPid))) process.kill(hostPid, 'SIGKILL');
        } catch {
          // gone already
        }
      },
    };
    this.children.add(child);
    exited.then(() => this.children.delete(child));
    return child;
  }

  /** The host path of a ControlGroup (`/kubepods.slice/…`) in hierarchy `h`. */
  hostPath(h, controlGroup) {
    return path.join('/sys/fs/cgroup', h, this.name, controlGroup);
  }
}

/**
 * Starts a sandbox for test `t` (skipping with the reason where it cannot run) and stops it at teardown.
 * Resolves to the Sandbox, or undefined when skipped.
 */
function startSandbox(t, label) {
  const why = unavailable();
  if (why) {
    t.skip(why);
    return undefined;
  }
  const s = new Sandbox(label);
  t.teardown(() => s.stop());
  return s.start();
}

module.exports = { startSandbox, unavailable, cleanEnv };
