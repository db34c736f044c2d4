/**
 * Push OOM events without a watcher per cgroup:
 *  - cgroup v2: one inotify instance (libuv's, shared by every fs.watch of the process) watching the `memory.events`
 *    file of every registered cgroup; the kernel notifies a modification whenever a counter of the file changes;
 *  - cgroup v1: per cgroup an eventfd registered for `memory.oom_control` through `cgroup.event_control`, all in one
 *    epoll set served by one native thread (native/oom_watch.cc).
 * On a notification the cgroup's file is read through the engine and its `oom_kill` counter handed to the collector,
 * which emits 'oom' when it rose (sweeps feed the same check, so one kill is one event however it is seen).
 */
import * as fs from 'node:fs';
import type { Engine } from '../engine';
import { oomKillCountSync } from '../stats/oom';
import { native, type NativeOomWatch } from '../native';
import type { Labels } from './sweep';
import { WatchTable } from './watch-table';

export interface OomEvent {
  path: string;
  labels: Labels;
  /** The cgroup's identity (directory inode). */
  identity: number;
  /** The oom_kill counter now, and how much it rose since last seen. */
  count: number;
  delta: number;
  timeMs: number;
}

/** When the v1 counter is read again after a notification. */
const RECHECK_MS = 100;

/** Push OOM notification of one cgroup version. */
export interface OomSource {
  readonly size: number;
  /** Starts watching a registered cgroup (path with a leading '/', engine handle id, directory inode). */
  add(path: string, id: number, identity: number): void;
  remove(path: string): void;
  close(): void;
}

/** The OOM watcher for an engine's layout, or undefined when push notification is not available (then sweeps only). */
export function oomSource(
  engine: Engine,
  onCount: (path: string, count: number) => void,
  onError: (err: Error) => void,
): OomSource | undefined {
  const l = engine.layout;
  // Only on a mounted cgroup file system: a recorded tree's cgroup.event_control is a plain file (never written).
  const memory = l.version === 2 ? l.hierarchies[0] : l.controllers.get('memory');
  if (memory === undefined) return undefined;
  let fsType: number;
  try {
    fsType = native.statfsType(memory.path);
  } catch {
    return undefined;
  }
  if (l.version === 2)
    return fsType === native.CGROUP2_SUPER_MAGIC ? new OomWatcher(engine, onCount, onError) : undefined;
  if (fsType !== native.CGROUP_SUPER_MAGIC) return undefined;
  return new OomWatcherV1(engine, onCount);
}

/**
 * v1 push watches per collector: each holds one descriptor (its eventfd; memory.oom_control is closed once the event
 * is registered) of the process descriptor budget (native/handle.h; the watches of a process take at most half of it); cgroups past this cap, or
 * past the budget, get their OOM kills from sweeps.
 */
export const V1_OOM_WATCH_LIMIT = 1024;
/** Descriptors the v1 push watches of one collector may hold at most. */
export const V1_OOM_RESERVED_FDS = V1_OOM_WATCH_LIMIT;

/** v1: eventfds on memory.oom_control, one epoll thread (native). */
export class OomWatcherV1 implements OomSource {
  private readonly watch: NativeOomWatch;
  private readonly table: WatchTable<{ path: string; id: number }>;

  constructor(
    private readonly engine: Engine,
    private readonly onCount: (path: string, count: number) => void,
  ) {
    this.watch = new native.OomWatch((token) => this.notified(token));
    this.table = new WatchTable(this.watch);
  }

  get size(): number {
    return this.watch.size();
  }

  add(path: string, id: number, identity: number): void {
    this.remove(path);
    if (this.watch.size() >= V1_OOM_WATCH_LIMIT) return; // past the cap: sweeps report its OOM kills
    const dir = `${this.engine.hierarchyFor('memory').path}${path === '/' ? '' : path}`;
    try {
      this.watch.add(dir, id, identity);
    } catch {
      // Not in the memory hierarchy, the root cgroup (no oom_control event), gone, or no descriptors left in the
      // process budget (EMFILE): sweeps report its OOM kills.
      return;
    }
    this.table.set({ path, id });
    this.check(id); // the baseline: a later rise is an OOM kill
  }

  /**
   * The kernel signals the eventfd when the cgroup goes under OOM, before the OOM killer has counted its kill: read
   * now, and once more a little later (the collector counts each rise once).
   */
  private notified(token: number): void {
    this.check(token);
    setTimeout(() => this.check(token), RECHECK_MS).unref();
  }

  private check(token: number): void {
    const w = this.table.get(token);
    if (w === undefined) return;
    let n: number | undefined;
    try {
      n = oomKillCountSync(this.engine, w.id); // undefined when gone: the kernel signals removal too
    } catch {
      return; // the handle was closed meanwhile: the sweep reports the cgroup gone
    }
    if (n !== undefined) this.onCount(w.path, n);
  }

  remove(path: string): void {
    this.table.remove(path);
  }

  close(): void {
    this.table.close();
  }
}

/** v2: inotify on memory.events. */
export class OomWatcher implements OomSource {
  private readonly watches = new Map<string, fs.FSWatcher>();

  constructor(
    private readonly engine: Engine,
    private readonly onCount: (path: string, count: number) => void,
    private readonly onError: (err: Error) => void,
  ) {}

  get size(): number {
    return this.watches.size;
  }

  /** Starts watching a cgroup's memory.events (nothing when the file is not there: no memory controller). */
  add(path: string, id: number, _identity?: number): void {
    this.remove(path);
    const h = this.engine.hierarchyFor('memory');
    const file = `${h.path}${path === '/' ? '' : path}/memory.events`;
    let w: fs.FSWatcher;
    try {
      w = fs.watch(file, { persistent: false }, () => this.check(path, id));
    } catch (err) {
      // No memory.events (no memory controller, or the cgroup is gone): nothing to watch. Anything else is reported.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(err as Error);
      return;
    }
    w.on('error', () => this.remove(path)); // the cgroup went away
    this.watches.set(path, w);
    this.check(path, id);
  }

  private check(path: string, id: number): void {
    let n: number | undefined;
    try {
      n = oomKillCountSync(this.engine, id);
    } catch {
      return; // gone or closed: the sweep reports it
    }
    if (n !== undefined) this.onCount(path, n);
  }

  remove(path: string): void {
    const w = this.watches.get(path);
    if (w === undefined) return;
    this.watches.delete(path);
    w.close();
  }

  close(): void {
    for (const w of this.watches.values()) w.close();
    this.watches.clear();
  }
}
