/**
 * Loads the addon (the one place that does) and hands it the error class. A load failure says what was tried and how
 * to rebuild.
 */
import * as path from 'node:path';
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
}

export interface NativeEngine {
  open(relPath: string): number;
  close(id: number): boolean;
  info(id: number): NativeHandleInfo | null;
  createPlan(files: NativePlanFile[]): { id: number; slots: number; offsets: number[] };
  read(plan: number, ids: Uint32Array, values: Float64Array | BigUint64Array, flags: Uint8Array,
    fileStatus: Int32Array, itemStatus: Int32Array, sampleMs: Float64Array | undefined, asDouble: boolean): void;
  readAsync(plan: number, ids: Uint32Array, values: Float64Array | BigUint64Array, flags: Uint8Array,
    fileStatus: Int32Array, itemStatus: Int32Array, sampleMs: Float64Array | undefined, asDouble: boolean): Promise<void>;
  readFile(id: number, hierarchy: number, name: string): string;
  readPids(id: number, hierarchy: number, name: string): Int32Array;
  writePids(ids: Uint32Array, pids: Int32Array, hierarchy: number, results: Int32Array): void;
  writePidsAsync(ids: Uint32Array, pids: Int32Array, hierarchy: number, results: Int32Array): Promise<void>;
  usage(): { heldFds: number; fdBudget: number; handles: number; hierarchies: number };
  destroy(): void;
}

export interface ParseTextResult {
  status: number;
  count: number;
  values: BigUint64Array | Int32Array;
  flags: Uint8Array;
}

/** v1 OOM notification: one eventfd per cgroup on memory.oom_control, served by one native thread. */
export interface NativeOomWatch {
  add(dir: string, token: number, ino: number): void;
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
  /** The engine's write side (native/fsops.h): mkdir, rmdir, list child directories, read or write one small file. */
  fsOp(engine: NativeEngine, op: number, hierarchy: number, relPath: string, name: string, data: string): unknown;
  fsOpAsync(engine: NativeEngine, op: number, hierarchy: number, relPath: string, name: string, data: string): Promise<unknown>;
  CGROUP2_SUPER_MAGIC: number;
  CGROUP_SUPER_MAGIC: number;
}

const moduleRoot = path.resolve(__dirname, '..');

function load(): NativeAddon {
  // CGMGR_ADDON names a build to use instead (CI loads the cmake-js and sanitizer builds this way).
  const explicit = process.env.CGMGR_ADDON;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if (explicit) return require(path.resolve(explicit)) as NativeAddon;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bindings = require('bindings') as (opts: { bindings: string; module_root: string }) => NativeAddon;
    return bindings({ bindings: 'cgmgr.node', module_root: moduleRoot });
  } catch (err) {
    const tried = explicit ? `CGMGR_ADDON=${explicit}` : `build/Release/cgmgr.node and the other locations 'bindings' searches under ${moduleRoot}`;
    throw new CgroupError(
      `cgmgr: could not load the native addon (tried ${tried}): ${(err as Error).message}\n` +
      `Rebuild it with \`npm rebuild cgmgr\` (or \`npx node-gyp rebuild\` in ${moduleRoot}); it needs python3, make and g++.`,
      { code: 'ERR_CGROUP_ADDON_LOAD', cause: err },
    );
  }
}

export const native: NativeAddon = load();
native.init(CgroupError, (errno, syscall, path) => sysError(errno, syscall, path));
