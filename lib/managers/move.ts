/**
 * moveProcessToContainerCgroup (spec §2.11): the command process joins every cgroup of the container's process, as
 * listed in `/proc/<containerPid>/cgroup`. Each hierarchy is written once even when controllers are co-mounted
 * (`cpu,cpuacct` and its `cpu`/`cpuacct` aliases resolve to one directory; CRI-O writes it twice, Q-17). Directories
 * that do not exist, or that are not cgroups (no cgroup.procs: `name=systemd`, the hybrid "" key), are skipped.
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { CgroupContext, type CgroupOptions } from '../cgroup';
import { CgroupError, sysError } from '../errors';
import { join } from '../paths';
import { pid as checkPid } from '../validate';

/** opencontainers/cgroups ParseCgroupFile: controller → path ("" for the v2 line). */
export function parseCgroupFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const parts = line.split(':');
    if (parts.length < 3) {
      throw new CgroupError(`invalid cgroup entry: must contain at least two colons: ${line}`, { code: 'ERR_CGROUP_PARSE' });
    }
    const p = parts.slice(2).join(':');
    for (const c of parts[1]!.split(',')) out.set(c, p);
  }
  return out;
}

function checkCommandPid(v: unknown): number {
  if (v === -1) return -1;
  return checkPid(v, 'commandPid');
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// One write(2) of the pid; EINVAL (a task in TASK_NEW) retried 5 times 30 ms apart, as runc.
function writeProc(file: string, pid: number): void {
  for (let attempt = 0; ; attempt++) {
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, fs.constants.O_WRONLY);
      fs.writeSync(fd, String(pid));
      return;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EINVAL' && attempt < 4) {
        sleepSync(30);
        continue;
      }
      throw typeof err.errno === 'number' ? sysError(-err.errno, err.syscall ?? 'write', file, { cause: err }) : err;
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }
}

function targets(containerPid: number, ctx: CgroupContext): string[] {
  const file = nodePath.join(ctx.procRoot, String(containerPid), 'cgroup');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw typeof err.errno === 'number' ? sysError(-err.errno, err.syscall ?? 'open', file, { cause: err }) : err;
  }
  const seen = new Set<string>();
  const out: string[] = [];
  for (const [controller, p] of parseCgroupFile(text)) {
    const d = join(ctx.root, controller, p);
    if (!(d === ctx.root || d.startsWith(ctx.root + '/'))) continue; // never outside the root
    let real: string;
    try {
      real = fs.realpathSync(d);
    } catch {
      continue; // does not exist
    }
    if (seen.has(real) || !fs.existsSync(nodePath.join(real, 'cgroup.procs'))) continue;
    seen.add(real);
    out.push(nodePath.join(d, 'cgroup.procs'));
  }
  return out;
}

/** Moves commandPid into every cgroup of containerPid (commandPid -1: nothing is written). */
export function moveProcessToContainerCgroupSync(containerPid: number, commandPid: number, options: CgroupOptions = {}): void {
  const cpid = checkPid(containerPid, 'containerPid');
  const pid = checkCommandPid(commandPid);
  const ctx = new CgroupContext(options);
  const files = targets(cpid, ctx);
  if (pid === -1) return;
  for (const f of files) writeProc(f, pid);
}

export async function moveProcessToContainerCgroup(containerPid: number, commandPid: number, options: CgroupOptions = {}): Promise<void> {
  moveProcessToContainerCgroupSync(containerPid, commandPid, options);
}

