/**
 * CRI-O's converter (internal/config/cgmgr/stats_linux.go, spec §3.3–3.6): the library's raw stats -> CgroupStats.
 * The formulas live here and nowhere else. All arithmetic is bigint; number mode converts at the very end.
 *
 * Where cgmgr differs from CRI-O v1.35 (DECISIONS.md; docs/compatibility.md):
 *  - AvailableBytes never wraps around: limit - working set clamps at 0; a v1 limit at the kernel's "unlimited"
 *    (2^63 rounded down to a page: 9223372036854771712 with 4 KiB pages) counts as unlimited (available 0), and is
 *    still reported as the kernel wrote it;
 *  - Q-13 (swap): on v2, when memory.max is max the swap limit is unlimited (the library's swap.max + memory.max
 *    wraps around);
 *  - the extra swapAvailableBytes (CRI's swap_available_bytes) = swap limit - swap usage clamps at 0;
 *  - no u64 wrap-around anywhere else either: v2 SwapUsage = (swap + memory) - memory clamps at 0.
 */
import type { ProcessScan } from './process';
import type { RawPSI, RawStats } from './raw';
import { MAXU64 } from './row';
import type { BlkioStatEntry, CgroupStats, PSIStats } from './types';

/**
 * The smallest v1 memory limit that is the kernel's "unlimited": PAGE_COUNTER_MAX × PAGE_SIZE = 2^63 − PAGE_SIZE, for
 * page sizes up to 1 MiB. No settable limit reaches it (the kernel caps limits at that very value).
 */
export const V1_UNLIMITED_MIN = (1n << 63n) - (1n << 20n);

/** CRI-O's isMemoryUnlimited (== 2^64-1), plus, per DECISIONS Q-13, the v1 page-counter maximum. */
export function isMemoryUnlimited(limit: bigint, version: 1 | 2): boolean {
  return limit === MAXU64 || (version === 1 && limit >= V1_UNLIMITED_MIN);
}

/** a − b, clamped at 0 (CRI-O's u64 subtraction would wrap around). */
function sub(a: bigint, b: bigint): bigint {
  return a > b ? a - b : 0n;
}

/**
 * The working set (cAdvisor's, CRI-O's): usage − inactive file, clamped at 0; usage when the inactive-file key is not
 * there. In bigint (convert) or number (the collector's columns).
 */
export function workingSetOf<T extends number | bigint>(usage: T, inactive: T | undefined): T {
  if (inactive === undefined) return usage;
  if (typeof usage === 'bigint') return sub(usage, inactive as bigint) as T;
  return (usage > (inactive as number) ? usage - (inactive as number) : 0) as T;
}

function psi(p: RawPSI | null): PSIStats<bigint> | null {
  if (p === null) return null;
  return { some: { ...p.some }, full: { ...p.full } };
}

