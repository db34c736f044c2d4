/**
 * When a registered cgroup empties: the signal behind the last sample of a short-lived container (the collector then
 * reads the cgroup's counters once more, before a runtime removes it, so a job's total CPU and peak memory are not
 * lost between two sweeps).
 *
 *  - cgroup v2, and v1 hybrid hosts for cgroups that are also in the unified hierarchy (this library's v1 managers
 *    and systemd put them there): `cgroup.events` of the cgroup, watched with inotify (libuv's instance, one watch per
 *    cgroup, no descriptor); the kernel signals a modification whenever `populated` changes (at most once per 10 ms
 *    per file, the last change always delivered). `populated 1` -> `0` is the cgroup emptying (its processes and its
 *    descendants' have exited).
 *  - cgroup v1 without the unified hierarchy (or a cgroup that is not in it): the kernel has no per-cgroup empty
 *    notification but the machine-wide release_agent, which belongs to the machine and is never written. Instead one
 *    process of the cgroup's own cgroup.procs (memory hierarchy) is watched through a pidfd (native/pid_watch.cc: one
 *    descriptor per cgroup, one epoll thread); when it exits the list is read again: empty is the cgroup emptying,
 *    otherwise another of its processes is watched. A cgroup without processes is armed by the first sweep that
 *    counts some. Only the cgroup's own processes count (not its descendants'), and a process moved out rather than
 *    exited is noticed at its next exit or sweep.
 *
 * A cgroup that is empty when it is added signals only after it has had a process. The notification reaches the
 * collector through the event loop: a runtime that removes the cgroup within that time (well under a millisecond on
 * an idle loop) beats it, and the sweep then finds the cgroup gone without a last sample.
 */
import * as fs from 'node:fs';
import type { Engine } from '../engine';
import { native, type NativePidWatch } from '../native';
import { WatchTable } from './watch-table';

/** Tells its collector when a watched cgroup goes from populated to empty. */
export interface EmptySource {
  readonly size: number;
  /** Starts watching a registered cgroup (path with a leading '/', engine handle id); false when it cannot be watched. */
  add(path: string, id: number): boolean;
  /**
   * A sweep counted `processes` (> 0) in the cgroup's own cgroup.procs (arms a v1 pid watch that had none to watch):
   * the cgroup by its engine handle id, as add() was given it (a look-up by number, once per row of every sweep).
   */
  seen?(id: number, processes: number): void;
  remove(path: string): void;
  close(): void;
}

/** The `populated` value of a cgroup.events text, or undefined when it has none. */
export function populatedOf(text: string): boolean | undefined {
  const m = /^populated ([01])$/m.exec(text);
  return m === null ? undefined : m[1] === '1';
}

/**
 * The empty-cgroup watcher of an engine's layout: cgroup.events in the v2 hierarchy (v2), or in the unified one of a
 * hybrid v1 host; undefined when neither is mounted (v1 without cgroup2, a recorded tree: sweeps only).
 */
export function emptySource(engine: Engine, onEmpty: (path: string) => void): EmptySource | undefined {
  const l = engine.layout;
  const h = l.version === 2 ? l.hierarchies[0] : l.unified;
  const events =
    h !== undefined && isMounted(h.path, native.CGROUP2_SUPER_MAGIC)
      ? new CgroupEventsWatcher(h.path, onEmpty)
      : undefined;
  if (l.version === 2) return events;
  const procs = l.controllers.get('memory') ?? l.hierarchies.find((x) => x.version === 1);
  if (procs === undefined || !isMounted(procs.path, native.CGROUP_SUPER_MAGIC)) return events;
  return new EitherEmptySource(events, new PidExitWatcher(engine, procs.controllers[0] ?? 'memory', onEmpty));
}

/** Whether a hierarchy's path is a mounted cgroup file system of this kind (not a recorded tree). */
function isMounted(p: string, magic: number): boolean {
  try {
    return native.statfsType(p) === magic;
  } catch {
    return false;
  }
}

/** v1: cgroup.events of the unified hierarchy where the cgroup is in it, else a pid watch. */
class EitherEmptySource implements EmptySource {
  constructor(
    private readonly events: CgroupEventsWatcher | undefined,
    private readonly pids: PidExitWatcher,
  ) {}

  get size(): number {
    return (this.events?.size ?? 0) + this.pids.size;
  }

  add(path: string, id: number): boolean {
    this.remove(path);
    return this.events?.add(path) === true || this.pids.add(path, id);
  }

  seen(id: number, processes: number): void {
    this.pids.seen(id, processes);
  }

  remove(path: string): void {
    this.events?.remove(path);
    this.pids.remove(path);
  }

  close(): void {
    this.events?.close();
    this.pids.close();
  }
}

/** v1 pid watches per collector at most (one descriptor each, within the process budget's share for watches). */
export const V1_PID_WATCH_LIMIT = 1024;

interface PidWatchEntry {
  path: string;
  id: number;
  /** Whether a process of the cgroup is watched now. */
  armed: boolean;
  /** pidfd_open failed for want of descriptors (the watches' share of the budget): sweeps stop re-arming it. */
  starved: boolean;
}

