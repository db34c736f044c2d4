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
  const fileMapped = v2 ? m.stats.get('file_mapped') : m.stats.get(m.useHierarchy ? 'total_mapped_file' : 'mapped_file');

  const diskEntry = (e: { major: bigint; minor: bigint; op: string; value: bigint }): BlkioStatEntry<bigint> =>
    ({ major: e.major, minor: e.minor, op: e.op, value: e.value });

  const stats: CgroupStats<bigint> = {
    memory: {
      usage,
      cache: m.cache,
      limit,
      maxUsage: m.usage.maxUsage,
      workingSetBytes: workingSet,
      rssBytes: m.stats.get(v2 ? 'anon' : 'total_rss') ?? 0n,
      pageFaults: v2 ? m.stats.get('pgfault') ?? 0n : 0n,
      majorPageFaults: v2 ? m.stats.get('pgmajfault') ?? 0n : 0n,
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
    absent: [...derivedAbsent(raw)].sort(),
    version: raw.version,
  };
  if (raw.events !== undefined) {
    const e = raw.events;
    stats.memoryEvents = {
      low: e.low ?? 0n, high: e.high ?? 0n, max: e.max ?? 0n, oom: e.oom ?? 0n, oomKill: e.oomKill ?? 0n,
      oomGroupKill: e.oomGroupKill ?? 0n,
    };
  }
  return stats;
}

/** The readers' absent fields plus those computed from them. */
function derivedAbsent(raw: RawStats): Set<string> {
  const a = new Set(raw.absent);
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

/** A bigint CgroupStats in number mode: Number(), and Infinity for an unlimited (2^64-1) limit. */
export function toNumbers(s: CgroupStats<bigint>): CgroupStats<number> {
  const n = (v: bigint) => Number(v);
  const psiN = (p: PSIStats<bigint> | null): PSIStats<number> | null =>
    p === null ? null : { some: { ...p.some, total: n(p.some.total) }, full: { ...p.full, total: n(p.full.total) } };
  const m = s.memory;
  // Unlimited (2^64-1) limits are Infinity, and so is the swap left under an unlimited swap limit.
  const inf = (v: bigint) => (v === MAXU64 ? Infinity : n(v));
  const memory: CgroupStats<number>['memory'] = {
    usage: n(m.usage), cache: n(m.cache), limit: inf(m.limit), maxUsage: n(m.maxUsage),
    workingSetBytes: n(m.workingSetBytes), rssBytes: n(m.rssBytes), pageFaults: n(m.pageFaults),
    majorPageFaults: n(m.majorPageFaults), availableBytes: n(m.availableBytes), kernelUsage: n(m.kernelUsage),
    kernelTCPUsage: n(m.kernelTCPUsage), swapUsage: n(m.swapUsage), swapLimit: inf(m.swapLimit),
    swapAvailableBytes: m.swapLimit === MAXU64 ? Infinity : n(m.swapAvailableBytes), fileMapped: n(m.fileMapped),
    failcnt: n(m.failcnt), psi: psiN(m.psi),
  };
  const out: CgroupStats<number> = {
    memory,
    cpu: {
      totalUsageNano: n(s.cpu.totalUsageNano),
      perCPUUsage: s.cpu.perCPUUsage === null ? null : s.cpu.perCPUUsage.map(n),
      usageInKernelmode: n(s.cpu.usageInKernelmode),
      usageInUsermode: n(s.cpu.usageInUsermode),
      throttlingActivePeriods: n(s.cpu.throttlingActivePeriods),
      throttledPeriods: n(s.cpu.throttledPeriods),
      throttledTime: n(s.cpu.throttledTime),
      psi: psiN(s.cpu.psi),
    },
    hugetlb: Object.fromEntries(Object.entries(s.hugetlb).map(([k, h]) => [k, { usage: n(h.usage), max: n(h.max) }])),
    pid: {
      current: n(s.pid.current), limit: n(s.pid.limit), pids: s.pid.pids, fileDescriptors: n(s.pid.fileDescriptors),
      sockets: n(s.pid.sockets), threads: n(s.pid.threads), threadsMax: n(s.pid.threadsMax), ulimitsSoft: n(s.pid.ulimitsSoft),
    },
    diskIO: {
      ioServiceBytes: s.diskIO.ioServiceBytes.map((e) => ({ major: n(e.major), minor: n(e.minor), op: e.op, value: n(e.value) })),
      ioServiced: s.diskIO.ioServiced.map((e) => ({ major: n(e.major), minor: n(e.minor), op: e.op, value: n(e.value) })),
      psi: psiN(s.diskIO.psi),
    },
    systemNano: n(s.systemNano),
    absent: s.absent,
    version: s.version,
  };
  if (s.memoryEvents) {
    const e = s.memoryEvents;
    out.memoryEvents = {
      low: n(e.low), high: n(e.high), max: n(e.max), oom: n(e.oom), oomKill: n(e.oomKill), oomGroupKill: n(e.oomGroupKill),
    };
  }
  return out;
}