/** raw + /proc scan -> CgroupStats<bigint>, with CRI-O's formulas and the DECISIONS fixes. */
export function convert(raw: RawStats, scan: ProcessScan, systemNano: bigint): CgroupStats<bigint> {
  const v2 = raw.version === 2;
  const m = raw.memory;
  const usage = m.usage.usage;
  const limit = m.usage.limit;

  // Working set: usage - inactive file, clamped at 0; usage when the key is not in memory.stat.
  const inactive = m.stats.get(v2 ? 'inactive_file' : 'total_inactive_file');
  const workingSet = workingSetOf(usage, inactive);
  // Available: limit - working set unless unlimited (Q-13: clamped; v1 unlimited counts as unlimited).
  const available = isMemoryUnlimited(limit, raw.version) ? 0n : sub(limit, workingSet);
  // Swap: v2 subtracts the memory the library added back (swap only); v1 reports memory+swap.
  const swapUsage = v2 ? sub(m.swapUsage.usage, usage) : m.swapUsage.usage;
  // Q-13 (swap): the library's swap.max + memory.max wraps around when memory.max is max; unlimited instead.
  const swapLimit = v2 && limit === MAXU64 ? MAXU64 : m.swapUsage.limit;
  const fileMapped = v2
    ? m.stats.get('file_mapped')
    : m.stats.get(m.useHierarchy ? 'total_mapped_file' : 'mapped_file');

  const diskEntry = (e: { major: bigint; minor: bigint; op: string; value: bigint }): BlkioStatEntry<bigint> => ({
    major: e.major,
    minor: e.minor,
    op: e.op,
    value: e.value,
  });

  const stats: CgroupStats<bigint> = {
    memory: {
      usage,
      cache: m.cache,
      limit,
      maxUsage: m.usage.maxUsage,
      workingSetBytes: workingSet,
      rssBytes: m.stats.get(v2 ? 'anon' : 'total_rss') ?? 0n,
      pageFaults: v2 ? (m.stats.get('pgfault') ?? 0n) : 0n,
      majorPageFaults: v2 ? (m.stats.get('pgmajfault') ?? 0n) : 0n,
      availableBytes: available,
      kernelUsage: m.kernelUsage.usage,
      kernelTCPUsage: m.kernelTCPUsage.usage,
      swapUsage,
      swapLimit,
      swapAvailableBytes: sub(swapLimit, swapUsage), // clamped
      fileMapped: fileMapped ?? 0n,
      failcnt: m.usage.failcnt,
      psi: psi(m.psi),
    },
    cpu: {
      totalUsageNano: raw.cpu.totalUsage,
      perCPUUsage: raw.cpu.percpuUsage === null ? null : [...raw.cpu.percpuUsage],
      usageInKernelmode: raw.cpu.usageInKernelmode,
      usageInUsermode: raw.cpu.usageInUsermode,
      throttlingActivePeriods: raw.cpu.periods,
      throttledPeriods: raw.cpu.throttledPeriods,
      throttledTime: raw.cpu.throttledTime,
      psi: psi(raw.cpu.psi),
    },
    hugetlb: Object.fromEntries([...raw.hugetlb].map(([size, h]) => [size, { usage: h.usage, max: h.maxUsage }])),
    pid: {
      current: raw.pids.current,
      limit: raw.pids.limit,
      pids: raw.procs === null ? null : [...raw.procs],
      fileDescriptors: scan.fileDescriptors,
      sockets: scan.sockets,
      threads: raw.pids.current,
      threadsMax: raw.pids.limit,
      ulimitsSoft: scan.ulimitsSoft,
    },
    diskIO: {
      ioServiceBytes: raw.blkio.ioServiceBytesRecursive.map(diskEntry),
      ioServiced: raw.blkio.ioServicedRecursive.map(diskEntry),
      psi: psi(raw.blkio.psi),
    },
    systemNano,
    absent: sortedAbsent(derivedAbsent(raw)),
    version: raw.version,
  };
  if (raw.events !== undefined) {
    const e = raw.events;
    stats.memoryEvents = {
      low: e.low ?? 0n,
      high: e.high ?? 0n,
      max: e.max ?? 0n,
      oom: e.oom ?? 0n,
      oomKill: e.oomKill ?? 0n,
      oomGroupKill: e.oomGroupKill ?? 0n,
    };
  }
  return stats;
}

/** The readers' absent fields plus those computed from them (added to raw.absent: the raw stats are the call's own). */
function derivedAbsent(raw: RawStats): Set<string> {
  const a = raw.absent;
  const has = (f: string) => a.has(f);
  if (has('memory.usage')) a.add('memory.workingSetBytes');
  if (has('memory.usage') || has('memory.limit')) a.add('memory.availableBytes');
  if (has('memory.swapUsage') || has('memory.swapLimit')) a.add('memory.swapAvailableBytes');
  if (has('pid.current')) a.add('pid.threads');
  if (has('pid.limit')) a.add('pid.threadsMax');
  if (raw.memory.psi === null) a.add('memory.psi');
  if (raw.cpu.psi === null) a.add('cpu.psi');
  if (raw.blkio.psi === null) a.add('diskIO.psi');
  if (raw.cpu.percpuUsage === null) a.add('cpu.perCPUUsage');
  return a;
}

/** The last absent set seen, in insertion order, and its sorted copy: consecutive reads mostly miss the same fields. */
let lastAbsent: string[] = [];
let lastSorted: readonly string[] = [];

/** The absent fields, sorted (a fresh array each call; the sort is skipped when the set equals the previous one). */
function sortedAbsent(a: Set<string>): string[] {
  let same = a.size === lastAbsent.length;
  if (same) {
    let i = 0;
    for (const f of a) {
      if (f !== lastAbsent[i++]) {
        same = false;
        break;
      }
    }
  }
  if (!same) {
    lastAbsent = [...a];
    lastSorted = [...lastAbsent].sort();
  }
  return lastSorted.slice();
}

