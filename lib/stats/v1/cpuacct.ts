/**
 * cgroup v1 cpuacct (fs/cpuacct.go GetStats): nothing when the cgroup has no cpuacct directory; otherwise, all
 * required: `cpuacct.stat` ("user <ticks> system <ticks>", USER_HZ hard-coded to 100: ns = ticks × 10^9 / 100),
 * `cpuacct.usage` (TotalUsage, ns), `cpuacct.usage_percpu` (PercpuUsage). The library's ticks × 10^9 wraps past
 * 2^64 (1.8·10^10 ticks, about 5.8 CPU-years: days for the root cgroup of a big node); here the product is exact.
 * `cpuacct.usage_all` (per-CPU user/system, dropped by CRI-O) is not read.
 */
import { CONTROLLERS } from '../types';
import { defineReader, first, NO_ERRORS, staticFiles } from '../controller';
import type { CgroupError } from '../../errors';
import { FIELDS, markAbsent, mulExact, type RawStats, type U64 } from '../raw';
import type { FileRef, Files } from '../row';

/** USER_HZ: the library's clockTicks (sysconf(_SC_CLK_TCK) is 100 on every Linux). */
export const USER_HZ = 100n;
/** ns per tick: 10^9 / USER_HZ, an integer (so the library's ticks × 10^9 / USER_HZ is ticks × NS_PER_TICK exactly). */
const NS_PER_TICK = Number(1_000_000_000n / USER_HZ);
/** The slots of cpuacct.stat (native ParseCpuacctStat): user and system ticks. */
export const CPUACCT_STAT_SLOT = { user: 0, system: 1 } as const;
/** Ticks -> ns, exact (the library's formula: ticks × 10^9 / USER_HZ), in the raw stats' normal form. */
export function ticksToNs(ticks: U64): U64 {
  return mulExact(ticks, NS_PER_TICK);
}
/** CPUs the plan has room for in usage_percpu; more are read again with room for all. */
export const PERCPU_CAP = 256;

/** The usage block absent, and the required file's error (the library stops at it). */
function fail(raw: RawStats, src: Files, name: FileRef): readonly CgroupError[] {
  markAbsent(raw, 'cpu', FIELDS.cpuUsage);
  return first(src.requiredError(name));
}

const FILES = staticFiles({
  stat: { controller: 'cpuacct', name: 'cpuacct.stat', format: 'cpuacctStat' },
  usage: { controller: 'cpuacct', name: 'cpuacct.usage', format: 'single' },
  percpu: { controller: 'cpuacct', name: 'cpuacct.usage_percpu', format: 'list', cap: PERCPU_CAP },
});
const N = FILES.n;

export const cpuacct = defineReader({
  name: 'cpuacct',
  wants: (ctx) => (ctx.mask & (CONTROLLERS.cpu | CONTROLLERS.cpuacct)) !== 0,
  files: FILES.files,
  fileNames: FILES.fileNames,
  read(f, raw) {
    if (f.noDir(N.stat)) {
      markAbsent(raw, 'cpu', FIELDS.cpuUsage);
      return NO_ERRORS;
    }
    if (!f.ok(N.stat)) return fail(raw, f, N.stat);
    const user = f.value(N.stat, CPUACCT_STAT_SLOT.user)!;
    const system = f.value(N.stat, CPUACCT_STAT_SLOT.system)!;
    if (!f.ok(N.usage)) return fail(raw, f, N.usage);
    let percpu: Files = f;
    if (f.overflow(N.percpu)) percpu = f.reread(N.percpu, f.count(N.percpu)) ?? f;
    if (!percpu.ok(N.percpu)) return fail(raw, percpu, N.percpu);
    const n = percpu.count(N.percpu);
    const list = new Array<U64>(n);
    for (let i = 0; i < n; i++) list[i] = percpu.value(N.percpu, 1 + i)!;
    const c = raw.cpu;
    c.usageInUsermode = ticksToNs(user);
    c.usageInKernelmode = ticksToNs(system);
    c.totalUsage = f.value(N.usage)!;
    c.percpuUsage = list;
    return NO_ERRORS;
  },
  skip: (raw) => markAbsent(raw, 'cpu', FIELDS.cpuUsage),
});
