/**
 * cgroup v1 blkio (fs/blkio.go GetStats). Families are tried in order — bfq debug, bfq, cfq, throttle recursive,
 * throttle — and the first whose first file yields entries is used: a first file that is missing, has no data lines
 * (only "Total N") or does not parse (that error is swallowed) moves on to the next family. In the family in use the
 * further files are read in turn: a missing or empty one ends the read without error, a malformed one fails it.
 * CRI-O keeps IoServiceBytesRecursive and IoServicedRecursive only, so the plan holds the files that feed those and
 * the first file of each family; the intermediate files of the bfq-debug and cfq families (sectors, service and wait
 * times, merged, queued, time), whose only effect is to end or fail the read, are read one by one only when their
 * family is the one in use (kernels before 5.0, or CONFIG_BFQ_CGROUP_DEBUG).
 */
import { CONTROLLERS } from '../types';
import type { CgroupError } from '../../errors';
import { defineReader, first, NO_ERRORS } from '../controller';
import { absentBit, FIELDS, markAbsent, type RawBlkioEntry, type RawStats } from '../raw';
import type { FileRef, FileSet, Files } from '../row';

/** Entries per file the plan has room for; more are read again with room for all. */
export const BLKIO_CAP = 64;
/** The op codes of native/parse/parse.h BlkioOp, by the op string they stand for ('' = no op; other = any other). */
export const BLKIO_OP = { '': 0, Read: 1, Write: 2, Sync: 3, Async: 4, Discard: 5, Total: 6, other: 7 } as const;
/** Slots per entry of a blkio file (native kBlkioSlotsPerEntry): major, minor, op code, value; after the count slot. */
export const BLKIO_ENTRY_SLOTS = 4;
const OPS = ['', 'Read', 'Write', 'Sync', 'Async', 'Discard', 'Total'];

type Target = 'ioServicedRecursive' | 'ioServiceBytesRecursive' | undefined;
interface FamilyFile {
  name: string;
  file: string;
  target: Target;
  planned: boolean;
}

const f = (name: string, file: string, target: Target, planned = true): FamilyFile => ({ name, file, target, planned });
const middle = (prefix: string) =>
  [
    'sectors_recursive',
    'io_service_time_recursive',
    'io_wait_time_recursive',
    'io_merged_recursive',
    'io_queued_recursive',
    'time_recursive',
  ].map((n, i) => f(`${prefix}${i}`, n, undefined, i === 0));

/** The families, in the library's order. */
export const FAMILIES: readonly (readonly FamilyFile[])[] = [
  [
    ...middle('bfqDebug').map((x) => ({ ...x, file: `blkio.bfq.${x.file}` })),
    f('bfqServiced', 'blkio.bfq.io_serviced_recursive', 'ioServicedRecursive'),
    f('bfqBytes', 'blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive'),
  ],
  [
    f('bfqServiced', 'blkio.bfq.io_serviced_recursive', 'ioServicedRecursive'),
    f('bfqBytes', 'blkio.bfq.io_service_bytes_recursive', 'ioServiceBytesRecursive'),
  ],
  [
    ...middle('cfq').map((x) => ({ ...x, file: `blkio.${x.file}` })),
    f('cfqServiced', 'blkio.io_serviced_recursive', 'ioServicedRecursive'),
    f('cfqBytes', 'blkio.io_service_bytes_recursive', 'ioServiceBytesRecursive'),
  ],
  [
    f('throttleRecServiced', 'blkio.throttle.io_serviced_recursive', 'ioServicedRecursive'),
    f('throttleRecBytes', 'blkio.throttle.io_service_bytes_recursive', 'ioServiceBytesRecursive'),
  ],
  [
    f('throttleServiced', 'blkio.throttle.io_serviced', 'ioServicedRecursive'),
    f('throttleBytes', 'blkio.throttle.io_service_bytes', 'ioServiceBytesRecursive'),
  ],
];

const spec = (file: string) => ({ controller: 'blkio', name: file, format: 'blkio' as const, cap: BLKIO_CAP });

