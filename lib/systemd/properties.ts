/**
 * The properties of conmon's transient scope (spec §2.6 step 3–4, §4.1 step 2, fix B-4) and the AllowedCPUs bit mask
 * (spec §4.2). Pure: builds `[name, [signature, value]]` pairs, sends nothing.
 */
import type { CgroupResources } from '../cgroup';
import { CgroupError, invalidArg } from '../errors';

/** A D-Bus `(sv)` pair: property name and [variant signature, value]. 64-bit values are bigints. */
export type UnitProperty = [name: string, value: [signature: string, value: unknown]];

/** SIGPIPE: conmon ignores systemd's stop signal during node shutdown and waits for its container. */
export const CONMON_KILL_SIGNAL = 13;
/** systemd's default CFS period (µs), used when a quota comes without a period (as libcontainer does). */
export const DEFAULT_CPU_QUOTA_PERIOD_USEC = 100000n;
/** `CPUQuotaPerSecUSec=infinity`. */
export const USEC_INFINITY = 0xffffffffffffffffn;
const U64_MAX = 0xffffffffffffffffn;

function parseU32(s: string): number {
  // Go's strconv.ParseUint(s, 10, 32): decimal digits only, no sign, no spaces.
  if (!/^[0-9]+$/.test(s) || Number(s) > 0xffffffff) {
    throw new CgroupError(`strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`, {
      code: 'ERR_CGROUP_INVALID_CPUSET',
    });
  }
  return Number(s);
}

/**
 * RangeToBits (spec §4.2): a cpuset list ("0-3,8") as the little-endian bit mask systemd's AllowedCPUs takes (byte 0 =
 * CPUs 0–7), without trailing zero bytes. Errors: `invalid range: a-b`, a parse error, `empty value`.
 */
export function rangeToBits(cpus: string): Buffer {
  if (typeof cpus !== 'string') throw invalidArg('cpus', cpus, 'must be a string');
  const bits = new Set<number>();
  for (const raw of cpus.split(',')) {
    const r = raw.replace(/^[ \t]+|[ \t]+$/g, '');
    if (r === '') continue;
    const dash = r.indexOf('-');
    if (dash >= 0) {
      const a = parseU32(r.slice(0, dash));
      const b = parseU32(r.slice(dash + 1));
      if (a > b) throw new CgroupError(`invalid range: ${r}`, { code: 'ERR_CGROUP_INVALID_CPUSET' });
      if (b - a > 1 << 20)
        throw new CgroupError(`invalid range: ${r} (too large)`, { code: 'ERR_CGROUP_INVALID_CPUSET' });
      for (let i = a; i <= b; i++) bits.add(i);
    } else {
      bits.add(parseU32(r));
    }
  }
  if (bits.size === 0) throw new CgroupError('empty value', { code: 'ERR_CGROUP_INVALID_CPUSET' });
  let max = 0;
  for (const b of bits) if (b > max) max = b;
  if (max >= 1 << 23) throw new CgroupError(`cpu ${max} out of range`, { code: 'ERR_CGROUP_INVALID_CPUSET' });
  const out = Buffer.alloc((max >> 3) + 1);
  for (const b of bits) out[b >> 3]! |= 1 << (b & 7);
  return out;
}

function u64(value: unknown, name: string): bigint {
  let v: bigint;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) v = BigInt(value);
  else throw invalidArg(name, value, 'must be a safe integer or a bigint');
  if (v < 0n || v > U64_MAX) throw invalidArg(name, value, 'must be in 0..2^64-1');
  return v;
}

/**
 * libcontainer's quota conversion (fix B-4): `CPUQuotaPerSecUSec` = quota·10⁶/period rounded up to a multiple of
 * 10 ms (systemd's granularity), or infinity for a quota ≤ 0 (-1 = unlimited); `CPUQuotaPeriodUSec` = period when
 * given. Only a quota, or only a period, is handled as libcontainer does (period defaults to 100 ms for the quota).
 */
