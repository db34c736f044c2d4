/**
 * cgroup v1 cpu (fs/cpu.go GetStats): `cpu.stat` (strict key/value; not there -> nothing, no error): nr_periods,
 * nr_throttled, throttled_time (already ns). Usage comes from cpuacct (v1/cpuacct.ts).
 */
import { CONTROLLERS } from '../types';
import { defineReader, first, NO_ERRORS, staticFiles } from '../controller';
import { absentBit, dottedName, FIELDS, markAbsent } from '../raw';

const KEYS = ['nr_periods', 'nr_throttled', 'throttled_time'] as const;
const TARGET = [
  ['periods', 'throttlingActivePeriods'],
  ['throttledPeriods', 'throttledPeriods'],
  ['throttledTime', 'throttledTime'],
] as const;

const FILES = staticFiles({
  stat: { controller: 'cpu', name: 'cpu.stat', format: 'flatKeyed', keys: [...KEYS] },
});
const STAT = FILES.n.stat;
const PSI_BIT = absentBit('cpu.psi');

export const cpu = defineReader({
  name: 'cpu',
  wants: (ctx) => (ctx.mask & CONTROLLERS.cpu) !== 0,
  files: FILES.files,
  fileNames: FILES.fileNames,
  read(f, raw) {
    raw.absent.addBit(PSI_BIT);
    if (f.missing(STAT)) {
      markAbsent(raw, 'cpu', FIELDS.cpuThrottling);
      return NO_ERRORS;
    }
    for (let i = 0; i < TARGET.length; i++) {
      const [target, field] = TARGET[i]!;
      const v = f.value(STAT, i);
      if (v === undefined) raw.absent.add(dottedName('cpu', field));
      else raw.cpu[target] = v;
    }
    if (f.ok(STAT)) return NO_ERRORS;
    markAbsent(raw, 'cpu', FIELDS.cpuThrottling);
    return first(f.error(STAT));
  },
  skip: (raw) => markAbsent(raw, 'cpu', FIELDS.cpuThrottling),
});
