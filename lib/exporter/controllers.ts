/**
 * The controllers a server's own collector needs for the families it serves (issue 12: a scrape reads no file that
 * no served family needs): the collector's mask without io (v1 blkio: the family search of up to ten files per
 * cgroup; v2 io.stat) when no selected family reads the io columns or the per-device entries, and without psi (the
 * three pressure files) when none reads the pressure columns. So `disable: ['diskIO', 'pressure']` drops those files
 * from every sweep. The other controllers feed families of several groups (memory: the spec limits, OOM events,
 * the process count's cgroup.procs) and are kept.
 */
import { CONTROLLERS } from '../stats/types';
import { FIELD } from '../collector/layout';
import { StatsCollector, type CollectorOptions } from '../collector/collector';
import type { Family } from './families';
import { selectFamilies, type Selection } from './selection';

const IO_FIELDS: ReadonlySet<number> = new Set([
  FIELD.io_read_bytes,
  FIELD.io_write_bytes,
  FIELD.io_read_ops,
  FIELD.io_write_ops,
]);
const PSI_FIELDS: ReadonlySet<number> = new Set([
  FIELD.psi_cpu_some_us,
  FIELD.psi_cpu_full_us,
  FIELD.psi_memory_some_us,
  FIELD.psi_memory_full_us,
  FIELD.psi_io_some_us,
  FIELD.psi_io_full_us,
]);

/** `mask` (a collector's CONTROLLERS bits) without the io and psi bits no family of `families` reads. */
export function controllersFor(mask: number, families: readonly Family[]): number {
  let io = false;
  let psi = false;
  for (const f of families) {
    for (const s of f.samples) {
      if (s.vector !== undefined) {
        if (s.vector.store === 'io') io = true;
        continue;
      }
      if (IO_FIELDS.has(s.field)) io = true;
      if (PSI_FIELDS.has(s.field)) psi = true;
    }
  }
  let m = mask;
  if (!io) m &= ~CONTROLLERS.io;
  if (!psi) m &= ~CONTROLLERS.psi;
  return m;
}

/**
 * A collector for a server of `selection`'s families: made from `options`, without the controllers (io, psi) no
 * selected family reads — unless `options.controllers` is given. Bad selections throw (nothing left open).
 */
export function collectorFor(options: CollectorOptions, selection: Selection): StatsCollector {
  const first = new StatsCollector(options);
  if (options.controllers !== undefined) return first;
  let mask: number;
  try {
    mask = controllersFor(first.mask, selectFamilies(selection));
  } catch (err) {
    first.close();
    throw err;
  }
  if (mask === first.mask) return first;
  first.close();
  return new StatsCollector({ ...options, controllers: mask });
}

/**
 * The `controllers` option for a collector of another kind (the Kubernetes agent's, which starts watching and naming
 * when made, so it is made once) serving `selection`'s families: the default collector's controllers of `options`
 * without io and psi when no selected family reads them; undefined when `options.controllers` is given or nothing is
 * dropped. Bad selections throw.
 */
export function controllersOptionFor(options: CollectorOptions, selection: Selection): number | undefined {
  if (options.controllers !== undefined) return undefined;
  const families = selectFamilies(selection);
  const probe = new StatsCollector(options);
  const all = probe.mask;
  probe.close();
  const mask = controllersFor(all, families);
  return mask === all ? undefined : mask;
}
