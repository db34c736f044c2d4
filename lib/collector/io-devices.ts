/**
 * io per device: the same files and the same v1 family search as the io columns (columns.ts) and stats(row).diskIO,
 * kept per device instead of summed — v2 `io.stat` (rbytes, wbytes, rios, wios per `MAJ:MIN` line), v1 the first
 * blkio family whose first file has entries (lib/stats/v1/blkio FAMILIES), its io_service_bytes and io_serviced files'
 * Read and Write entries. Each device becomes one entry of the sweep's `io` VectorStore, keyed by its name
 * (devices.ts). Compiled once per plan; extracting a row allocates nothing once every device has been named.
 */
import { FILE_STATUS, type BatchResult } from '../engine';
import type { PlanKey } from '../stats/controller';
import type { CompiledStats } from '../stats/reader';
import * as v1 from '../stats/v1';
import { BLKIO_ENTRY_SLOTS, BLKIO_OP, FAMILIES } from '../stats/v1/blkio';
import * as v2 from '../stats/v2';
import { cell } from './columns';
import type { DeviceNames } from './devices';
import type { KeyTable, VectorStore } from './vectors';

/** The v2 io.stat keys of IO_COLUMNS, in column order. */
const IO_STAT_KEYS = ['rbytes', 'wbytes', 'rios', 'wios'] as const;

const usable = (s: number | undefined): boolean => s === FILE_STATUS.ok;

export class IoDeviceProgram {
  /** v2: io.stat's file index and first slot, slots per device, the column keys' offsets in a device (-1: none). */
  private v2File = -1;
  private v2Slot = 0;
  private v2Per = 0;
  private readonly v2Keys = new Int32Array(IO_STAT_KEYS.length).fill(-1);
  /** v1: per family (first file, its slot, bytes file, its slot, serviced file, its slot); -1 where not planned. */
  private readonly v1Families: Int32Array;
  private readonly fileCount: number;
  private readonly slots: number;
  private readonly offsets: Int32Array;

  constructor(
    c: CompiledStats,
    readonly version: 1 | 2,
    private readonly devices: DeviceNames,
    private readonly keys: KeyTable,
  ) {
    const plan = c.plan;
    this.fileCount = plan?.files.length ?? 0;
    this.slots = plan?.slots ?? 0;
    this.offsets = Int32Array.from([...(plan?.files ?? []).map((f) => f.offset), this.slots]);
    const locate = (key: PlanKey): [number, number] => {
      const e = c.entries.get(key);
      if (e === undefined || plan === undefined) return [-1, 0];
      return [e.file, plan.files[e.file]!.offset];
    };
    const fams: number[] = [];
    if (version === 2) {
      [this.v2File, this.v2Slot] = locate(v2.io.key.stat);
      const keys = c.entries.get(v2.io.key.stat)?.spec.keys ?? [];
      this.v2Per = 2 + keys.length;
      IO_STAT_KEYS.forEach((k, i) => {
        this.v2Keys[i] = keys.indexOf(k);
      });
    } else {
      for (const fam of FAMILIES) {
        const key = (name: string): PlanKey => `${v1.blkio.name}:${name}` as PlanKey;
        const first = locate(key(fam[0]!.name));
        const bytes = locate(key(fam.find((f) => f.target === 'ioServiceBytesRecursive')!.name));
        const serviced = locate(key(fam.find((f) => f.target === 'ioServicedRecursive')!.name));
        if (first[0] >= 0) fams.push(...first, ...bytes, ...serviced);
      }
    }
    this.v1Families = Int32Array.from(fams);
  }

  /** Whether the plan holds any io file (else no row has devices). */
  get reads(): boolean {
    return this.v2File >= 0 || this.v1Families.length > 0;
  }

  /**
   * Adds row `row`'s devices of BatchResult `r` to `store` (the row being filled). A file listing more devices than
   * the plan holds adds none (as the summed columns: no partial figures; the row reports ERR_CGROUP_CAPACITY).
   */
  extract(r: BatchResult, words: Uint32Array, row: number, store: VectorStore): void {
    if (this.version === 2) this.extractIoStat(r, words, row, store);
    else this.extractBlkio(r, words, row, store);
  }

  private extractIoStat(r: BatchResult, words: Uint32Array, row: number, store: VectorStore): void {
    const f = this.v2File;
    if (f < 0 || !usable(r.fileStatus[row * this.fileCount + f])) return;
    const base = row * this.slots + this.v2Slot;
    const { flags, floats } = r;
    const per = this.v2Per;
    const n = Math.min(cell(flags, words, floats, base), (this.offsets[f + 1]! - this.offsets[f]! - 1) / per);
    const rowStart = store.length;
    for (let d = 0; d < n; d++) {
      const s = base + 1 + d * per;
      const e = store.entry(rowStart, this.keyOf(words[2 * s]!, words[2 * (s + 1)]!));
      for (let k = 0; k < IO_STAT_KEYS.length; k++) {
        const off = this.v2Keys[k]!;
        if (off < 0) continue;
        const x = cell(flags, words, floats, s + 2 + off);
        if (!Number.isNaN(x)) store.values[e * store.width + k] = x;
      }
    }
  }

  private extractBlkio(r: BatchResult, words: Uint32Array, row: number, store: VectorStore): void {
    const fams = this.v1Families;
    const fbase = row * this.fileCount;
    const base = row * this.slots;
    for (let c = 0; c < fams.length; c += 6) {
      const s0 = r.fileStatus[fbase + fams[c]!];
      if (s0 !== FILE_STATUS.ok && s0 !== FILE_STATUS.overflow) continue;
      if (cell(r.flags, words, r.floats, base + fams[c + 1]!) === 0) continue; // no data lines: the next family
      const rowStart = store.length;
      // Both files first: one that overflowed makes the row's devices absent, not partial.
      for (let t = 0; t < 2; t++) {
        const file = fams[c + 2 + 2 * t]!;
        if (file >= 0 && r.fileStatus[fbase + file] === FILE_STATUS.overflow) return;
      }
      for (let t = 0; t < 2; t++) {
        const file = fams[c + 2 + 2 * t]!;
        if (file < 0 || !usable(r.fileStatus[fbase + file])) continue;
        const sa = base + fams[c + 3 + 2 * t]!;
        const n = Math.min(
          cell(r.flags, words, r.floats, sa),
          (this.offsets[file + 1]! - this.offsets[file]! - 1) / BLKIO_ENTRY_SLOTS,
        );
        for (let j = 0; j < n; j++) {
          const s = sa + 1 + j * BLKIO_ENTRY_SLOTS;
          const op = words[2 * (s + 2)]!;
          if ((op !== BLKIO_OP.Read && op !== BLKIO_OP.Write) || words[2 * (s + 2) + 1] !== 0) continue;
          const e = store.entry(rowStart, this.keyOf(words[2 * s]!, words[2 * (s + 1)]!));
          // bytes: read_bytes / write_bytes (columns 0, 1); serviced: read_ops / write_ops (2, 3).
          const col = 2 * t + (op === BLKIO_OP.Read ? 0 : 1);
          const i = e * store.width + col;
          const x = cell(r.flags, words, r.floats, s + 3);
          store.values[i] = Number.isNaN(store.values[i]!) ? x : store.values[i]! + x;
        }
      }
      return;
    }
  }

  private keyOf(major: number, minor: number): number {
    const n = major * 1048576 + minor;
    const k = this.keys.findNumber(n);
    return k >= 0 ? k : this.keys.ofNumber(n, () => this.devices.nameOf(major, minor));
  }
}
