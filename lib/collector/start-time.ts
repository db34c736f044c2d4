/**
 * A cgroup's start time as cAdvisor estimates it (container/common/helpers.go GetSpec, the raw and containerd
 * handlers): the lowest modification time of the cgroup's directory and of one file in it (`cgroup.clone_children`
 * in a v1 hierarchy, `cgroup.events` in a cgroup2 one, files that are rarely modified), over every hierarchy the
 * cgroup is in, and never before the machine booted. cgroupfs (kernfs) gives a node the time its inode was first
 * instantiated, so for a cgroup a runtime has just made and touched this is its creation time, give or take the
 * moment of the first access.
 *
 * Read once per registration (StatsCollector.add), with 2 stat(2) calls per hierarchy the cgroup is in.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Layout } from '../hierarchy';

let bootMs: number | undefined;

/** The boot time (ms since the epoch) from /proc/stat `btime`, read once; 0 when it cannot be read. */
export function bootTimeMs(): number {
  if (bootMs !== undefined) return bootMs;
  bootMs = 0;
  try {
    const m = /^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'));
    if (m) bootMs = Number(m[1]) * 1000;
  } catch {
    // No /proc: no lower bound.
  }
  return bootMs;
}

function mtimeMs(p: string): number {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return NaN; // gone meanwhile, or not there: this candidate does not count
  }
}

/**
 * The start time (ms since the epoch, whole ms) of the cgroup at `rel` (relative to the layout's root) in the
 * hierarchies `present` says it is in (all when not given), or NaN when none of its nodes could be stat'ed.
 */
export function cgroupStartTimeMs(layout: Layout, rel: string, present?: readonly boolean[]): number {
  let lowest = Infinity;
  for (const h of layout.hierarchies) {
    if (present !== undefined && present[h.index] !== true) continue;
    const dir = path.join(h.path, rel);
    const d = mtimeMs(dir);
    if (Number.isNaN(d)) continue;
    const f = mtimeMs(path.join(dir, h.version === 2 ? 'cgroup.events' : 'cgroup.clone_children'));
    lowest = Math.min(lowest, d, Number.isNaN(f) ? Infinity : f);
  }
  if (lowest === Infinity) return NaN;
  return Math.floor(Math.max(lowest, bootTimeMs()));
}