/** A bigint CgroupStats in number mode: Number(), and Infinity for an unlimited (2^64-1) limit. */
export function toNumbers(s: CgroupStats<bigint>): CgroupStats<number> {
  const m = s.memory;
  // Unlimited (2^64-1) limits are Infinity, and so is the swap left under an unlimited swap limit.
  const memory: CgroupStats<number>['memory'] = {
    usage: Number(m.usage),
    cache: Number(m.cache),
    limit: inf(m.limit),
    maxUsage: Number(m.maxUsage),
    workingSetBytes: Number(m.workingSetBytes),
    rssBytes: Number(m.rssBytes),
    pageFaults: Number(m.pageFaults),
    majorPageFaults: Number(m.majorPageFaults),
    availableBytes: Number(m.availableBytes),
    kernelUsage: Number(m.kernelUsage),
    kernelTCPUsage: Number(m.kernelTCPUsage),
    swapUsage: Number(m.swapUsage),
    swapLimit: inf(m.swapLimit),
    swapAvailableBytes: m.swapLimit === MAXU64 ? Infinity : Number(m.swapAvailableBytes),
    fileMapped: Number(m.fileMapped),
    failcnt: Number(m.failcnt),
    psi: psiNumbers(m.psi),
  };
  const c = s.cpu;
  const out: CgroupStats<number> = {
    memory,
    cpu: {
      totalUsageNano: Number(c.totalUsageNano),
      perCPUUsage: c.perCPUUsage === null ? null : numbers(c.perCPUUsage),
      usageInKernelmode: Number(c.usageInKernelmode),
      usageInUsermode: Number(c.usageInUsermode),
      throttlingActivePeriods: Number(c.throttlingActivePeriods),
      throttledPeriods: Number(c.throttledPeriods),
      throttledTime: Number(c.throttledTime),
      psi: psiNumbers(c.psi),
    },
    hugetlb: hugetlbNumbers(s.hugetlb),
    pid: {
      current: Number(s.pid.current),
      limit: Number(s.pid.limit),
      pids: s.pid.pids,
      fileDescriptors: Number(s.pid.fileDescriptors),
      sockets: Number(s.pid.sockets),
      threads: Number(s.pid.threads),
      threadsMax: Number(s.pid.threadsMax),
      ulimitsSoft: Number(s.pid.ulimitsSoft),
    },
    diskIO: {
      ioServiceBytes: blkioNumbers(s.diskIO.ioServiceBytes),
      ioServiced: blkioNumbers(s.diskIO.ioServiced),
      psi: psiNumbers(s.diskIO.psi),
    },
    systemNano: Number(s.systemNano),
    absent: s.absent,
    version: s.version,
  };
  if (s.memoryEvents) {
    const e = s.memoryEvents;
    out.memoryEvents = {
      low: Number(e.low),
      high: Number(e.high),
      max: Number(e.max),
      oom: Number(e.oom),
      oomKill: Number(e.oomKill),
      oomGroupKill: Number(e.oomGroupKill),
    };
  }
  return out;
}

function inf(v: bigint): number {
  return v === MAXU64 ? Infinity : Number(v);
}

function numbers(list: readonly bigint[]): number[] {
  const out = new Array<number>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = Number(list[i]!);
  return out;
}

function psiNumbers(p: PSIStats<bigint> | null): PSIStats<number> | null {
  if (p === null) return null;
  return {
    some: { avg10: p.some.avg10, avg60: p.some.avg60, avg300: p.some.avg300, total: Number(p.some.total) },
    full: { avg10: p.full.avg10, avg60: p.full.avg60, avg300: p.full.avg300, total: Number(p.full.total) },
  };
}

function hugetlbNumbers(h: CgroupStats<bigint>['hugetlb']): CgroupStats<number>['hugetlb'] {
  const out: CgroupStats<number>['hugetlb'] = {};
  for (const k in h) out[k] = { usage: Number(h[k]!.usage), max: Number(h[k]!.max) };
  return out;
}

function blkioNumbers(list: readonly BlkioStatEntry<bigint>[]): BlkioStatEntry<number>[] {
  const out = new Array<BlkioStatEntry<number>>(list.length);
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    out[i] = { major: Number(e.major), minor: Number(e.minor), op: e.op, value: Number(e.value) };
  }
  return out;
}
