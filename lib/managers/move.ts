/**
 * moveProcessToContainerCgroup (spec §2.11): the command process joins every cgroup of the container's process, as
 * listed in `/proc/<containerPid>/cgroup`. Each hierarchy is written once even when controllers are co-mounted
 * (`cpu,cpuacct` and its `cpu`/`cpuacct` aliases are one hierarchy; CRI-O writes it twice, Q-17). Cgroups that do not
 * exist, or that are not cgroups (no cgroup.procs: `name=systemd`, the hybrid "" key), are skipped. The pids are
 * written by the engine (beneath the hierarchy root, no symlinks; EINVAL retried there, native/procs.cc); the async
 * form waits for the engine's asynchronous write.
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { CgroupContext, type CgroupOptions } from '../cgroup';
import type { Engine } from '../engine';
import { CgroupError, sysError } from '../errors';
import type { Hierarchy } from '../hierarchy';
import { pid as checkPid } from '../validate';
/** opencontainers/cgroups ParseCgroupFile: controller → path ("" for the v2 line). */
export function parseCgroupFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const parts = line.split(':');
    if (parts.length < 3) {
      throw new CgroupError(`invalid cgroup entry: must contain at least two colons: ${line}`, {
        code: 'ERR_CGROUP_PARSE',
      });
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

/** One cgroup to join: a hierarchy, the cgroup's path in it, an open engine handle and a controller naming it. */
interface Target {
  h: Hierarchy;
  id: number;
  controller: string;
}

// The hierarchy a /proc/<pid>/cgroup key names under the context's root: CRI-O writes into Join(root, controller,
// path), which is a hierarchy only for a mounted controller's name ("cpu" of "cpu,cpuacct" included) and, for the
// v2 line's "" key, only when a hierarchy is mounted at the root itself (a v2 host; on a hybrid host it is skipped).
function hierarchyOfKey(ctx: CgroupContext, controller: string): Hierarchy | undefined {
  const l = ctx.layout;
  if (controller === '') return l.hierarchies.find((h) => h.path === ctx.root);
  if (controller.startsWith('name=')) return undefined;
  const h = l.controllers.get(controller);
  return h?.version === 1 ? h : undefined;
}

// A /proc path as a cgroup path below the hierarchy root; undefined when it is not one (a cgroup namespace's "/..").
function relOf(p: string): string | undefined {
  const parts = p.split('/').filter((x) => x !== '');
  if (parts.some((x) => x === '.' || x === '..')) return undefined;
  return parts.join('/');
}

function readCgroupFile(containerPid: number, ctx: CgroupContext): Map<string, string> {
  const file = nodePath.join(ctx.procRoot, String(containerPid), 'cgroup');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw typeof err.errno === 'number' ? sysError(-err.errno, err.syscall ?? 'open', file, { cause: err }) : err;
  }
  return parseCgroupFile(text);
}

/** Opens a handle per distinct (hierarchy, cgroup) the container's process is in and that exists; the caller closes them. */
function targets(containerPid: number, ctx: CgroupContext): Target[] {
  const entries = readCgroupFile(containerPid, ctx); // its errors first, before any discovery
  const engine = ctx.engine;
  const seen = new Set<number>();
  const out: Target[] = [];
  try {
    for (const [controller, p] of entries) {
      const h = hierarchyOfKey(ctx, controller);
      const rel = relOf(p);
      if (h === undefined || rel === undefined || seen.has(h.index)) continue;
      let id: number;
      try {
        id = engine.open(rel);
      } catch (e) {
        if ((e as CgroupError).code === 'ENOENT' || (e as CgroupError).code === 'ENOTDIR') continue; // does not exist
        throw e;
      }
      if (engine.info(id)?.present[h.index] !== true) {
        engine.close(id);
        continue;
      }
      seen.add(h.index);
      out.push({ h, id, controller: h.version === 2 ? 'unified' : h.controllers[0]! });
    }
  } catch (e) {
    closeAll(engine, out);
    throw e;
  }
  return out;
}

function closeAll(engine: Engine, list: Target[]): void {
  for (const t of list) engine.close(t.id);
}

// A write's error, unless the directory is not a cgroup (no cgroup.procs) or has left that hierarchy: skipped.
function failure(e: CgroupError | undefined): CgroupError | undefined {
  if (e === undefined || e.code === 'ERR_CGROUP_NOT_IN_HIERARCHY') return undefined;
  if (e.code === 'ENOENT' && e.syscall !== 'write') return undefined;
  return e;
}

/** Moves commandPid into every cgroup of containerPid (commandPid -1: nothing is written). */
export function moveProcessToContainerCgroupSync(
  containerPid: number,
  commandPid: number,
  options: CgroupOptions = {},
): void {
  const cpid = checkPid(containerPid, 'containerPid');
  const pid = checkCommandPid(commandPid);
  const ctx = new CgroupContext(options);
  const list = targets(cpid, ctx);
  const engine = ctx.engine;
  try {
    if (pid === -1) return;
    for (const t of list) {
      const err = failure(engine.writePidsSync([t.id], [pid], t.controller)[0]);
      if (err) throw err;
    }
  } finally {
    closeAll(engine, list);
    engine.destroy();
  }
}

export async function moveProcessToContainerCgroup(
  containerPid: number,
  commandPid: number,
  options: CgroupOptions = {},
): Promise<void> {
  const cpid = checkPid(containerPid, 'containerPid');
  const pid = checkCommandPid(commandPid);
  const ctx = new CgroupContext(options);
  const list = targets(cpid, ctx);
  const engine = ctx.engine;
  try {
    if (pid === -1) return;
    for (const t of list) {
      const err = failure((await engine.writePids([t.id], [pid], t.controller))[0]);
      if (err) throw err;
    }
  } finally {
    closeAll(engine, list);
    engine.destroy();
  }
}
