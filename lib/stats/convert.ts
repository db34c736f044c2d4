/**
 * CRI-O's converter (internal/config/cgmgr/stats_linux.go, spec §3.3–3.6): the library's raw stats -> CgroupStats.
 * The formulas live here and nowhere else, over the raw stats' exact u64s (raw.ts U64: a number up to 2^53−1, a bigint
 * above; exact in either form); each output value is converted to the asked-for mode as it is stored.
 *
 * Where cgmgr differs from CRI-O v1.35 (DECISIONS.md; docs/compatibility.md):
 *  - Q-13: AvailableBytes never wraps around: limit - working set clamps at 0; a v1 limit at the kernel's "unlimited"
 *    (2^63 rounded down to a page: 9223372036854771712 with 4 KiB pages) counts as unlimited (available 0), and is
 *    still reported as the kernel wrote it;
 *  - Q-13 (swap): on v2, when memory.max is max the swap limit is unlimited (the library's swap.max + memory.max
 *    wraps around);
 *  - Q-3: the extra swapAvailableBytes (CRI's swap_available_bytes) = swap limit - swap usage clamps at 0;
 *  - no u64 wrap-around anywhere else either: v2 SwapUsage = (swap + memory) - memory clamps at 0.
 */
import type { ProcessScan } from './process';
import {
  absentBit,
  subClamp,
  toBig,
  toNum,
  type AbsentSet,
  type RawBlkioEntry,
  type RawPSI,
  type RawStats,
  type U64,
} from './raw';
import { MAXU64 } from './row';
import type { BlkioStatEntry, CgroupStats, PSIStats } from './types';

/**
 * The smallest v1 memory limit that is the kernel's "unlimited": PAGE_COUNTER_MAX × PAGE_SIZE = 2^63 − PAGE_SIZE, for
 * page sizes up to 1 MiB. No settable limit reaches it (the kernel caps limits at that very value).
 */
export const V1_UNLIMITED_MIN = (1n << 63n) - (1n << 20n);

/** CRI-O's isMemoryUnlimited (== 2^64-1), plus, per DECISIONS Q-13, the v1 page-counter maximum. */
export function isMemoryUnlimited(limit: bigint | number, version: 1 | 2): boolean {
  // A number is at most 2^53−1 in the raw stats' normal form: never max, never the v1 page-counter maximum.
  return limit === MAXU64 || (version === 1 && limit >= V1_UNLIMITED_MIN);
}

/**
 * The working set (cAdvisor's, CRI-O's): usage − inactive file, clamped at 0 (CRI-O's u64 subtraction would wrap
 * around); usage when the inactive-file key is not there. Over the raw stats' u64s (convert) or the collector's
 * numbers or bigints (its columns).
 */
export function workingSetOf<T extends number | bigint>(usage: T, inactive: T | undefined): T {
  if (inactive === undefined) return usage;
  return subClamp<T>(usage, inactive);
}

/** A u64 of the output: a bigint in bigint mode, Number() of the exact value in number mode. */
function u<N extends number | bigint>(v: U64, big: boolean): N {
  // toBig/toNum written out: this runs ~40 times a call.
  if (typeof v === 'number') return (big ? (v === 0 ? 0n : BigInt(v)) : v) as N;
  return (big ? v : Number(v)) as N;
}

/** A limit of the output: in number mode the unlimited 2^64-1 is Infinity. */
function lim<N extends number | bigint>(v: U64, big: boolean): N {
  return (big ? toBig(v) : v === MAXU64 ? Infinity : toNum(v)) as N;
}

function psi<N extends number | bigint>(p: RawPSI | null, big: boolean): PSIStats<N> | null {
  if (p === null) return null;
  return {
    some: { avg10: p.some.avg10, avg60: p.some.avg60, avg300: p.some.avg300, total: u<N>(p.some.total, big) },
    full: { avg10: p.full.avg10, avg60: p.full.avg60, avg300: p.full.avg300, total: u<N>(p.full.total, big) },
  };
}

function u64List<N extends number | bigint>(list: readonly U64[], big: boolean): N[] {
  const out = new Array<N>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = u<N>(list[i]!, big);
  return out;
}

function blkio<N extends number | bigint>(list: readonly RawBlkioEntry[], big: boolean): BlkioStatEntry<N>[] {
  const out = new Array<BlkioStatEntry<N>>(list.length);
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    out[i] = { major: u<N>(e.major, big), minor: u<N>(e.minor, big), op: e.op, value: u<N>(e.value, big) };
  }
  return out;
}

