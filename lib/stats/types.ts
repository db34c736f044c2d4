/**
 * The statistics types of the seed's package (CRI-O v1.35 `internal/config/cgmgr`: CgroupStats, MemoryStats, CPUStats,
 * PidsStats, HugetlbStats, DiskIOStats, PSIStats, PSIData), with CRI-O's field names in lowerCamelCase, generic over
 * the number type: `number` by default, `bigint` with `{ bigint: true }` (like fs.statSync). A few extras that metrics
 * agents ask for (memory events, available swap, the list of absent fields) are marked as such.
 */

/** The number type of a stats object: `number` (default) or `bigint` (`{ bigint: true }`). */
export type Num = number | bigint;

/** One line of a PSI file (`some` or `full`). Averages are percentages (always numbers); total is in µs. */
export interface PSIData<N extends Num = number> {
  avg10: number;
  avg60: number;
  avg300: number;
  total: N;
}

/** A PSI file (`cpu.pressure`, `memory.pressure`, `io.pressure`). A missing line reads as all zero, as in CRI-O. */
export interface PSIStats<N extends Num = number> {
  some: PSIData<N>;
  full: PSIData<N>;
}

/** CRI-O `MemoryStats` (spec §3.3). */
export interface MemoryStats<N extends Num = number> {
  /** v1 `memory.usage_in_bytes`, v2 `memory.current`. */
  usage: N;
  /** v1 `memory.stat` cache, v2 `memory.stat` file. */
  cache: N;
  /** v1 `memory.limit_in_bytes` (as the kernel wrote it), v2 `memory.max`; `max` is Infinity / 2^64-1. */
  limit: N;
  /** v1 `memory.max_usage_in_bytes`, v2 `memory.peak` (0 before 5.19). */
  maxUsage: N;
  /** usage - inactive file (v1 total_inactive_file, v2 inactive_file), clamped at 0; usage when the key is absent. */
  workingSetBytes: N;
  /** v1 `total_rss`, v2 `anon`. */
  rssBytes: N;
  /** v2 `pgfault` (v1: 0). */
  pageFaults: N;
  /** v2 `pgmajfault` (v1: 0). */
  majorPageFaults: N;
  /** limit - working set, clamped at 0 (DECISIONS Q-13); 0 when the limit is unlimited. */
  availableBytes: N;
  /** v1 `memory.kmem.usage_in_bytes` (v2: 0). */
  kernelUsage: N;
  /** v1 `memory.kmem.tcp.usage_in_bytes` (v2: 0). */
  kernelTCPUsage: N;
  /** v1: memory+swap (`memory.memsw.usage_in_bytes`); v2: swap only (`memory.swap.current`). Spec Q-2. */
  swapUsage: N;
  /** v1 `memory.memsw.limit_in_bytes`; v2 `memory.swap.max` + `memory.max`, unlimited when either is `max`. */
  swapLimit: N;
  /** Extra (CRI `swap_available_bytes`): swapLimit - swapUsage, clamped at 0 (DECISIONS Q-3). */
  swapAvailableBytes: N;
  /** v1 `total_mapped_file` (use_hierarchy = 1) or `mapped_file`; v2 `file_mapped`. */
  fileMapped: N;
  /** v1 `memory.failcnt` (v2: 0). */
  failcnt: N;
  /** v2 `memory.pressure`; null on v1 or when the file is absent. */
  psi: PSIStats<N> | null;
}

/** CRI-O `CPUStats` (spec §3.4). All times in nanoseconds. */
export interface CPUStats<N extends Num = number> {
  totalUsageNano: N;
  /** v1 `cpuacct.usage_percpu`; null on v2 (and when cpuacct was not read). */
  perCPUUsage: N[] | null;
  usageInKernelmode: N;
  usageInUsermode: N;
  throttlingActivePeriods: N;
  throttledPeriods: N;
  throttledTime: N;
  /** v2 `cpu.pressure`; null on v1 or when the file is absent. */
  psi: PSIStats<N> | null;
}

/** CRI-O `PidsStats` (spec §3.5). */
export interface PidsStats<N extends Num = number> {
  /** `pids.current` (tasks, hierarchical); v2 without the pids controller: the newline count of `cgroup.procs`. */
  current: N;
  /** `pids.max`; `max` is 0 (unlimited), as in CRI-O. */
  limit: N;
  /** The cgroup's own `cgroup.procs` (not recursive); null when it lists none. */
  pids: number[] | null;
  /** Σ entries of /proc/<pid>/fd. */
  fileDescriptors: N;
  /** Σ /proc/<pid>/fd links to sockets. */
  sockets: N;
  /** = current. */
  threads: N;
  /** = limit. */
  threadsMax: N;
  /** Soft "Max open files" of the last pid read (spec Q-12). */
  ulimitsSoft: N;
}

/** CRI-O `HugetlbStats`: usage and max usage per page size (v2 max is always 0). */
export interface HugetlbStats<N extends Num = number> {
  usage: N;
  max: N;
}

/** A blkio / io.stat entry. Op is as the kernel prints it on v1 ("Read", "Write", "Sync", "Async", "Discard",
 * "Total"), "Read"/"Write" on v2. */
export interface BlkioStatEntry<N extends Num = number> {
  major: N;
  minor: N;
  op: string;
  value: N;
}

