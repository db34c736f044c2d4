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
 *    notification but the machine-wide release_agent, which belongs to the machine and is never written. There the
 *    last sample comes only from sweeps (docs/collector.md, "Last sample").
 *
 * A cgroup that is empty when it is added signals only after it has had a process. The notification reaches the
 * collector through the event loop: a runtime that removes the cgroup within that time (well under a millisecond on
 * an idle loop) beats it, and the sweep then finds the cgroup gone without a last sample.
 */
import * as fs from 'node:fs';
import type { Engine } from '../engine';
import { native } from '../native';

/** Tells its collector when a watched cgroup goes from populated to empty. */
export interface EmptySource {
  readonly size: number;
  /** Starts watching a registered cgroup (path with a leading '/'); false when it cannot be watched. */
  add(path: string): boolean;
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
  if (h === undefined) return undefined;
  try {
    if (native.statfsType(h.path) !== native.CGROUP2_SUPER_MAGIC) return undefined;
  } catch {
    return undefined;
  }
  return new CgroupEventsWatcher(h.path, onEmpty);
}

/** inotify on cgroup.events of each watched cgroup in one cgroup2 hierarchy. */
export class CgroupEventsWatcher implements EmptySource {
  private readonly watches = new Map<string, { w: fs.FSWatcher; populated: boolean }>();

  constructor(private readonly hierarchyPath: string, private readonly onEmpty: (path: string) => void) {}

  get size(): number {
    return this.watches.size;
  }

  private file(path: string): string {
    return `${this.hierarchyPath}${path === '/' ? '' : path}/cgroup.events`;
  }

  add(path: string): boolean {
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
