/**
 * cgroup v2 io (fs2/io.go statIo): `io.stat` lines `MAJ:MIN key=value ...` (not there -> nothing, no error). Per
 * device: rbytes/wbytes -> IoServiceBytesRecursive ("Read"/"Write"), rios/wios -> IoServicedRecursive; other keys are
 * ignored (their values never parsed). Devices come in the order of the file (the library's map order is random);
 * within a device the entries follow the kernel's print order (rbytes, wbytes; rios, wios).
 */
import { CONTROLLERS } from '../types';
import { defineReader, NO_ERRORS, staticFiles } from '../controller';
import { FIELDS, markAbsent, type RawBlkioEntry, type U64 } from '../raw';
import type { Files } from '../row';

// Every key the library recognises (spec §3.2 step 3): a non-numeric value of any of them is a parse error, even of
// the cost.* ones whose tables CRI-O drops; values of other keys (dbytes, dios, cost.vrate, ...) are never parsed.
const KEYS = ['rbytes', 'wbytes', 'rios', 'wios', 'cost.usage', 'cost.wait', 'cost.indebt', 'cost.indelay'] as const;
const PER_DEVICE = 2 + KEYS.length;
/** Devices per cgroup the plan has room for; more are read again with room for all. */
export const IO_STAT_CAP = 32;

const FILES = staticFiles({
  stat: { controller: 'io', name: 'io.stat', format: 'ioStat', keys: [...KEYS], cap: IO_STAT_CAP },
});
const STAT = FILES.n.stat;

export const io = defineReader({
  name: 'io',
  wants: (ctx) => (ctx.mask & CONTROLLERS.io) !== 0,
  files: FILES.files,
  fileNames: FILES.fileNames,
  read(f, raw) {
    if (f.missing(STAT)) {
      markAbsent(raw, 'diskIO', FIELDS.diskIO);
      return NO_ERRORS;
    }
    let src: Files = f;
    if (f.overflow(STAT)) src = f.reread(STAT, f.count(STAT)) ?? f;
    if (!src.ok(STAT)) {
      markAbsent(raw, 'diskIO', FIELDS.diskIO);
      return [src.error(STAT) ?? f.error(STAT)!];
    }
    const bytes: RawBlkioEntry[] = [];
    const ios: RawBlkioEntry[] = [];
    const n = src.count(STAT);
    for (let d = 0; d < n; d++) {
      const base = 1 + d * PER_DEVICE;
      const major = src.value(STAT, base)!;
      const minor = src.value(STAT, base + 1)!;
      const at = (k: number) => src.value(STAT, base + 2 + k);
      const push = (list: RawBlkioEntry[], op: string, v: U64 | undefined) => {
        if (v !== undefined) list.push({ major, minor, op, value: v });
      };
      push(bytes, 'Read', at(0));
      push(bytes, 'Write', at(1));
      push(ios, 'Read', at(2));
      push(ios, 'Write', at(3));
    }
    raw.blkio.ioServiceBytesRecursive = bytes;
    raw.blkio.ioServicedRecursive = ios;
    return NO_ERRORS;
  },
  skip: (raw) => markAbsent(raw, 'diskIO', FIELDS.diskIO),
});
