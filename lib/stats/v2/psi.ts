/**
 * Pressure stall information (fs2/psi.go statPSI): `cpu.pressure`, `memory.pressure`, `io.pressure`. A missing file
 * (kernel < 4.20, CONFIG_PSI off, `cgroup.pressure` 0) or a read failing with EOPNOTSUPP (psi=1 needed) is null, no
 * error. `some`/`full` lines give avg10/avg60/avg300 (floats) and total (µs, u64); a line that is not there stays
 * zero. On a hybrid v1 host the files are read from the unified hierarchy, but only when `psi` is asked for
 * explicitly (CRI-O reports no PSI on v1).
 */
import { CONTROLLERS } from '../types';
import { defineReader, NO_ERRORS, type TypedReader } from '../controller';
import { absentBit } from '../raw';
import type { RawPSI, RawStats } from '../raw';
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

/** The reader's one file, by number (its static file list is ['p']). */
const P = 0;
const FILE_NAMES: readonly string[] = Object.freeze(['p']);

function psiData(f: Files, o: number) {
  return {
    avg10: f.float(P, o + PSI_SLOT.someAvg10),
    avg60: f.float(P, o + PSI_SLOT.someAvg60),
    avg300: f.float(P, o + PSI_SLOT.someAvg300),
    total: f.value(P, o + PSI_SLOT.someTotal) ?? 0,
  };
}

function toPSI(f: Files): RawPSI {
  return { some: psiData(f, 0), full: psiData(f, PSI_SLOT.fullAvg10) };
}

function pressure(resource: Resource): TypedReader<'p'> {
  const section = SECTION[resource];
  const absentField = `${section}.psi`;
  const absent = absentBit(absentField);
  return defineReader({
    name: `psi-${resource}`,
    wants: (ctx) => (ctx.mask & CONTROLLERS.psi) !== 0 && (ctx.version === 2 || ctx.layout.unified !== undefined),
    files: (ctx) => ({
      p: { controller: ctx.version === 2 ? resource : 'unified', name: `${resource}.pressure`, format: 'psi' },
    }),
    fileNames: FILE_NAMES,
    read(f, raw) {
      if (f.ok(P)) {
        setPsi(raw, section, toPSI(f));
        raw.absent.delete(absentField); // a v1 reader before it marks PSI absent (not in the library's v1 stats)
        return NO_ERRORS;
      }
      raw.absent.addBit(absent);
      setPsi(raw, section, null);
      if (f.missing(P) || f.notSupported(P)) return NO_ERRORS;
      return [f.error(P)!];
    },
    skip: (raw) => raw.absent.addBit(absent),
  });
}

function setPsi(raw: RawStats, section: 'cpu' | 'memory' | 'diskIO', v: RawPSI | null): void {
  if (section === 'cpu') raw.cpu.psi = v;
  else if (section === 'memory') raw.memory.psi = v;
  else raw.blkio.psi = v;
}

export const cpuPressure = pressure('cpu');
export const memoryPressure = pressure('memory');
export const ioPressure = pressure('io');
