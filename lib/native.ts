/**
 * Loads the addon (the one place that does) and hands it the error class. Where it looks, in order, is in
 * addon-location.ts (CGMGR_ADDON, the local build, the prebuild); a load failure says what was tried and how to rebuild.
 */
import { existsSync } from 'node:fs';
import { PACKAGE_ROOT, addonCandidates, libc } from './addon-location';
import { CgroupError, sysError } from './errors';

export interface NativeMount {
  mountPoint: string;
  root: string;
  version: 1 | 2;
  controllers: string[];
}

export interface NativeHandleInfo {
  path: string;
  present: boolean[];
  held: boolean[];
  ino: number[];
}

export interface NativePlanFile {
  hierarchy: number;
  name: string;
  format: number;
  keys?: string[];
  cap?: number;
  hold?: boolean;
  tier?: number;
}

export interface NativeEngine {
  open(relPath: string): number;
  close(id: number): boolean;
  info(id: number): NativeHandleInfo | null;
  createPlan(files: NativePlanFile[]): { id: number; slots: number; offsets: number[] };
  freePlan(id: number): boolean;
  read(
    plan: number,
    ids: Uint32Array,
    values: Float64Array | BigUint64Array,
    flags: Uint8Array,
    fileStatus: Int32Array,
    itemStatus: Int32Array,
    sampleMs: Float64Array | undefined,
    asDouble: boolean,
    rowTiers?: Uint8Array,
    keepUnread?: boolean,
  ): NativeFileParseError[] | undefined;
  readAsync(
    plan: number,
    ids: Uint32Array,
    values: Float64Array | BigUint64Array,
    flags: Uint8Array,
    fileStatus: Int32Array,
    itemStatus: Int32Array,
    sampleMs: Float64Array | undefined,
    asDouble: boolean,
    rowTiers?: Uint8Array,
    keepUnread?: boolean,
  ): Promise<NativeFileParseError[] | undefined>;
  readFile(id: number, hierarchy: number, name: string): string;
  readPids(id: number, hierarchy: number, name: string): Int32Array;
  readPidsAsync(id: number, hierarchy: number, name: string): Promise<Int32Array>;
  /** Pairs (file, link): each file read whole, then the link stat'ed, on the pool: [data, length or -errno, inode of
   * the link (-1 gone, -2 not permitted)]. */
  readProcFilesAsync(paths: string[]): Promise<[Uint8Array, Int32Array, Float64Array]>;
  writePids(ids: Uint32Array, pids: Int32Array, hierarchy: number, results: Int32Array): void;
  writePidsAsync(ids: Uint32Array, pids: Int32Array, hierarchy: number, results: Int32Array): Promise<void>;
  usage(): EngineUsage;
  destroy(): void;
}

/** Descriptor use of an engine (its held descriptors against its budget) and of the process (every engine and watcher). */
export interface EngineUsage {
  heldFds: number;
  fdBudget: number;
  handles: number;
  hierarchies: number;
  plans: number;
  processHeldFds: number;
  processFdBudget: number;
  nofileLimit: number;
  fdPressure: boolean;
}

export interface ParseTextResult {
  status: number;
  count: number;
  values: BigUint64Array | Int32Array;
  flags: Uint8Array;
  /** Why the parse failed (a status other than ok). */
  error?: NativeParseError;
}

/** A parser's diagnosis of a failed parse (native/parse/parse.h ParseError). */
export interface NativeParseError {
  /** PARSE_REASON (lib/engine.ts). */
  reason: number;
  /** 1-based line of the token in the file; 0 when there is no position. */
  line: number;
  /** The key whose value failed (flat keyed, PSI, io.stat), `major`/`minor`/`value`, `user`/`system`, or ''. */
  field: string;
  /** The offending bytes as they are in the file, cut to 256 bytes at a UTF-8 boundary. */
  token: Buffer;
  /** The whole token's size (more than token.length when it was cut). */
  tokenSize: number;
}

/** A parse failure of a batch read: which row and plan file. */
export interface NativeFileParseError extends NativeParseError {
  row: number;
  file: number;
}

