/**
 * The intermediate of the stats reader: opencontainers/cgroups v0.0.6 `cgroups.Stats` (the part CRI-O uses), every
 * u64 held exactly as a `U64` (a number up to 2^53−1, a bigint above), filled by the per-controller readers exactly as
 * the library fills it (zeros where it leaves zeros, u64 wrap-around where it wraps). CRI-O's converter (convert.ts)
 * turns it into CgroupStats in either mode. Beside the library's values it records which output fields had no source
 * (`absent`).
 */

/**
 * A u64 held exactly in its cheapest form: a number when it is at most 2^53−1 (a safe integer: read from the slot's
 * two 32-bit halves, no BigInt made), a bigint above. The readers' values are in this normal form (a bigint only
 * above 2^53−1), so `v === MAXU64` is the test for "max"; the arithmetic below takes either form and stays exact.
 */
export type U64 = number | bigint;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/** A u64 as a bigint (bigint mode's output). */
export function toBig(v: U64): bigint {
  return typeof v === 'bigint' ? v : v === 0 ? 0n : BigInt(v);
}

/** A u64 as a number (number mode's output: Number() of the exact value, rounded once). */
export function toNum(v: U64): number {
  return typeof v === 'number' ? v : Number(v);
}

/** The normal form of an exact bigint: a number when it is a safe integer. */
export function normal(v: bigint): U64 {
  return v <= MAX_SAFE_BIG && v >= -MAX_SAFE_BIG ? Number(v) : v;
}

/**
 * a + b modulo 2^64 (Go's u64 addition). Two numbers whose sum is a safe integer add exactly in doubles (a sum past
 * 2^53−1 rounds to at least 2^53, so the test cannot pass a rounded one).
 */
export function addWrap(a: U64, b: U64): U64 {
  if (typeof a === 'number' && typeof b === 'number') {
    const s = a + b;
    if (s <= MAX_SAFE) return s;
  }
  return normal(BigInt.asUintN(64, toBig(a) + toBig(b)));
}

/** a − b modulo 2^64 (Go's u64 subtraction). */
export function subWrap(a: U64, b: U64): U64 {
  if (typeof a === 'number' && typeof b === 'number' && a >= b) return a - b;
  return normal(BigInt.asUintN(64, toBig(a) - toBig(b)));
}

/** a − b clamped at 0 (no wrap-around). Two numbers give a number, two bigints a bigint, mixed forms the normal form. */
export function subClamp<T extends U64>(a: T, b: T): T;
export function subClamp(a: U64, b: U64): U64;
export function subClamp(a: U64, b: U64): U64 {
  if (typeof a === 'number' && typeof b === 'number') return a > b ? a - b : 0;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a > b ? a - b : 0n;
  const x = toBig(a);
  const y = toBig(b);
  return x > y ? normal(x - y) : 0;
}

/**
 * a × k, exact (no wrap-around), for a small positive integer k. Two safe integers whose product is a safe integer
 * multiply exactly in doubles (a product past 2^53−1 rounds to at least 2^53).
 */
export function mulExact(a: U64, k: number): U64 {
  if (typeof a === 'number') {
    const p = a * k;
    if (p <= MAX_SAFE) return p;
  }
  return normal(toBig(a) * BigInt(k));
}

export interface RawMemoryData {
  usage: U64;
  maxUsage: U64;
  failcnt: U64;
  limit: U64;
}

export interface RawPSIData {
  avg10: number;
  avg60: number;
  avg300: number;
  total: U64;
}

export interface RawPSI {
  some: RawPSIData;
  full: RawPSIData;
}

export interface RawBlkioEntry {
  major: U64;
  minor: U64;
  op: string;
  value: U64;
}

export interface RawStats {
  version: 1 | 2;
  memory: {
    cache: U64;
    usage: RawMemoryData;
    swapUsage: RawMemoryData;
    swapOnlyUsage: RawMemoryData;
    kernelUsage: RawMemoryData;
    kernelTCPUsage: RawMemoryData;
    useHierarchy: boolean;
    /** The memory.stat keys CRI-O uses (the library keeps all of them); undefined where the key is not there. */
    stats: MemoryStatValues;
    psi: RawPSI | null;
  };
  cpu: {
    totalUsage: U64;
    percpuUsage: U64[] | null;
    usageInKernelmode: U64;
    usageInUsermode: U64;
    periods: U64;
    throttledPeriods: U64;
    throttledTime: U64;
    psi: RawPSI | null;
  };
  pids: { current: U64; limit: U64 };
  blkio: { ioServiceBytesRecursive: RawBlkioEntry[]; ioServicedRecursive: RawBlkioEntry[]; psi: RawPSI | null };
  hugetlb: Map<string, { usage: U64; maxUsage: U64; failcnt: U64 }>;
  /** memory.events / memory.oom_control (extra); undefined unless asked for. */
  events: Partial<Record<'low' | 'high' | 'max' | 'oom' | 'oomKill' | 'oomGroupKill', U64>> | undefined;
  /** GetPids(): the cgroup's own cgroup.procs; null when it lists none (Go's nil slice) or was not read. */
  procs: number[] | null;
  /** Output fields (dotted paths of CgroupStats) that had no source. */
  absent: AbsentSet;
}

