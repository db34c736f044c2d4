/**
 * cgroup statistics as CRI-O v1.35 computes them (spec §3), read through the native engine.
 *
 *   const s = await stats('/kubepods.slice/…/crio-<id>.scope');            // numbers
 *   const b = statsSync('system.slice', { bigint: true, controllers: ['memory', 'cpu'] });
 *   const all = await statsMany(paths);                                     // one batch, a status per cgroup
 *
 * A single call rejects (throws) on the library's error, with what was read on `err.partial` (DECISIONS Q-18); a batch
 * never fails as a whole.
 */
import { loadBundle } from '../bundle';
loadBundle('hook'); // first (lib/bundle.ts): the modules below then come from the start-up bundle
import type * as HandleModule from './handle';
import { cachedReader, type StatsError, type StatsResult } from './reader';
import type { CgroupStats, StatsOptions } from './types';

export { CONTROLLERS, DEFAULT_CONTROLLERS } from './types';
export type {
  BlkioStatEntry,
  CgroupStats,
  ControllerName,
  CPUStats,
  DiskIOStats,
  HugetlbStats,
  MemoryEvents,
  MemoryStats,
  Num,
  PidsStats,
  PSIData,
  PSIStats,
  StatsOptions,
} from './types';
export { StatsReader, controllerMask, type StatsError, type StatsResult } from './reader';
export { hugePageSizeNames, hugePageSizes } from './hugepages';
export { isMemoryUnlimited, V1_UNLIMITED_MIN } from './convert';
export { nofileSoft } from './process';
// StatsHandle is loaded on first use (a hook's first statsSync does not need it): a getter over a placeholder that
// cjs-module-lexer sees, so `import { StatsHandle } from 'cgmgr/stats'` works from ES modules too.
export declare const StatsHandle: typeof HandleModule.StatsHandle;
export type StatsHandle = HandleModule.StatsHandle;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const handleModule = (): typeof HandleModule => require('./handle') as typeof HandleModule;
// eslint-disable-next-line @typescript-eslint/no-unsafe-member-access -- the placeholder cjs-module-lexer reads
exports.StatsHandle = undefined;
// (A name in a variable: cjs-module-lexer drops an export whose defineProperty getter it cannot read as `return a.b`.)
for (const name of ['StatsHandle'] as const) {
  Object.defineProperty(exports, name, { enumerable: true, configurable: false, get: () => handleModule()[name] });
}

type NumFor<O extends StatsOptions | undefined> = O extends { bigint: true } ? bigint : number;

function unwrap<N extends number | bigint>(r: StatsResult<N>): CgroupStats<N> {
  if (r.ok) return r.stats;
  throw r.error;
}

/** The stats of one cgroup (a path relative to the cgroup root; '' or '/' is the root cgroup). */
export async function stats<O extends StatsOptions | undefined = undefined>(
  path: string,
  options?: O,
): Promise<CgroupStats<NumFor<O>>> {
  const o: StatsOptions = options ?? {};
  const [r] = await cachedReader(o).read([path], { controllers: o.controllers, bigint: o.bigint === true });
  return unwrap(r as StatsResult<NumFor<O>>);
}

/** stats(), on the calling thread. */
export function statsSync<O extends StatsOptions | undefined = undefined>(
  path: string,
  options?: O,
): CgroupStats<NumFor<O>> {
  const o: StatsOptions = options ?? {};
  const [r] = cachedReader(o).readSync([path], { controllers: o.controllers, bigint: o.bigint === true });
  return unwrap(r as StatsResult<NumFor<O>>);
}

/** The stats of many cgroups in one native batch: one result per path, `{ ok, stats }` or `{ ok: false, error }`. */
export async function statsMany<O extends StatsOptions | undefined = undefined>(
  paths: readonly string[],
  options?: O,
): Promise<Array<StatsResult<NumFor<O>>>> {
  const o: StatsOptions = options ?? {};
  return (await cachedReader(o).read(paths, { controllers: o.controllers, bigint: o.bigint === true })) as Array<
    StatsResult<NumFor<O>>
  >;
}

/** statsMany(), on the calling thread. */
export function statsManySync<O extends StatsOptions | undefined = undefined>(
  paths: readonly string[],
  options?: O,
): Array<StatsResult<NumFor<O>>> {
  const o: StatsOptions = options ?? {};
  return cachedReader(o).readSync(paths, { controllers: o.controllers, bigint: o.bigint === true }) as Array<
    StatsResult<NumFor<O>>
  >;
}

export type { StatsError as CgroupStatsError };

/**
 * A held per-cgroup reader for repeated reads of one cgroup (a manager's cached container handle; a hook's poll): its
 * files are read with one pread each on held descriptors. `options` as stats() takes them, less `controllers`/`bigint`
 * (given per read).
 */
export function openStatsHandle(path: string, options: Omit<StatsOptions, 'controllers' | 'bigint'> = {}): StatsHandle {
  return new (handleModule().StatsHandle)(cachedReader(options), path);
}