/** The planned files (each family's files that feed CRI-O and its first file), in the reader's static order. */
function plannedFiles(): FileSet {
  const files: FileSet = {};
  for (const fam of FAMILIES) for (const ff of fam) if (ff.planned) files[ff.name] = spec(ff.file);
  return files;
}
const FILE_NAMES: readonly string[] = Object.freeze(Object.keys(plannedFiles()));
/** How the reader asks for a family file: a planned one by its number, another by name (read once when needed). */
const refOf = (ff: FamilyFile): FileRef => (ff.planned ? FILE_NAMES.indexOf(ff.name) : ff.name);
const REFS: readonly (readonly FileRef[])[] = FAMILIES.map((fam) => fam.map(refOf));
const THROTTLE_SERVICED = FILE_NAMES.indexOf('throttleServiced');
const PSI_BIT = absentBit('diskIO.psi');

/** No entries, no error: the answer of most files, made once. */
const NONE: { readonly entries: null } = Object.freeze({ entries: null });

/** getBlkioStat: entries (null = none: missing file or no data lines) or an error. */
function getBlkioStat(
  files: Files,
  ff: FamilyFile,
  ref: FileRef,
): { entries: RawBlkioEntry[] | null; error?: CgroupError } {
  let src: Files | undefined = ff.planned ? files : files.once(ref, spec(ff.file));
  if (src === undefined || src.missing(ref)) return NONE;
  if (src.overflow(ref)) src = src.reread(ref, src.count(ref)) ?? src;
  if (!src.ok(ref)) return { entries: null, error: src.error(ref) };
  const n = src.count(ref);
  if (n === 0) return NONE;
  const entries: RawBlkioEntry[] = [];
  let other = false;
  for (let j = 0; j < n; j++) {
    const b = 1 + j * BLKIO_ENTRY_SLOTS;
    const code = src.value(ref, b + 2)!;
    if (code === BLKIO_OP.other) other = true;
    entries.push({
      major: src.value(ref, b)!,
      minor: src.value(ref, b + 1)!,
      op: OPS[Number(code)] ?? '',
      value: src.value(ref, b + 3)!,
    });
  }
  // An op the native parser has no code for: take the op strings from the text (same lines, same order).
  if (other) {
    const text = src.text(ref);
    if (text !== undefined) {
      const ops = text
        .split('\n')
        .map((l) => l.split(/[ :]+/).filter(Boolean))
        .filter((fl) => fl.length >= 3)
        .map((fl) => (fl.length === 4 ? fl[2]! : ''));
      if (ops.length === entries.length)
        entries.forEach((e, i) => {
          e.op = ops[i]!;
        });
    }
  }
  return { entries };
}

export const blkio = defineReader({
  name: 'blkio',
  wants: (ctx) => (ctx.mask & CONTROLLERS.io) !== 0,
  files: plannedFiles,
  fileNames: FILE_NAMES,
  read(files, raw) {
    raw.absent.addBit(PSI_BIT);
    if (files.noDir(THROTTLE_SERVICED)) {
      markAbsent(raw, 'diskIO', FIELDS.diskIO);
      return NO_ERRORS;
    }
    if (noFamily(files)) {
      // No blkio statistics file at all (blkio.throttle.* exist on every kernel with the blkio controller).
      markAbsent(raw, 'diskIO', FIELDS.diskIO);
      return NO_ERRORS;
    }
    return readFamilies(files, raw);
  },
  skip: (raw) => markAbsent(raw, 'diskIO', FIELDS.diskIO),
});

/** No family's first file is there (a loop, not a closure per read). */
function noFamily(files: Files): boolean {
  for (let i = 0; i < REFS.length; i++) if (!files.missing(REFS[i]![0]!)) return false;
  return true;
}

function readFamilies(files: Files, raw: RawStats): readonly CgroupError[] {
  for (let k = 0; k < FAMILIES.length; k++) {
    const fam = FAMILIES[k]!;
    for (let i = 0; i < fam.length; i++) {
      const ff = fam[i]!;
      const { entries, error } = getBlkioStat(files, ff, REFS[k]![i]!);
      if (error !== undefined || entries === null) {
        if (i === 0) break; // the first file decides the family: try the next one
        return first(error);
      }
      if (ff.target !== undefined) raw.blkio[ff.target] = entries;
      if (i === fam.length - 1) return NO_ERRORS;
    }
  }
  return NO_ERRORS;
}