/** Every field name seen so far -> its bit (names are few: the CgroupStats fields, and hugetlb's per page size). */
const bitOf = new Map<string, number>();
/** The names by bit. */
const nameOf: string[] = [];
/** Bits held in the four 32-bit words; names seen after the first 128 go to a Set. */
const WORD_BITS = 128;

/**
 * A set of absent field names as four 32-bit words of bits (one bit per name ever seen, numbered on first sight):
 * adding a field makes no object, and two reads that miss the same fields compare in four integer comparisons.
 */
export class AbsentSet {
  w0 = 0;
  w1 = 0;
  w2 = 0;
  w3 = 0;
  /** Names past the first 128 ever seen (not expected: the fields are a few dozen). */
  extra: Set<string> | undefined = undefined;

  add(name: string): this {
    const b = bitFor(name);
    if (b < 0) (this.extra ??= new Set()).add(name);
    else this.setWord(b >>> 5, this.word(b >>> 5) | (1 << (b & 31)));
    return this;
  }

  /** add() by a bit of absentBit() (no name lookup). */
  addBit(b: number): void {
    this.setWord(b >>> 5, this.word(b >>> 5) | (1 << (b & 31)));
  }

  /** has() by a bit of absentBit() (no name lookup). */
  hasBit(b: number): boolean {
    return (this.word(b >>> 5) & (1 << (b & 31))) !== 0;
  }

  has(name: string): boolean {
    const b = bitOf.get(name);
    if (b === undefined) return false;
    if (b >= WORD_BITS) return this.extra?.has(name) === true;
    return (this.word(b >>> 5) & (1 << (b & 31))) !== 0;
  }

  /** Adds every name of another set. */
  addAll(other: AbsentSet): void {
    this.w0 |= other.w0;
    this.w1 |= other.w1;
    this.w2 |= other.w2;
    this.w3 |= other.w3;
    if (other.extra !== undefined) for (const n of other.extra) (this.extra ??= new Set()).add(n);
  }

  delete(name: string): boolean {
    const had = this.has(name);
    const b = bitOf.get(name);
    if (had && b !== undefined) {
      if (b >= WORD_BITS) this.extra!.delete(name);
      else this.setWord(b >>> 5, this.word(b >>> 5) & ~(1 << (b & 31)));
    }
    return had;
  }

  /** The names in the set, in bit order (the order they were first seen by the process), then the extra ones. */
  names(): string[] {
    const out: string[] = [];
    for (let w = 0; w < 4; w++) {
      const bits = this.word(w);
      if (bits === 0) continue;
      for (let k = 0; k < 32; k++) if ((bits & (1 << k)) !== 0) out.push(nameOf[w * 32 + k]!);
    }
    if (this.extra !== undefined) for (const n of this.extra) out.push(n);
    return out;
  }

  private word(w: number): number {
    return w === 0 ? this.w0 : w === 1 ? this.w1 : w === 2 ? this.w2 : this.w3;
  }

  private setWord(w: number, v: number): void {
    if (w === 0) this.w0 = v;
    else if (w === 1) this.w1 = v;
    else if (w === 2) this.w2 = v;
    else this.w3 = v;
  }
}

/**
 * The bit of a field name, for addBit/hasBit: for names looked up on every read, taken once at load (the first names
 * seen, so always within the words' bits).
 */
export function absentBit(name: string): number {
  const b = bitFor(name);
  if (b < 0) throw new RangeError(`no bit for ${name}: absentBit is for the fields of CgroupStats, taken at load`);
  return b;
}

/** The bit of a name, numbered on first sight; -1 past the words' 128 bits. */
function bitFor(name: string): number {
  let b = bitOf.get(name);
  if (b === undefined) {
    b = nameOf.length;
    bitOf.set(name, b);
    nameOf.push(name);
  }
  return b < WORD_BITS ? b : -1;
}