/**
 * raw + /proc scan -> CgroupStats, with CRI-O's formulas and the DECISIONS fixes, built once in the asked-for mode:
 * the formulas exact over the raw u64s, each output value converted as it is stored (number mode: Number() of the
 * exact value, and Infinity for an unlimited (2^64-1) limit and for the swap left under an unlimited swap limit).
 */
export function convertTo<N extends number | bigint>(
  raw: RawStats,
  scan: ProcessScan,
  systemNano: bigint | number,
  big: N extends bigint ? true : false,
): CgroupStats<N>;
export function convertTo(
  raw: RawStats,
  scan: ProcessScan,
  systemNano: bigint | number,
  big: boolean,
): CgroupStats<number | bigint>;
export function convertTo(
  raw: RawStats,
  scan: ProcessScan,
  systemNano: bigint | number,
  big: boolean,
): CgroupStats<number | bigint> {
  type N = number | bigint;
  const v2 = raw.version === 2;
  const m = raw.memory;
  const usage = m.usage.usage;
  const limit = m.usage.limit;

  // Working set: usage - inactive file, clamped at 0; usage when the key is not in memory.stat.
  const inactive = v2 ? m.stats.inactive_file : m.stats.total_inactive_file;
  const workingSet = workingSetOf(usage, inactive);
  // Available: limit - working set unless unlimited (Q-13: clamped; v1 unlimited counts as unlimited).
  const available = isMemoryUnlimited(limit, raw.version) ? 0 : subClamp(limit, workingSet);
  // Swap: v2 subtracts the memory the library added back (swap only); v1 reports memory+swap.
  const swapUsage = v2 ? subClamp(m.swapUsage.usage, usage) : m.swapUsage.usage;
  // Q-13 (swap): the library's swap.max + memory.max wraps around when memory.max is max; unlimited instead.
  const swapLimit = v2 && limit === MAXU64 ? MAXU64 : m.swapUsage.limit;
  const fileMapped = v2 ? m.stats.file_mapped : m.useHierarchy ? m.stats.total_mapped_file : m.stats.mapped_file;
  // clamped; under an unlimited swap limit the swap left is unlimited too (Infinity in number mode).
  const swapAvailable = subClamp(swapLimit, swapUsage);

  const hugetlb: Record<string, { usage: N; max: N }> = {};
  if (raw.hugetlb.size > 0)
    for (const [size, h] of raw.hugetlb) hugetlb[size] = { usage: u(h.usage, big), max: u(h.maxUsage, big) };

  const stats: CgroupStats<N> = {
    memory: {
      usage: u(usage, big),
      cache: u(m.cache, big),
      limit: lim(limit, big),
      maxUsage: u(m.usage.maxUsage, big),
      workingSetBytes: u(workingSet, big),
      rssBytes: u((v2 ? m.stats.anon : m.stats.total_rss) ?? 0, big),
      pageFaults: u(v2 ? (m.stats.pgfault ?? 0) : 0, big),
      majorPageFaults: u(v2 ? (m.stats.pgmajfault ?? 0) : 0, big),
      availableBytes: u(available, big),
      kernelUsage: u(m.kernelUsage.usage, big),
      kernelTCPUsage: u(m.kernelTCPUsage.usage, big),
      swapUsage: u(swapUsage, big),
      swapLimit: lim(swapLimit, big),
      swapAvailableBytes: big || swapLimit !== MAXU64 ? u(swapAvailable, big) : Infinity,
      fileMapped: u(fileMapped ?? 0, big),
      failcnt: u(m.usage.failcnt, big),
      psi: psi(m.psi, big),
    },
    cpu: cpuOut<N>(raw, big),
    hugetlb,
    pid: pidOut<N>(raw, scan, big),
    diskIO: {
      ioServiceBytes: blkio(raw.blkio.ioServiceBytesRecursive, big),
      ioServiced: blkio(raw.blkio.ioServicedRecursive, big),
      psi: psi(raw.blkio.psi, big),
    },
    // A number is already the output's (number mode): Number() of the ns would round the same.
    systemNano: typeof systemNano === 'number' ? (big ? BigInt(systemNano) : systemNano) : u(systemNano, big),
    absent: sortedAbsent(derivedAbsent(raw)),
    version: raw.version,
  };
  if (raw.events !== undefined) stats.memoryEvents = eventsOut<N>(raw.events, big);
  return stats;
}

// The sections without formulas, each in its own function: convertTo alone is past V8's inlining budget for the
// ~40 conversions of one call.