/** CRI-O `DiskIOStats`. */
export interface DiskIOStats<N extends Num = number> {
  /** Bytes: v1 `*io_service_bytes*` of the family in use, v2 `io.stat` rbytes/wbytes. */
  ioServiceBytes: BlkioStatEntry<N>[];
  /** Operations: v1 `*io_serviced*`, v2 `io.stat` rios/wios. */
  ioServiced: BlkioStatEntry<N>[];
  /** v2 `io.pressure`; null on v1 or when the file is absent. */
  psi: PSIStats<N> | null;
}

/** Extra: `memory.events` (v2) or `memory.oom_control` (v1: only oomKill). Read with the `memoryEvents` controller. */
export interface MemoryEvents<N extends Num = number> {
  low: N;
  high: N;
  max: N;
  oom: N;
  /** CRI-O's OOMKillCount: v2 `memory.events` oom_kill, v1 `memory.oom_control` oom_kill. */
  oomKill: N;
  oomGroupKill: N;
}

/** CRI-O `CgroupStats`, plus what cgmgr adds (marked). */
export interface CgroupStats<N extends Num = number> {
  memory: MemoryStats<N>;
  cpu: CPUStats<N>;
  /** Page size ("2MB", "1GB", ...) -> usage. */
  hugetlb: Record<string, HugetlbStats<N>>;
  pid: PidsStats<N>;
  diskIO: DiskIOStats<N>;
  /** Wall clock in ns, taken after the reads and the /proc scan. */
  systemNano: N;
  /** Extra, only with the `memoryEvents` controller. */
  memoryEvents?: MemoryEvents<N>;
  /**
   * Extra: the fields (dotted paths such as `memory.usage`, `pid.limit`, `cpu.psi`, `hugetlb`) that hold no data,
   * because the file or key that feeds them does not exist on this cgroup (or on this cgroup version), or because
   * their controller was not asked for. Their values are CRI-O's stand-ins (0, null, empty), never data. Sorted.
   */
  absent: string[];
  /** Extra: the cgroup version the stats were read with. */
  version: 1 | 2;
}

/** Controller mask bits: which parts of the stats to read. */
export const CONTROLLERS = {
  /** memory.stat, usage, limits, swap, kmem (MemoryStats). */
  memory: 1 << 0,
  /** v2 cpu.stat; v1 cpu.stat (throttling) and the cpuacct files (usage). */
  cpu: 1 << 1,
  /** v1 only the cpuacct files; on v2 the same as cpu. */
  cpuacct: 1 << 2,
  /** pids.current / pids.max (v2 fallback: cgroup.procs newline count). */
  pids: 1 << 3,
  /** The cgroup's pid list and the /proc scan (fds, sockets, ulimits). */
  process: 1 << 4,
  /** v2 io.stat, v1 blkio (also accepted as 'blkio'). */
  io: 1 << 5,
  /** Huge page usage per page size. */
  hugetlb: 1 << 6,
  /** v2 cpu/memory/io.pressure; on a hybrid v1 host, read from the unified hierarchy when asked for explicitly. */
  psi: 1 << 7,
  /** memory.events (v2) / memory.oom_control (v1). */
  memoryEvents: 1 << 8,
  /** v1 cpuset.cpus / cpuset.mems, read only so that an unparsable one fails the read as in CRI-O (v2: ignored). */
  cpuset: 1 << 9,
} as const;

export type ControllerName = keyof typeof CONTROLLERS | 'blkio';

/** What CRI-O v1.35 reads, per cgroup version: the default mask. */
export const DEFAULT_CONTROLLERS: { readonly 1: number; readonly 2: number } = {
  1:
    CONTROLLERS.memory |
    CONTROLLERS.cpu |
    CONTROLLERS.cpuacct |
    CONTROLLERS.pids |
    CONTROLLERS.process |
    CONTROLLERS.io |
    CONTROLLERS.hugetlb |
    CONTROLLERS.cpuset,
  2:
    CONTROLLERS.memory |
    CONTROLLERS.cpu |
    CONTROLLERS.pids |
    CONTROLLERS.process |
    CONTROLLERS.io |
    CONTROLLERS.hugetlb |
    CONTROLLERS.psi,
};

/** Options of stats(), statsSync() and statsMany(). */
export interface StatsOptions {
  /** The cgroup root (default /sys/fs/cgroup), or a recorded tree standing in for it. */
  root?: string;
  /** Where /proc is (process scan, root-cgroup emulation on v2). Default /proc. */
  procRoot?: string;
  /** Where /sys is (huge page sizes). Default /sys. */
  sysRoot?: string;
  /** Force the cgroup version instead of detecting it (a recorded tree). */
  version?: 1 | 2;
  /** The mountinfo hierarchy discovery reads (default /proc/self/mountinfo). */
  mountinfo?: string;
  /** What to read: a mask of CONTROLLERS bits, or names. Default: DEFAULT_CONTROLLERS of the version. */
  controllers?: number | readonly ControllerName[];
  /** Return bigint values (exact u64) instead of numbers. */
  bigint?: boolean;
  /** Huge page sizes ("2MB", ...) instead of those of <sysRoot>/kernel/mm/hugepages. */
  hugePageSizes?: readonly string[];
}