/** The memory.stat keys CRI-O uses (v1's and v2's), one fixed-shape object per read: undefined = not in the file. */
export class MemoryStatValues {
  // v1
  cache: U64 | undefined = undefined;
  total_rss: U64 | undefined = undefined;
  total_inactive_file: U64 | undefined = undefined;
  mapped_file: U64 | undefined = undefined;
  total_mapped_file: U64 | undefined = undefined;
  // v2
  file: U64 | undefined = undefined;
  anon: U64 | undefined = undefined;
  inactive_file: U64 | undefined = undefined;
  pgfault: U64 | undefined = undefined;
  pgmajfault: U64 | undefined = undefined;
  file_mapped: U64 | undefined = undefined;
}

export function memoryData(): RawMemoryData {
  return { usage: 0, maxUsage: 0, failcnt: 0, limit: 0 };
}

/** Sets a usage block's four values (readers fill the RawStats' own blocks in place). */
export function fillMemoryData(d: RawMemoryData, usage: U64, maxUsage: U64, failcnt: U64, limit: U64): void {
  d.usage = usage;
  d.maxUsage = maxUsage;
  d.failcnt = failcnt;
  d.limit = limit;
}

/** No blkio entries (readers replace a list whole, never push into one). */
const NO_BLKIO: RawBlkioEntry[] = Object.freeze([]) as unknown as RawBlkioEntry[];

export function newRaw(version: 1 | 2): RawStats {
  return {
    version,
    memory: {
      cache: 0,
      usage: memoryData(),
      swapUsage: memoryData(),
      swapOnlyUsage: memoryData(),
      kernelUsage: memoryData(),
      kernelTCPUsage: memoryData(),
      useHierarchy: false,
      stats: new MemoryStatValues(),
      psi: null,
    },
    cpu: {
      totalUsage: 0,
      percpuUsage: null,
      usageInKernelmode: 0,
      usageInUsermode: 0,
      periods: 0,
      throttledPeriods: 0,
      throttledTime: 0,
      psi: null,
    },
    pids: { current: 0, limit: 0 },
    blkio: { ioServiceBytesRecursive: NO_BLKIO, ioServicedRecursive: NO_BLKIO, psi: null },
    hugetlb: new Map(),
    events: undefined,
    procs: null,
    absent: new AbsentSet(),
  };
}

/**
 * Makes a RawStats what newRaw(version) makes, in place: its own blocks zeroed, lists and PSI dropped. For a caller that
 * converts the raw stats before the next read (the converter copies everything it keeps), so one read allocates none
 * of them.
 */
export function resetRaw(raw: RawStats): RawStats {
  const m = raw.memory;
  m.cache = 0;
  fillMemoryData(m.usage, 0, 0, 0, 0);
  fillMemoryData(m.swapUsage, 0, 0, 0, 0);
  fillMemoryData(m.swapOnlyUsage, 0, 0, 0, 0);
  fillMemoryData(m.kernelUsage, 0, 0, 0, 0);
  fillMemoryData(m.kernelTCPUsage, 0, 0, 0, 0);
  m.useHierarchy = false;
  const st = m.stats;
  st.cache = st.total_rss = st.total_inactive_file = st.mapped_file = st.total_mapped_file = undefined;
  st.file = st.anon = st.inactive_file = st.pgfault = st.pgmajfault = st.file_mapped = undefined;
  m.psi = null;
  const c = raw.cpu;
  c.totalUsage = c.usageInKernelmode = c.usageInUsermode = c.periods = c.throttledPeriods = c.throttledTime = 0;
  c.percpuUsage = null;
  c.psi = null;
  raw.pids.current = raw.pids.limit = 0;
  raw.blkio.ioServiceBytesRecursive = raw.blkio.ioServicedRecursive = NO_BLKIO;
  raw.blkio.psi = null;
  if (raw.hugetlb.size > 0) raw.hugetlb = new Map();
  raw.events = undefined;
  raw.procs = null;
  const a = raw.absent;
  a.w0 = a.w1 = a.w2 = a.w3 = 0;
  a.extra = undefined;
  return raw;
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

/** The bits of a (section, field list) pair, by list (a list is marked with one section; lists are module constants). */
const listBits = new WeakMap<readonly string[], { section: string; bits: AbsentSet }>();

export function markAbsent(raw: RawStats, section: string, fields: readonly string[]): void {
  const cached = listBits.get(fields);
  if (cached !== undefined && cached.section === section) {
    raw.absent.addAll(cached.bits);
    return;
  }
  const bits = new AbsentSet();
  for (let i = 0; i < fields.length; i++) bits.add(dottedName(section, fields[i]!));
  if (bits.extra === undefined && cached === undefined) listBits.set(fields, { section, bits });
  raw.absent.addAll(bits);
}

/** u64 arithmetic of Go: the result modulo 2^64 (for values computed in bigint), in the normal form. */
export function wrap(v: bigint): U64 {
  return normal(BigInt.asUintN(64, v));
}