export function cpuQuotaProperties(
  quota: number | bigint | undefined,
  period: number | bigint | undefined,
): UnitProperty[] {
  const out: UnitProperty[] = [];
  const hasQuota = quota !== undefined && quota !== 0 && quota !== 0n;
  const hasPeriod = period !== undefined && period !== 0 && period !== 0n;
  if (!hasQuota && !hasPeriod) return out;
  const p = hasPeriod ? u64(period, 'resources.cpu.period') : DEFAULT_CPU_QUOTA_PERIOD_USEC;
  let perSec = USEC_INFINITY;
  if (hasQuota) {
    if (typeof quota !== 'bigint' && (typeof quota !== 'number' || !Number.isSafeInteger(quota))) {
      throw invalidArg('resources.cpu.quota', quota, 'must be a safe integer or a bigint');
    }
    const q = BigInt(quota);
    if (q > 0n) {
      perSec = (q * 1000000n) / p;
      if (perSec % 10000n !== 0n) perSec = (perSec / 10000n + 1n) * 10000n;
      if (perSec > U64_MAX) perSec = USEC_INFINITY;
    }
  }
  out.push(['CPUQuotaPerSecUSec', ['t', perSec]]);
  if (hasPeriod) out.push(['CPUQuotaPeriodUSec', ['t', p]]);
  return out;
}

export interface ConmonScopeOptions {
  pid: number;
  /** The slice the scope goes in ("" = systemd's default, no Slice property). */
  slice: string;
  resources?: CgroupResources | null | undefined;
  /** Whether systemd supports AllowedCPUs (spec §1.2); asked only when a cpuset is given. */
  allowedCPUs: () => Promise<boolean>;
  /** Logs the skipped cpuset. */
  logError?: ((msg: string) => void) | undefined;
}

/**
 * The properties of `StartTransientUnit` for conmon, in CRI-O's order: PIDs, Delegate, DefaultDependencies,
 * KillSignal, After, then the CPU resources (AllowedCPUs, CPUShares, CPUQuotaPerSecUSec, CPUQuotaPeriodUSec), then
 * Slice (only when non-empty). A bad cpuset rejects with `cpuset conversion error: …` before any D-Bus traffic.
 */
export async function conmonScopeProperties(o: ConmonScopeOptions): Promise<UnitProperty[]> {
  const cpuProps: UnitProperty[] = [];
  const cpu = o.resources?.cpu;
  if (cpu !== undefined && cpu !== null) {
    if (typeof cpu !== 'object') throw invalidArg('resources.cpu', cpu, 'must be an object');
    if (cpu.cpus !== undefined && cpu.cpus !== '') {
      let mask: Buffer;
      try {
        mask = rangeToBits(cpu.cpus);
      } catch (e) {
        throw new CgroupError(`cpuset conversion error: ${(e as Error).message}`, {
          code: (e as CgroupError).code ?? 'ERR_CGROUP_INVALID_CPUSET',
          cause: e,
        });
      }
      if (await o.allowedCPUs()) cpuProps.push(['AllowedCPUs', ['ay', mask]]);
      else o.logError?.('Systemd does not support AllowedCPUs; skipping setting for workload');
    }
    if (cpu.shares !== undefined && cpu.shares !== 0)
      cpuProps.push(['CPUShares', ['t', u64(cpu.shares, 'resources.cpu.shares')]]);
    cpuProps.push(...cpuQuotaProperties(cpu.quota, cpu.period));
  }
  const props: UnitProperty[] = [
    ['PIDs', ['au', [o.pid]]],
    ['Delegate', ['b', true]],
    ['DefaultDependencies', ['b', false]],
    ['KillSignal', ['i', CONMON_KILL_SIGNAL]],
    ['After', ['as', ['crio.service']]],
    ...cpuProps,
  ];
  if (o.slice !== '') props.push(['Slice', ['s', o.slice]]);
  return props;
}
