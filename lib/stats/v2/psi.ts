/**
 * Pressure stall information (fs2/psi.go statPSI): `cpu.pressure`, `memory.pressure`, `io.pressure`. A missing file
 * (kernel < 4.20, CONFIG_PSI off, `cgroup.pressure` 0) or a read failing with EOPNOTSUPP (psi=1 needed) is null, no
 * error. `some`/`full` lines give avg10/avg60/avg300 (floats) and total (µs, u64); a line that is not there stays
 * zero. On a hybrid v1 host the files are read from the unified hierarchy, but only when `psi` is asked for
 * explicitly (CRI-O reports no PSI on v1).
 */
import { CONTROLLERS } from '../types';
import { defineReader, NO_ERRORS, type TypedReader } from '../controller';
import type { RawPSI } from '../raw';
import type { Files } from '../row';

type Resource = 'cpu' | 'memory' | 'io';
const SECTION: Record<Resource, 'cpu' | 'memory' | 'diskIO'> = { cpu: 'cpu', memory: 'memory', io: 'diskIO' };

/** The slots of a psi file (native/parse/parse.h ParsePsi, kPsiSlots): some avg10/60/300, total, then full. */
export const PSI_SLOT = {
  someAvg10: 0,
  someAvg60: 1,
  someAvg300: 2,
  someTotal: 3,
  fullAvg10: 4,
  fullAvg60: 5,
  fullAvg300: 6,
  fullTotal: 7,
} as const;
export const PSI_SLOTS = 8;

function toPSI(f: Files): RawPSI {
  const data = (o: number) => ({
    avg10: f.float('p', o + PSI_SLOT.someAvg10),
    avg60: f.float('p', o + PSI_SLOT.someAvg60),
    avg300: f.float('p', o + PSI_SLOT.someAvg300),
    total: f.value('p', o + PSI_SLOT.someTotal) ?? 0,
  });
  return { some: data(0), full: data(PSI_SLOT.fullAvg10) };
}

function pressure(resource: Resource): TypedReader<'p'> {
  const section = SECTION[resource];
  const absentField = `${section}.psi`;
  return defineReader({
    name: `psi-${resource}`,
    wants: (ctx) => (ctx.mask & CONTROLLERS.psi) !== 0 && (ctx.version === 2 || ctx.layout.unified !== undefined),
    files: (ctx) => ({
      p: { controller: ctx.version === 2 ? resource : 'unified', name: `${resource}.pressure`, format: 'psi' },
    }),
    read(f, raw) {
      const set = (v: RawPSI | null) => {
        if (section === 'cpu') raw.cpu.psi = v;
        else if (section === 'memory') raw.memory.psi = v;
        else raw.blkio.psi = v;
      };
      if (f.ok('p')) {
        set(toPSI(f));
        raw.absent.delete(absentField); // a v1 reader before it marks PSI absent (not in the library's v1 stats)
        return NO_ERRORS;
      }
      raw.absent.add(absentField);
      set(null);
      if (f.missing('p') || f.notSupported('p')) return NO_ERRORS;
      return [f.error('p')!];
    },
    skip: (raw) => raw.absent.add(absentField),
  });
}

export const cpuPressure = pressure('cpu');
export const memoryPressure = pressure('memory');
export const ioPressure = pressure('io');
