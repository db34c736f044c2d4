/**
 * Read tiers of the collector's plan: which files a sweep reads every time, which on the spec cadence, which only when
 * `stats(row)` asks.
 *
 *  - usage (tier 0): a file some column reads that is no spec file — read by every sweep, descriptor held;
 *  - spec (tier 1): a file that holds a setting (a limit, weight, quota, ...: SPEC_FILES below, by file name, so every
 *    column that reads one — today's and any added later — is carried): read by a cgroup's first sweep and then once
 *    per `specIntervalMs`, a slice of the cgroups per sweep; its values are carried in the rows between two reads; no
 *    descriptor held (opened, read and closed);
 *  - detail (tier 2): a file only the stats readers read (no column does, e.g. v1 cpuacct.usage_percpu): read by
 *    `stats(row)` for that row when it is called; no descriptor held.
 *
 * Tiers are per file of the plan (FileSpec.tier); the engine reads, per row, the files up to the row's tier.
 */
import type { FileSpec } from '../engine';
import type { CompiledStats } from '../stats/reader';

export const TIER = { usage: 0, spec: 1, detail: 2 } as const;
export type TierName = keyof typeof TIER;
export const TIER_NAMES: readonly TierName[] = ['usage', 'spec', 'detail'];

/**
 * Files that hold settings, per version, by name: they change when someone writes them (the runtime at create or
 * update), not with use. A name pattern covers the per-size hugetlb files.
 */
const SPEC_FILES: Readonly<Record<1 | 2, { names: ReadonlySet<string>; patterns: readonly RegExp[] }>> = {
  1: {
    names: new Set([
      'memory.limit_in_bytes',
      'memory.soft_limit_in_bytes',
      'memory.memsw.limit_in_bytes',
      'memory.kmem.limit_in_bytes',
      'memory.kmem.tcp.limit_in_bytes',
      'memory.use_hierarchy',
      'memory.swappiness',
      'memory.move_charge_at_immigrate',
      'cpu.shares',
      'cpu.cfs_quota_us',
      'cpu.cfs_period_us',
      'cpu.cfs_burst_us',
      'cpu.rt_runtime_us',
      'cpu.rt_period_us',
      'cpu.idle',
      'pids.max',
      'cpuset.cpus',
      'cpuset.mems',
      'cpuset.effective_cpus',
      'cpuset.effective_mems',
      'cpuset.cpu_exclusive',
      'cpuset.mem_exclusive',
      'blkio.weight',
      'blkio.leaf_weight',
      'blkio.bfq.weight',
      'blkio.throttle.read_bps_device',
      'blkio.throttle.write_bps_device',
      'blkio.throttle.read_iops_device',
      'blkio.throttle.write_iops_device',
      'net_cls.classid',
      'net_prio.ifpriomap',
      'devices.list',
    ]),
    patterns: [/^hugetlb\.[^.]+\.(rsvd\.)?limit_in_bytes$/],
  },
  2: {
    names: new Set([
      'memory.max',
      'memory.high',
      'memory.low',
      'memory.min',
      'memory.swap.max',
      'memory.swap.high',
      'memory.zswap.max',
      'memory.oom.group',
      'cpu.max',
      'cpu.max.burst',
      'cpu.weight',
      'cpu.weight.nice',
      'cpu.idle',
      'cpu.uclamp.min',
      'cpu.uclamp.max',
      'pids.max',
      'io.max',
      'io.weight',
      'io.bfq.weight',
      'io.latency',
      'cpuset.cpus',
      'cpuset.mems',
      'cpuset.cpus.effective',
      'cpuset.mems.effective',
      'cpuset.cpus.partition',
      'cgroup.max.depth',
      'cgroup.max.descendants',
      'cgroup.type',
    ]),
    patterns: [/^hugetlb\.[^.]+\.(rsvd\.)?max$/],
  },
};

/** Whether a file of a version's cgroups holds a setting (read on the spec cadence). */
export function isSpecFile(version: 1 | 2, name: string): boolean {
  const s = SPEC_FILES[version];
  return s.names.has(name) || s.patterns.some((p) => p.test(name));
}

/**
 * The tier of every file of a compiled plan, in plan order: spec files by name; of the others, those the columns
 * read (`columnFiles`, plan file indices) are usage, the rest detail.
 */
