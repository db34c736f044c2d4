/**
 * Pressure stall information (fs2/psi.go statPSI): `cpu.pressure`, `memory.pressure`, `io.pressure`. A missing file
 * (kernel < 4.20, CONFIG_PSI off, `cgroup.pressure` 0) or a read failing with EOPNOTSUPP (psi=1 needed) is null, no
 * error. `some`/`full` lines give avg10/avg60/avg300 (floats) and total (µs, u64); a line that is not there stays
 * zero. On a hybrid v1 host the files are read from the unified hierarchy, but only when `psi` is asked for
 * explicitly (CRI-O reports no PSI on v1).
 */
import { CONTROLLERS } from '../types';
import type { ControllerReader } from '../controller';
import type { RawPSI } from '../raw';
import type { Files } from '../row';

type Resource = 'cpu' | 'memory' | 'io';
const SECTION: Record<Resource, 'cpu' | 'memory' | 'diskIO'> = { cpu: 'cpu', memory: 'memory', io: 'diskIO' };

function toPSI(f: Files): RawPSI {
  const data = (o: number) => ({
    avg10: f.float('p', o), avg60: f.float('p', o + 1), avg300: f.float('p', o + 2), total: f.value('p', o + 3) ?? 0n,
  });
  return { some: data(0), full: data(4) };
}

function pressure(resource: Resource): ControllerReader {
  const section = SECTION[resource];
  return {
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
        return [];
      }
      raw.absent.add(`${section}.psi`);
      set(null);
      if (f.missing('p') || f.notSupported('p')) return [];
      return [f.error('p')!];
    },
    skip: (raw) => raw.absent.add(`${section}.psi`),
  };
}

export const cpuPressure = pressure('cpu');
export const memoryPressure = pressure('memory');
export const ioPressure = pressure('io');