/** v1: a pidfd on one process of the cgroup's own cgroup.procs at a time (native/pid_watch.cc). */
export class PidExitWatcher implements EmptySource {
  private readonly watch: NativePidWatch;
  private readonly table: WatchTable<PidWatchEntry>;
  /** Ids of the entries that are neither armed nor starved: what seen() may arm (none, nearly always). */
  private readonly waiting = new Set<number>();

  constructor(
    private readonly engine: Engine,
    private readonly controller: string,
    private readonly onEmpty: (path: string) => void,
  ) {
    this.watch = new native.PidWatch((token) => this.exited(token));
    this.table = new WatchTable(this.watch);
  }

  /** Cgroups watched (armed or waiting for a sweep to see processes). */
  get size(): number {
    return this.table.size;
  }

  add(path: string, id: number): boolean {
    this.remove(path);
    if (path === '/' || this.table.size >= V1_PID_WATCH_LIMIT) return false;
    const e: PidWatchEntry = { path, id, armed: false, starved: false };
    this.table.set(e);
    this.arm(e, false);
    return true;
  }

  private pidsOf(e: PidWatchEntry): number[] | undefined {
    try {
      return this.engine.readPids(e.id, this.controller);
    } catch {
      return undefined; // gone, or the handle closed: the sweep reports it
    }
  }

  /**
   * Watches one process of the cgroup; `hadProcesses`: it had some a moment ago, so finding it empty now is its
   * emptying. A pid that exits or leaves between the list and pidfd_open is retried with a fresh list.
   */
  private arm(e: PidWatchEntry, hadProcesses: boolean): void {
    this.armOnce(e, hadProcesses);
    if (!e.armed && !e.starved && this.table.get(e.id) === e) this.waiting.add(e.id);
    else this.waiting.delete(e.id);
  }

  private armOnce(e: PidWatchEntry, hadProcesses: boolean): void {
    e.armed = false;
    for (let attempt = 0; attempt < 4; attempt++) {
      const pids = this.pidsOf(e);
      if (pids === undefined) return;
      if (pids.length === 0) {
        if (hadProcesses) this.onEmpty(e.path);
        return;
      }
      hadProcesses = true;
      const pid = pids[0]!;
      try {
        this.watch.add(pid, e.id);
      } catch (err) {
        if ((err as { code?: string }).code === 'ESRCH') continue; // exited meanwhile: read again
        e.starved = true; // EMFILE (the watches' share of the budget) or closed: sweeps only
        return;
      }
      // The pid may have exited and been reused before pidfd_open: it must still be in the cgroup.
      if (this.pidsOf(e)?.includes(pid) === true) {
        e.armed = true;
        return;
      }
      this.watch.remove(e.id);
    }
  }

  private exited(token: number): void {
    const e = this.table.get(token);
    if (e === undefined) return;
    this.arm(e, true);
  }

  seen(id: number, processes: number): void {
    if (this.waiting.size === 0 || !this.waiting.has(id) || !(processes > 0)) return;
    const e = this.table.get(id);
    if (e !== undefined && !e.armed && !e.starved) this.arm(e, false);
  }

  remove(path: string): void {
    const e = this.table.at(path);
    if (e !== undefined) this.waiting.delete(e.id);
    this.table.remove(path);
  }

  close(): void {
    this.waiting.clear();
    this.table.close();
  }
}

/** inotify on cgroup.events of each watched cgroup in one cgroup2 hierarchy. */
export class CgroupEventsWatcher implements EmptySource {
  private readonly watches = new Map<string, { w: fs.FSWatcher; populated: boolean }>();

  constructor(
    private readonly hierarchyPath: string,
    private readonly onEmpty: (path: string) => void,
  ) {}

  get size(): number {
    return this.watches.size;
  }

  private file(path: string): string {
    return `${this.hierarchyPath}${path === '/' ? '' : path}/cgroup.events`;
  }

  add(path: string, _id?: number): boolean {
    this.remove(path);
    if (path === '/') return false; // the root has no cgroup.events
    const file = this.file(path);
    let w: fs.FSWatcher;
    try {
      w = fs.watch(file, { persistent: false }, () => this.check(path));
    } catch {
      return false; // not in this hierarchy (a v1 cgroup outside the unified one), or gone
    }
    w.on('error', () => this.remove(path)); // the cgroup went away
    const entry = { w, populated: false };
    this.watches.set(path, entry);
    entry.populated = this.read(path) === true; // after the watch: a change from here on is seen
    return true;
  }

  private read(path: string): boolean | undefined {
    try {
      return populatedOf(fs.readFileSync(this.file(path), 'utf8'));
    } catch {
      return undefined; // removed meanwhile
    }
  }

  private check(path: string): void {
    const entry = this.watches.get(path);
    if (entry === undefined) return;
    const now = this.read(path);
    if (now === undefined) return;
    const was = entry.populated;
    entry.populated = now;
    if (was && !now) this.onEmpty(path);
  }

  remove(path: string): void {
    const e = this.watches.get(path);
    if (e === undefined) return;
    this.watches.delete(path);
    e.w.close();
  }

  close(): void {
    for (const e of this.watches.values()) e.w.close();
    this.watches.clear();
  }
}

/** A cgroup's counters read when it emptied. @internal */
export interface LastSample {
  values: Float64Array | BigUint64Array;
  present: Uint8Array;
  sampleMs: number;
}
