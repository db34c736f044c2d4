/**
 * cgroup v1 cpu (fs/cpu.go GetStats): `cpu.stat` (strict key/value; not there -> nothing, no error): nr_periods,
 * nr_throttled, throttled_time (already ns). Usage comes from cpuacct (v1/cpuacct.ts).
 */
import { CONTROLLERS } from '../types';
import { defineReader, first, NO_ERRORS } from '../controller';
import { dottedName, FIELDS, markAbsent } from '../raw';

const KEYS = ['nr_periods', 'nr_throttled', 'throttled_time'] as const;
const TARGET = [
  ['periods', 'throttlingActivePeriods'],
  ['throttledPeriods', 'throttledPeriods'],
  ['throttledTime', 'throttledTime'],
] as const;

export const cpu = defineReader({
  name: 'cpu',
  wants: (ctx) => (ctx.mask & CONTROLLERS.cpu) !== 0,
  files: () => ({ stat: { controller: 'cpu', name: 'cpu.stat', format: 'flatKeyed', keys: [...KEYS] } }),
  read(f, raw) {
    raw.absent.add('cpu.psi');
    if (f.missing('stat')) {
      markAbsent(raw, 'cpu', FIELDS.cpuThrottling);
      return NO_ERRORS;
    }
    for (let i = 0; i < TARGET.length; i++) {
      const [target, field] = TARGET[i]!;
      const v = f.value('stat', i);
      if (v === undefined) raw.absent.add(dottedName('cpu', field));
      else raw.cpu[target] = v;
    }
    if (f.ok('stat')) return NO_ERRORS;
    markAbsent(raw, 'cpu', FIELDS.cpuThrottling);
    return first(f.error('stat'));
  },
  skip: (raw) => markAbsent(raw, 'cpu', FIELDS.cpuThrottling),
});
