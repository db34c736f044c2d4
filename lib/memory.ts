/**
 * Memory checks of the seed's package (spec §2.7, §2.12, §5): memLimitGivenSystem and verifyMemoryIsEnough, with
 * CRI-O's error string.
 */
import { CgroupError, invalidArg } from './errors';
import { native } from './native';

const MAXU64 = (1n << 64n) - 1n;

/** What sysinfo(2) says about RAM; `totalram` in bytes (mem_unit applied). Throws when sysinfo fails. */
export type SysinfoFn = () => { totalram: bigint };

export interface MemLimitOptions {
  /** Stands in for sysinfo(2) (tests, vectors). Default: the native sysinfo, mem_unit applied. */
  sysinfo?: SysinfoFn;
}

function totalRam(options: MemLimitOptions): bigint | undefined {
  try {
    return BigInt((options.sysinfo ?? native.sysinfo)().totalram);
  } catch {
    return undefined; // CRI-O: on a sysinfo error the limit is returned unchanged
  }
}

/**
 * The cgroup memory limit clamped to the machine's RAM: min(limit, totalram), or the limit when sysinfo fails.
 * CRI-O multiplies nothing by sysinfo's mem_unit (spec Q-22); cgmgr honours it (the native sysinfo returns bytes).
 * A number limit gives a number (Infinity, "max", gives the RAM); a bigint gives a bigint.
 */
export function memLimitGivenSystem(limit: bigint, options?: MemLimitOptions): bigint;
export function memLimitGivenSystem(limit: number, options?: MemLimitOptions): number;
export function memLimitGivenSystem(limit: number | bigint, options: MemLimitOptions = {}): number | bigint {
  if (typeof limit === 'bigint') {
    if (limit < 0n || limit > MAXU64) throw invalidArg('limit', limit, 'must be a u64');
    const ram = totalRam(options);
    return ram !== undefined && limit > ram ? ram : limit;
  }
  if (typeof limit !== 'number' || Number.isNaN(limit) || limit < 0)
    throw invalidArg('limit', limit, 'must be a non-negative number');
  const ram = totalRam(options);
  if (ram === undefined) return limit;
  return limit > Number(ram) || limit === Infinity ? Number(ram) : limit;
}

/**
 * CRI-O's VerifyMemoryIsEnough: throws `set memory limit <limit> too low; should be at least <min> bytes` when the
 * limit is not 0 and below the minimum (a negative limit other than 0 fails too; equality passes). The error is a
 * CgroupError with code ERR_CGROUP_MEMORY_TOO_LOW.
 */
export function verifyMemoryIsEnough(limit: number | bigint, min: number | bigint): void {
  const l = toInt64(limit, 'limit');
  const m = toInt64(min, 'min');
  if (l !== 0n && l < m) {
    throw new CgroupError(`set memory limit ${l} too low; should be at least ${m} bytes`, {
      code: 'ERR_CGROUP_MEMORY_TOO_LOW',
    });
  }
}

function toInt64(v: number | bigint, name: string): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw invalidArg(name, v, 'must be an integer');
    return BigInt(v);
  }
  if (typeof v !== 'bigint' || v < -(1n << 63n) || v >= 1n << 63n)
    throw invalidArg(name, v, 'must be a 64-bit integer');
  return v;
}