function cpuOut<N extends number | bigint>(raw: RawStats, big: boolean): CgroupStats<N>['cpu'] {
  const c = raw.cpu;
  return {
    totalUsageNano: u(c.totalUsage, big),
    perCPUUsage: c.percpuUsage === null ? null : u64List(c.percpuUsage, big),
    usageInKernelmode: u(c.usageInKernelmode, big),
    usageInUsermode: u(c.usageInUsermode, big),
    throttlingActivePeriods: u(c.periods, big),
    throttledPeriods: u(c.throttledPeriods, big),
    throttledTime: u(c.throttledTime, big),
    psi: psi(c.psi, big),
  };
}

function pidOut<N extends number | bigint>(raw: RawStats, scan: ProcessScan, big: boolean): CgroupStats<N>['pid'] {
  const p = raw.pids;
  return {
    current: u(p.current, big),
    limit: u(p.limit, big),
    pids: raw.procs === null ? null : [...raw.procs],
    fileDescriptors: u(scan.fileDescriptors, big),
    sockets: u(scan.sockets, big),
    threads: u(p.current, big),
    threadsMax: u(p.limit, big),
    ulimitsSoft: u(scan.ulimitsSoft, big),
  };
}

function eventsOut<N extends number | bigint>(
  e: NonNullable<RawStats['events']>,
  big: boolean,
): NonNullable<CgroupStats<N>['memoryEvents']> {
  return {
    low: u(e.low ?? 0, big),
    high: u(e.high ?? 0, big),
    max: u(e.max ?? 0, big),
    oom: u(e.oom ?? 0, big),
    oomKill: u(e.oomKill ?? 0, big),
    oomGroupKill: u(e.oomGroupKill ?? 0, big),
  };
}

/** raw + /proc scan -> CgroupStats<bigint> (convertTo in bigint mode). */
export function convert(raw: RawStats, scan: ProcessScan, systemNano: bigint): CgroupStats<bigint> {
  return convertTo<bigint>(raw, scan, systemNano, true);
}

/** The bits of the fields derivedAbsent looks at (taken once, not a name lookup each per read). */
const BIT = {
  usage: absentBit('memory.usage'),
  limit: absentBit('memory.limit'),
  workingSet: absentBit('memory.workingSetBytes'),
  available: absentBit('memory.availableBytes'),
  swapUsage: absentBit('memory.swapUsage'),
  swapLimit: absentBit('memory.swapLimit'),
  swapAvailable: absentBit('memory.swapAvailableBytes'),
  current: absentBit('pid.current'),
  threads: absentBit('pid.threads'),
  pidLimit: absentBit('pid.limit'),
  threadsMax: absentBit('pid.threadsMax'),
  memoryPsi: absentBit('memory.psi'),
  cpuPsi: absentBit('cpu.psi'),
  ioPsi: absentBit('diskIO.psi'),
  perCPU: absentBit('cpu.perCPUUsage'),
};

/** The readers' absent fields plus those computed from them (added to raw.absent: the raw stats are the call's own). */
function derivedAbsent(raw: RawStats): AbsentSet {
  const a = raw.absent;
  if (a.hasBit(BIT.usage)) a.addBit(BIT.workingSet);
  if (a.hasBit(BIT.usage) || a.hasBit(BIT.limit)) a.addBit(BIT.available);
  if (a.hasBit(BIT.swapUsage) || a.hasBit(BIT.swapLimit)) a.addBit(BIT.swapAvailable);
  if (a.hasBit(BIT.current)) a.addBit(BIT.threads);
  if (a.hasBit(BIT.pidLimit)) a.addBit(BIT.threadsMax);
  if (raw.memory.psi === null) a.addBit(BIT.memoryPsi);
  if (raw.cpu.psi === null) a.addBit(BIT.cpuPsi);
  if (raw.blkio.psi === null) a.addBit(BIT.ioPsi);
  if (raw.cpu.percpuUsage === null) a.addBit(BIT.perCPU);
  return a;
}

/** The words of the last absent set seen and its sorted names. */
let haveLast = false;
let last0 = -1;
let last1 = -1;
let last2 = -1;
let last3 = -1;
let lastSorted: readonly string[] = [];

/** The absent fields, sorted (a fresh array each call; the names are listed and sorted only when the set changed). */
function sortedAbsent(a: AbsentSet): string[] {
  if (a.extra !== undefined) return a.names().sort();
  if (!haveLast || a.w0 !== last0 || a.w1 !== last1 || a.w2 !== last2 || a.w3 !== last3) {
    lastSorted = a.names().sort();
    last0 = a.w0;
    last1 = a.w1;
    last2 = a.w2;
    last3 = a.w3;
    haveLast = true;
  }
  return lastSorted.slice();
}