/** v1 OOM notification: one eventfd per cgroup on memory.oom_control, served by one native thread. */
export interface NativeOomWatch {
  add(dir: string, token: number, ino: number): void;
  remove(token: number): boolean;
  close(): void;
  size(): number;
}

/** Process exits (lib/collector/last-sample.ts): one pidfd per watched process, served by one native thread; each
 * watch is one-shot (the callback gets its token once the process has exited). */
export interface NativePidWatch {
  add(pid: number, token: number): void;
  remove(token: number): boolean;
  close(): void;
  size(): number;
}

export interface NativeAddon {
  init(errorClass: typeof CgroupError, sysError: (errno: number, syscall: string, path?: string) => CgroupError): void;
  Engine: new (paths: string[], fdBudget: number, resolveMode: number) => NativeEngine;
  parseMountinfo(text: string): NativeMount[];
  statfsType(path: string): number;
  parseText(format: string, text: string, keys: string[], cap: number, strict: boolean): ParseTextResult;
  sysinfo(): { totalram: bigint; rawTotalram: bigint; memUnit: number };
  nofileLimit(): { soft: number; hard: number };
  OomWatch: new (callback: (token: number) => void) => NativeOomWatch;
  PidWatch: new (callback: (token: number) => void) => NativePidWatch;
  /** The process figures' /proc scan (native/proc_scan.h): [descriptors, sockets, pids not scanned for want of a
   * descriptor (EMFILE/ENFILE)]. */
  scanProcFds(procRoot: string, pids: Int32Array): Float64Array;
  /** CRI-O's PidsStats /proc scan over pids[0..count) (native/proc_scan.h): out = [descriptors, sockets, soft
   * "Max open files" of the last pid whose line parses, 1 when one did, pids not scanned for want of a descriptor]. */
  scanProcesses(procRoot: string, pids: Int32Array, count: number, out: BigUint64Array): void;
  /** The engine's write side (native/fsops.h): mkdir, rmdir, list child directories, read or write one small file. */
  fsOp(engine: NativeEngine, op: number, hierarchy: number, relPath: string, name: string, data: string): unknown;
  fsOpAsync(
    engine: NativeEngine,
    op: number,
    hierarchy: number,
    relPath: string,
    name: string,
    data: string,
  ): Promise<unknown>;
  CGROUP2_SUPER_MAGIC: number;
  CGROUP_SUPER_MAGIC: number;
}

/** The first line of a load error (dlopen's message names the file and the missing symbol or library). */
function reason(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}

/**
 * Tries the candidates of addon-location.ts in order: CGMGR_ADDON alone when set, else the local build, then the
 * prebuild for this platform, architecture and C library. A candidate that exists but fails to load is reported in
 * one line on stderr when another one follows; when none loads, the error lists every one tried and why.
 */
function load(): NativeAddon {
  const candidates = addonCandidates();
  const failures: string[] = [];
  for (let i = 0; i < candidates.length; i++) {
    const { kind, file } = candidates[i]!;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(file) as NativeAddon;
    } catch (err) {
      const why = existsSync(file) ? reason(err) : 'not found';
      failures.push(`${kind} ${file}: ${why}`);
      const next = candidates[i + 1];
      if (next && why !== 'not found')
        process.stderr.write(`cgmgr: the ${kind} ${file} did not load (${why}); trying the ${next.kind}\n`);
    }
  }
  const explicit = candidates[0]!.kind === 'CGMGR_ADDON';
  throw new CgroupError(
    `cgmgr: could not load the native addon (tried ${failures.join('; ')}).\n` +
      (explicit
        ? "Unset CGMGR_ADDON to use the package's own addon, or point it at a built cgmgr.node."
        : `There is no prebuilt addon for ${process.platform}-${process.arch} (${libc()}) that loads here: build it with ` +
          `\`npm rebuild cgmgr\` (or \`npx node-gyp rebuild\` in ${PACKAGE_ROOT}); that needs python3, make and g++.`),
    { code: 'ERR_CGROUP_ADDON_LOAD' },
  );
}

export const native: NativeAddon = load();
native.init(CgroupError, (errno, syscall, path) => sysError(errno, syscall, path));