export function fileTiers(c: CompiledStats, version: 1 | 2, columnFiles: ReadonlySet<number>): Uint8Array {
  const files = c.plan?.files ?? [];
  const tiers = new Uint8Array(files.length);
  files.forEach((f, i) => {
    tiers[i] = isSpecFile(version, f.name) ? TIER.spec : columnFiles.has(i) ? TIER.usage : TIER.detail;
  });
  return tiers;
}

/**
 * The plan's files as specs with their tiers, for the sweep plan: usage files held (as their specs allow), the others
 * opened per read; detail files (never read by a sweep) with a capacity of 1, so their slots take no room in every row
 * (stats(row) reads them with their full capacity).
 */
export function tieredSpecs(c: CompiledStats, tiers: Uint8Array): FileSpec[] {
  return (c.plan?.files ?? []).map((f, i) => ({
    controller: f.controller,
    name: f.name,
    format: f.format,
    keys: [...f.keys],
    // A usage file is held unless its spec says not to (v1 cgroup.procs: a held one re-read within a second gives the
    // kernel's cached pid list).
    cap: tiers[i] === TIER.detail && f.cap > 0 ? 1 : f.cap,
    hold: tiers[i] === TIER.usage && f.hold,
    tier: tiers[i]!,
  }));
}

/** Where the files of one tier sit in a row: file indices, and their slot ranges (offset, count). */
export class TierSlots {
  readonly files: Int32Array;
  readonly offsets: Int32Array;
  readonly counts: Int32Array;
  /** Slots of these files in a row. */
  readonly slots: number;

  constructor(c: CompiledStats, tiers: Uint8Array, tier: number) {
    const plan = c.plan;
    const idx: number[] = [];
    tiers.forEach((t, i) => {
      if (t === tier) idx.push(i);
    });
    this.files = Int32Array.from(idx);
    this.offsets = Int32Array.from(idx, (i) => plan!.files[i]!.offset);
    this.counts = Int32Array.from(
      idx,
      (i) => (i + 1 < plan!.files.length ? plan!.files[i + 1]!.offset : plan!.slots) - plan!.files[i]!.offset,
    );
    this.slots = this.counts.reduce((a, b) => a + b, 0);
  }
}

/** The carried values of one cgroup's spec files (its last spec read): file statuses, slot flags and u64 words. */
export interface SpecCopy {
  status: Int32Array;
  flags: Uint8Array;
  words: Uint32Array;
}

export function newSpecCopy(t: TierSlots): SpecCopy {
  return {
    status: new Int32Array(t.files.length),
    flags: new Uint8Array(t.slots),
    words: new Uint32Array(2 * t.slots),
  };
}

/**
 * Copies the files of `t` between a row of a bigint BatchResult (`words` = a Uint32Array view of its values) and a
 * SpecCopy: `save` true stores the row's, false puts the copy into the row.
 */
export function copySpec(
  t: TierSlots,
  fileStatus: Int32Array,
  flags: Uint8Array,
  words: Uint32Array,
  fileCount: number,
  slots: number,
  row: number,
  copy: SpecCopy,
  save: boolean,
): void {
  const fbase = row * fileCount;
  const sbase = row * slots;
  let k = 0;
  for (let j = 0; j < t.files.length; j++) {
    const fi = fbase + t.files[j]!;
    if (save) copy.status[j] = fileStatus[fi]!;
    else fileStatus[fi] = copy.status[j]!;
    const o = sbase + t.offsets[j]!;
    const n = t.counts[j]!;
    for (let s = 0; s < n; s++, k++) {
      const cell = o + s;
      if (save) {
        copy.flags[k] = flags[cell]!;
        copy.words[2 * k] = words[2 * cell]!;
        copy.words[2 * k + 1] = words[2 * cell + 1]!;
      } else {
        flags[cell] = copy.flags[k]!;
        words[2 * cell] = copy.words[2 * k]!;
        words[2 * cell + 1] = copy.words[2 * k + 1]!;
      }
    }
  }
}

/**
 * The spread of spec reads: after a cgroup's first read, its next one comes after `phase × interval` (phase in
 * (0, 1], the golden-ratio sequence over registrations), later ones every interval — so cgroups registered together
 * do not all re-read their spec files in the same sweep, and each sweep reads about (time since the last sweep ÷
 * interval) of them.
 */
export class SpecPhase {
  private seq = 0;
  next(): number {
    this.seq = (this.seq + 0.6180339887498949) % 1;
    return 1 - this.seq; // (0, 1]
  }
}
