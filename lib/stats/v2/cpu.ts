/**
 * cgroup v2 cpu (fs2/cpu.go statCpu): `cpu.stat` (strict key/value; not there -> nothing, no error), µs -> ns:
 * usage_usec, user_usec, system_usec × 1000; nr_periods, nr_throttled; throttled_usec × 1000. `cpu.stat` exists
 * without the cpu controller too (the core usage keys only). No per-CPU data on v2.
 */
import { CONTROLLERS } from '../types';
import { defineReader, NO_ERRORS, staticFiles } from '../controller';
import { FIELDS, markAbsent, mulExact, type RawStats } from '../raw';
import type { Files } from '../row';

const KEYS = ['usage_usec', 'user_usec', 'system_usec', 'nr_periods', 'nr_throttled', 'throttled_usec'] as const;
type Target = 'totalUsage' | 'usageInUsermode' | 'usageInKernelmode' | 'periods' | 'throttledPeriods' | 'throttledTime';
/** Per cpu.stat key: the raw field it fills, the factor to ns (µs -> ns) or 1, and the CgroupStats cpu field. */
export const V2_CPU_STAT: Readonly<Record<(typeof KEYS)[number], readonly [Target, bigint, string]>> = {
  usage_usec: ['totalUsage', 1000n, 'totalUsageNano'],
  user_usec: ['usageInUsermode', 1000n, 'usageInUsermode'],
  system_usec: ['usageInKernelmode', 1000n, 'usageInKernelmode'],
  nr_periods: ['periods', 1n, 'throttlingActivePeriods'],
  nr_throttled: ['throttledPeriods', 1n, 'throttledPeriods'],
  throttled_usec: ['throttledTime', 1000n, 'throttledTime'],
};

const FILES = staticFiles({
  stat: { controller: 'cpu', name: 'cpu.stat', format: 'flatKeyed', keys: [...KEYS] },
});
const STAT = FILES.n.stat;

export const cpu = defineReader({
  name: 'cpu',
  wants: (ctx) => (ctx.mask & (CONTROLLERS.cpu | CONTROLLERS.cpuacct)) !== 0,
  files: FILES.files,
  fileNames: FILES.fileNames,
  read(f, raw) {
    raw.absent.add('cpu.perCPUUsage'); // no per-CPU data on v2
    if (f.missing(STAT)) {
      markAbsent(raw, 'cpu', FIELDS.cpu);
      return NO_ERRORS;
    }
    // On a parse error the library keeps the keys it had read before the bad line; so does the native parser.
    fill(raw, f);
    if (f.ok(STAT)) return NO_ERRORS;
    markAbsent(raw, 'cpu', FIELDS.cpu); // a controller that failed is absent as a whole
    return [f.error(STAT)!];
  },
  skip: (raw) => markAbsent(raw, 'cpu', FIELDS.cpu),
});

/** V2_CPU_STAT's scales as numbers, in KEYS' order. */
const SCALES = KEYS.map((key) => Number(V2_CPU_STAT[key][1]));

function fill(raw: RawStats, f: Files): void {
  for (let i = 0; i < KEYS.length; i++) {
    const [target, , field] = V2_CPU_STAT[KEYS[i]!];
    const v = f.value(STAT, i);
    if (v === undefined) raw.absent.add(`cpu.${field}`);
    else raw.cpu[target] = mulExact(v, SCALES[i]!); // exact: no u64 wrap-around (the library's ×1000 would wrap past 2^64 ns)
  }
}
