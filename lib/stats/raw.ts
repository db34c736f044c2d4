/**
 * The intermediate of the stats reader: opencontainers/cgroups v0.0.6 `cgroups.Stats` (the part CRI-O uses), in
 * bigint, filled by the per-controller readers exactly as the library fills it (zeros where it leaves zeros, u64
 * wrap-around where it wraps). CRI-O's converter (convert.ts) turns it into CgroupStats. Beside the library's values
 * it records which output fields had no source (`absent`).
 */

export interface RawMemoryData {
  usage: bigint;
  maxUsage: bigint;
  failcnt: bigint;
  limit: bigint;
}

export interface RawPSIData {
  avg10: number;
  avg60: number;
  avg300: number;
  total: bigint;
}

export interface RawPSI {
  some: RawPSIData;
  full: RawPSIData;
}

export interface RawBlkioEntry {
  major: bigint;
  minor: bigint;
  op: string;
  value: bigint;
}

export interface RawStats {
  version: 1 | 2;
  memory: {
    cache: bigint;
    usage: RawMemoryData;
    swapUsage: RawMemoryData;
    swapOnlyUsage: RawMemoryData;
    kernelUsage: RawMemoryData;
    kernelTCPUsage: RawMemoryData;
    useHierarchy: boolean;
    /** The memory.stat keys CRI-O uses (the library keeps all of them). */
    stats: Map<string, bigint>;
    psi: RawPSI | null;
  };
  cpu: {
    totalUsage: bigint;
    percpuUsage: bigint[] | null;
    usageInKernelmode: bigint;
    usageInUsermode: bigint;
    periods: bigint;
    throttledPeriods: bigint;
    throttledTime: bigint;
    psi: RawPSI | null;
  };
  pids: { current: bigint; limit: bigint };
  blkio: { ioServiceBytesRecursive: RawBlkioEntry[]; ioServicedRecursive: RawBlkioEntry[]; psi: RawPSI | null };
  hugetlb: Map<string, { usage: bigint; maxUsage: bigint; failcnt: bigint }>;
  /** memory.events / memory.oom_control (extra); undefined unless asked for. */
  events: Partial<Record<'low' | 'high' | 'max' | 'oom' | 'oomKill' | 'oomGroupKill', bigint>> | undefined;
  /** GetPids(): the cgroup's own cgroup.procs; null when it lists none (Go's nil slice) or was not read. */
  procs: number[] | null;
  /** Output fields (dotted paths of CgroupStats) that had no source. */
  absent: Set<string>;
}

export function memoryData(): RawMemoryData {
  return { usage: 0n, maxUsage: 0n, failcnt: 0n, limit: 0n };
}

/**
 * The zero usage block every new RawStats starts with, shared (frozen): readers replace a block whole, never write into
 * one, so a read makes only the blocks it fills.
 */
const ZERO_MEMORY_DATA: RawMemoryData = Object.freeze(memoryData());

export function newRaw(version: 1 | 2): RawStats {
  return {
    version,
    memory: {
      cache: 0n,
      usage: ZERO_MEMORY_DATA,
      swapUsage: ZERO_MEMORY_DATA,
      swapOnlyUsage: ZERO_MEMORY_DATA,
      kernelUsage: ZERO_MEMORY_DATA,
      kernelTCPUsage: ZERO_MEMORY_DATA,
      useHierarchy: false,
      stats: new Map(),
      psi: null,
    },
    cpu: {
      totalUsage: 0n,
      percpuUsage: null,
      usageInKernelmode: 0n,
      usageInUsermode: 0n,
      periods: 0n,
      throttledPeriods: 0n,
      throttledTime: 0n,
      psi: null,
    },
    pids: { current: 0n, limit: 0n },
    blkio: { ioServiceBytesRecursive: [], ioServicedRecursive: [], psi: null },
    hugetlb: new Map(),
    events: undefined,
    procs: null,
    absent: new Set(),
  };
}

/** Field lists of each output section, for marking a whole section absent. */
export const FIELDS = {
  memory: [
    'usage',
    'cache',
    'limit',
    'maxUsage',
    'workingSetBytes',
    'rssBytes',
    'pageFaults',
    'majorPageFaults',
    'availableBytes',
    'kernelUsage',
    'kernelTCPUsage',
    'swapUsage',
    'swapLimit',
    'swapAvailableBytes',
    'fileMapped',
    'failcnt',
  ],
  cpu: [
    'totalUsageNano',
    'perCPUUsage',
    'usageInKernelmode',
    'usageInUsermode',
    'throttlingActivePeriods',
    'throttledPeriods',
    'throttledTime',
  ],
  cpuThrottling: ['throttlingActivePeriods', 'throttledPeriods', 'throttledTime'],
  cpuUsage: ['totalUsageNano', 'perCPUUsage', 'usageInKernelmode', 'usageInUsermode'],
  pid: ['current', 'limit', 'threads', 'threadsMax'],
  process: ['pids', 'fileDescriptors', 'sockets', 'ulimitsSoft'],
  diskIO: ['ioServiceBytes', 'ioServiced'],
  memoryEvents: ['low', 'high', 'max', 'oom', 'oomKill', 'oomGroupKill'],
} as const;

/** `<section>.<field>` strings, made once: a read adds the same strings every time (no concatenation, hash cached). */
const dotted = new Map<string, Map<string, string>>();

/** The string `<section>.<field>` (the same string object for the same pair). */
export function dottedName(section: string, field: string): string {
  let bySection = dotted.get(section);
  if (bySection === undefined) dotted.set(section, (bySection = new Map<string, string>()));
  let name = bySection.get(field);
  if (name === undefined) bySection.set(field, (name = `${section}.${field}`));
  return name;
}

export function markAbsent(raw: RawStats, section: string, fields: readonly string[]): void {
  for (let i = 0; i < fields.length; i++) raw.absent.add(dottedName(section, fields[i]!));
}

/** u64 arithmetic of Go: the result modulo 2^64. */
export function wrap(v: bigint): bigint {
  return BigInt.asUintN(64, v);
}
