/**
 * The stats reader: builds one read plan per (version, controller mask, huge page sizes) from the per-controller
 * readers, reads one or many cgroups through the native engine in one batch, and applies the error policy of spec
 * §3.2 with DECISIONS Q-18:
 *  - v1: the library stops at the first error (controllers in its order: cpuset, memory, cpu, cpuacct, pids, blkio,
 *    hugetlb), CRI-O returns it as is;
 *  - v2: every controller is read and the errors are collected: `error while statting cgroup v2: [e1 e2 ...]`;
 *  - then GetPids (cgroup.procs), whose error fails the call too;
 *  - a cgroup that vanished during the read is an error for that cgroup (ERR_CGROUP_GONE);
 *  - CRI-O throws away what was read; here every error carries the partial result (`err.partial`), and a batch
 *    returns a status per cgroup instead of failing as a whole.
 */
import { join, resolve } from 'node:path';
import { Engine, type BatchResult, type FileSpec, type ReadPlan } from '../engine';
import { CgroupError, invalidArg, sysError } from '../errors';
import { DEFAULT_ROOT } from '../hierarchy';
import { cgroupRelPath } from '../validate';
import { NO_ERRORS, type ControllerReader, type PlanContext, type ReadContext } from './controller';
import { convertTo } from './convert';
import { v2StatsError } from './errors';
import { hugePageSizes } from './hugepages';
import { scanProcesses, scanProcessesSync, type ProcessScan } from './process';
import { newRaw, resetRaw, type RawStats } from './raw';
import { hierarchyMounted, RowRead, type PlanEntry } from './row';
import { CONTROLLERS, DEFAULT_CONTROLLERS, type CgroupStats, type ControllerName, type StatsOptions } from './types';
import type * as V1 from './v1';
import type * as V2 from './v2';

/** A stats error: the library's error, with what was read before it (number or bigint, as asked). */
export interface StatsError<N extends number | bigint = number> extends CgroupError {
  /** The stats that were read, absent fields listed; undefined when nothing could be read (no such cgroup). */
  partial?: CgroupStats<N>;
  /** Every underlying error, in the library's order (v2 collects them; v1 stops at the first). */
  errors: CgroupError[];
}

/** One cgroup of a batch. */
export type StatsResult<N extends number | bigint = number> =
  { path: string; ok: true; stats: CgroupStats<N> } | { path: string; ok: false; error: StatsError<N> };

/** The readers of a version, in the library's order (lib/stats/v1, lib/stats/v2 READERS); only that version's are loaded. */
function readersOf(version: 1 | 2): readonly ControllerReader[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return version === 1 ? (require('./v1') as typeof V1).READERS : (require('./v2') as typeof V2).READERS;
}

/** The mask of a `controllers` option (names or bits); undefined -> what CRI-O reads on that version. */
export function controllerMask(controllers: StatsOptions['controllers'], version: 1 | 2): number {
  if (controllers === undefined) return DEFAULT_CONTROLLERS[version];
  if (typeof controllers === 'number') {
    if (!Number.isInteger(controllers) || controllers < 0)
      throw invalidArg('controllers', controllers, 'must be a mask of CONTROLLERS bits or a list of names');
    return controllers;
  }
  if (!Array.isArray(controllers))
    throw invalidArg('controllers', controllers, 'must be a mask of CONTROLLERS bits or a list of names');
  let mask = 0;
  for (const name of controllers as readonly ControllerName[]) {
    const bit = name === 'blkio' ? CONTROLLERS.io : (CONTROLLERS as Record<string, number>)[name];
    if (bit === undefined)
      throw invalidArg(
        'controllers',
        name,
        `must name controllers among ${[...Object.keys(CONTROLLERS), 'blkio'].join(', ')}`,
      );
    mask |= bit;
  }
  return mask;
}

/**
 * Extra files and keys for a stats plan (the collector's columns). Extra keys are appended after a reader's own keys
 * (`<reader>:<file>` -> keys), so the readers' slot indices do not move; extra files are planned under `extra:<name>`.
 */
export interface PlanExtras {
  keys?: Readonly<Record<string, readonly string[]>>;
  files?: Readonly<Record<string, FileSpec>>;
}

/** A compiled stats plan: the engine plan and where each reader's (and extra) file sits in it. */
export interface CompiledStats {
  plan: ReadPlan | undefined;
  wanted: ControllerReader[];
  skipped: ControllerReader[];
  entries: Map<string, PlanEntry>;
  specs: Map<string, FileSpec>;
  ctx: PlanContext;
  /** Reused by synchronous reads (nothing refers to it once a read returns); grown on demand. */
  syncResult?: BatchResult;
}

const compiledCache = new WeakMap<Engine, Map<string, CompiledStats>>();

function compile(engine: Engine, ctx: PlanContext, extras?: PlanExtras): CompiledStats {
  let cache = compiledCache.get(engine);
  if (!cache) compiledCache.set(engine, (cache = new Map<string, CompiledStats>()));
  const key =
    `${ctx.version}|${ctx.mask}|${ctx.hugePageSizes.join(',')}` +
    (extras === undefined ? '' : `|${JSON.stringify(extras)}`);
  const hit = cache.get(key);
  if (hit) return hit;
  const wanted: ControllerReader[] = [];
  const skipped: ControllerReader[] = [];
  const specs = new Map<string, FileSpec>();
  const planned: Array<[string, FileSpec]> = [];
  for (const r of readersOf(ctx.version)) {
    if (!r.wants(ctx)) {
      skipped.push(r);
      continue;
    }
    wanted.push(r);
    for (const [name, readerSpec] of Object.entries(r.files(ctx))) {
      const k = `${r.name}:${name}`;
      const more = extras?.keys?.[k];
      const spec = more === undefined ? readerSpec : { ...readerSpec, keys: [...(readerSpec.keys ?? []), ...more] };
      specs.set(k, spec);
      if (hierarchyMounted(engine, spec.controller)) planned.push([k, spec]);
    }
  }
  for (const [name, spec] of Object.entries(extras?.files ?? {})) {
    const k = `extra:${name}`;
    specs.set(k, spec);
    if (hierarchyMounted(engine, spec.controller)) planned.push([k, spec]);
  }
  const plan = planned.length > 0 ? engine.plan(planned.map(([, s]) => s)) : undefined;
  const entries = new Map<string, PlanEntry>(planned.map(([k, spec], file) => [k, { file, spec }]));
  const compiled = { plan, wanted, skipped, entries, specs, ctx };
  cache.set(key, compiled);
  return compiled;
}

interface RowOutcome {
  raw: RawStats;
  /** Error of the stats part (v1: the first; v2: every one), then of GetPids (the shared empty one until an error). */
  statErrors: readonly CgroupError[];
  procsErrors: readonly CgroupError[];
  gone: CgroupError | undefined;
}

/** The RowRead of row 0 of a result (a StatsHandle's shared one-row result), reused by the next read of it. */
const rowReads = new WeakMap<BatchResult, RowRead>();

/**
 * A RowRead for one row of a result. Row 0 reuses the one made for this result before when it was for the same
 * compiled plan (a read is synchronous from the native read to the converted stats, so no two reads of one row
 * overlap): a StatsHandle's read then makes no view objects (one per reader). Other rows of a batch get a new one, so a
 * large batch's rows are not kept alive with the result.
 */
function rowReadOf(engine: Engine, c: CompiledStats, result: BatchResult, row: number, id: number): RowRead {
  if (row !== 0) return new RowRead(engine, c.plan!, result, row, id, c.entries, c.specs);
  const rr = rowReads.get(result);
  if (rr !== undefined && rr.entries === c.entries && rr.specs === c.specs && rr.engine === engine) return rr.reuse(id);
  const made = new RowRead(engine, c.plan!, result, 0, id, c.entries, c.specs);
  rowReads.set(result, made);
  return made;
}

function extractRow(
  c: CompiledStats,
  engine: Engine,
  result: BatchResult | undefined,
  row: number,
  id: number,
  ctx: ReadContext,
  raw: RawStats = newRaw(ctx.version),
): RowOutcome {
  for (const r of c.skipped) r.skip(raw);
  const out: RowOutcome = { raw, statErrors: NO_ERRORS, procsErrors: NO_ERRORS, gone: undefined };
  if (result !== undefined && c.plan !== undefined) {
    const rr = rowReadOf(engine, c, result, row, id);
    if (rr.gone) out.gone = result.rowError(row);
    const wanted = c.wanted;
    for (let i = 0; i < wanted.length; i++) {
      const r = wanted[i]!;
      const errs = r.read(rr.view(i, r.name, r.fileNames), raw, ctx);
      if (errs.length === 0) continue;
      if (r.name === 'procs') out.procsErrors = [...out.procsErrors, ...errs];
      else out.statErrors = [...out.statErrors, ...errs];
    }
  } else {
    for (const r of c.wanted) r.skip(raw);
  }
  return out;
}

/** For the collector: compiles (once per engine, context and extras) a stats plan with extra files and keys. */
export function compileStats(engine: Engine, ctx: PlanContext, extras?: PlanExtras): CompiledStats {
  return compile(engine, ctx, extras);
}

/**
 * For the collector: the CgroupStats (or the error) of one row of a batch read with a compiled plan, through the
 * same readers and converter as stats() (the /proc scan only when the mask asks for it).
 */
export function statsOfRow<N extends number | bigint>(
  c: CompiledStats,
  engine: Engine,
  result: BatchResult,
  row: number,
  id: number,
  rel: string,
  procRoot: string,
  bigint: boolean,
  displayPath: string,
): StatsResult<N> {
  return statsOfRowIn<N>(c, engine, result, row, id, { ...c.ctx, path: rel, procRoot }, bigint, displayPath);
}

/** The RawStats statsOfRowIn reuses, by version (a RawStats of one version is never read as the other's). */
const scratchRaw: { 1?: RawStats; 2?: RawStats } = {};

/** statsOfRow with the row's ReadContext made by the caller (a StatsHandle makes it once, not per read). */
export function statsOfRowIn<N extends number | bigint>(
  c: CompiledStats,
  engine: Engine,
  result: BatchResult,
  row: number,
  id: number,
  ctx: ReadContext,
  bigint: boolean,
  displayPath: string,
): StatsResult<N> {
  // The raw stats are converted before this returns, and nothing in between reads another row: one per version serves.
  const raw = resetRaw((scratchRaw[ctx.version] ??= newRaw(ctx.version)));
  const o = extractRow(c, engine, result, row, id, ctx, raw);
  const scan = (c.ctx.mask & CONTROLLERS.process) !== 0 ? scanProcessesSync(o.raw.procs, ctx.procRoot) : emptyScan();
  return finish<N>(o, scan, c.ctx.version, bigint, displayPath);
}

/**
 * Now, in ns: a bigint, or in number mode the double nearest to it (ms × 10^6 in doubles is the exact product rounded
 * once, as Number() of the bigint product rounds it: the same value without two BigInts per call).
 */
function nowNano(bigint: boolean): bigint | number {
  const ms = Date.now();
  return bigint ? BigInt(ms) * 1_000_000n : ms * 1e6;
}

function finish<N extends number | bigint>(
  o: RowOutcome,
  scan: ProcessScan,
  version: 1 | 2,
  bigint: boolean,
  p: string,
): StatsResult<N> {
  const stats = convertTo(o.raw, scan, nowNano(bigint), bigint) as CgroupStats<N>;
  let error: CgroupError | undefined;
  let errors: CgroupError[] | undefined;
  if (o.gone) {
    errors = [o.gone];
    error = version === 2 ? v2StatsError(errors) : o.gone;
  } else if (o.statErrors.length > 0) {
    errors = version === 2 ? [...o.statErrors] : [o.statErrors[0]!];
    error = version === 2 ? v2StatsError(errors) : errors[0];
  } else if (o.procsErrors.length > 0) {
    errors = [o.procsErrors[0]!];
    error = errors[0];
  }
  if (error === undefined || errors === undefined) return { path: p, ok: true, stats };
  const e = error as StatsError<N>;
  e.partial = stats;
  setErrors(e, errors);
  return { path: p, ok: false, error: e };
}

/** `errors` is not enumerable: on v1 it holds the error itself, and a cycle would trip serialisers and inspectors. */
function setErrors(e: CgroupError, errors: CgroupError[]): void {
  Object.defineProperty(e, 'errors', { value: errors, enumerable: false, writable: true, configurable: true });
}

/**
 * The error of a cgroup that could not be opened: nothing was read. When it exists in no hierarchy the library's
 * error is the ENOENT of the cgroup.procs it reads (v2: the pids fallback; v1: GetPids in the devices hierarchy).
 */
function openFailure<N extends number | bigint>(
  engine: Engine,
  err: CgroupError,
  version: 1 | 2,
  rel: string,
  p: string,
): StatsResult<N> {
  if (err.code === 'ERR_INVALID_ARG_VALUE' || err.code === 'ERR_CGROUP_INVALID_PATH') {
    // Not a cgroup path at all: the argument's own error, with nothing read.
    setErrors(err, [err]);
    return { path: p, ok: false, error: err as StatsError<N> };
  }
  let cause = err;
  const h = version === 2 ? engine.layout.hierarchies[0] : engine.layout.controllers.get('devices');
  if (err.code === 'ENOENT' && h !== undefined) {
    cause = sysError(2, 'openat', join(h.path, rel, 'cgroup.procs'), { file: 'cgroup.procs' });
  }
  const e = (version === 2 ? v2StatsError([cause]) : cause) as StatsError<N>;
  setErrors(e, [cause]);
  return { path: p, ok: false, error: e };
}

/**
 * Reads the stats of cgroups of one cgroup root through one engine. Plans are compiled once per controller mask;
 * handles are opened per read and closed after it (a long-lived collector holding handles is the collector's job).
 */
export class StatsReader {
  readonly engine: Engine;
  readonly version: 1 | 2;
  /** The /proc the process scan reads. */
  readonly procRoot: string;
  private readonly sysRoot: string | undefined;
  private readonly sizes: readonly string[] | undefined;

  constructor(options: Omit<StatsOptions, 'controllers' | 'bigint'> & { engine?: Engine } = {}) {
    this.engine = options.engine ?? cachedEngine(options.root, options.version, options.mountinfo);
    this.version = options.version ?? this.engine.layout.version;
    this.procRoot = resolve(options.procRoot ?? '/proc');
    this.sysRoot = options.sysRoot;
    this.sizes = options.hugePageSizes;
  }

  /** What a plan for `controllers` is built for (lib/stats/handle uses it too). */
  context(controllers: StatsOptions['controllers']): PlanContext {
    const mask = controllerMask(controllers, this.version);
    return {
      version: this.version,
      layout: this.engine.layout,
      mask,
      // Only the hugetlb readers use them: a read without hugetlb does not look for them (a hook's start).
      hugePageSizes:
        (mask & CONTROLLERS.hugetlb) === 0
          ? []
          : (this.sizes ?? hugePageSizes(this.sysRoot === undefined ? {} : { sysRoot: this.sysRoot })),
    };
  }

  // Opens every path; a bad path or a cgroup that cannot be opened is that item's failure, never the batch's.
  private open(paths: readonly string[]): { rel: string[]; ids: number[]; failures: Map<number, CgroupError> } {
    if (!Array.isArray(paths)) throw invalidArg('paths', paths, 'must be an array of cgroup paths');
    const rel: string[] = [];
    const ids: number[] = [];
    const failures = new Map<number, CgroupError>();
    paths.forEach((p, i) => {
      try {
        const r = cgroupRelPath(p, `paths[${i}]`);
        rel.push(r);
        ids.push(this.engine.open(r));
      } catch (e) {
        if (!(e instanceof CgroupError)) throw e;
        if (rel.length === i) rel.push(typeof p === 'string' ? p : String(p));
        failures.set(i, e);
        ids.push(0);
      }
    });
    return { rel, ids, failures };
  }

  private close(ids: number[], failures: Map<number, CgroupError>): void {
    ids.forEach((id, i) => {
      if (!failures.has(i)) this.engine.close(id);
    });
  }

  private outcomes(
    c: CompiledStats,
    result: BatchResult | undefined,
    rel: string[],
    live: number[],
    ids: number[],
  ): RowOutcome[] {
    return live.map((i, row) =>
      extractRow(c, this.engine, result, row, ids[i]!, { ...c.ctx, path: rel[i]!, procRoot: this.procRoot }),
    );
  }

  /** Reads many cgroups in one batch, synchronously: one result per path, in order. */
  readSync<B extends boolean = false>(
    paths: readonly string[],
    options: { controllers?: StatsOptions['controllers']; bigint?: B } = {},
  ): Array<StatsResult<B extends true ? bigint : number>> {
    type N = B extends true ? bigint : number;
    const c = compile(this.engine, this.context(options.controllers));
    const { rel, ids, failures } = this.open(paths);
    try {
      const live = ids.map((_, i) => i).filter((i) => !failures.has(i));
      let result: BatchResult | undefined;
      if (c.plan !== undefined && live.length > 0) {
        if (c.syncResult === undefined || c.syncResult.rows < live.length) {
          c.syncResult = this.engine.result(c.plan, Math.max(live.length, 8), { bigint: true });
        }
        result = this.engine.readSync(
          c.plan,
          live.map((i) => ids[i]!),
          c.syncResult,
        );
      }
      const outs = this.outcomes(c, result, rel, live, ids);
      const byIndex = new Map(live.map((i, row) => [i, outs[row]!]));
      const wantsScan = (c.ctx.mask & CONTROLLERS.process) !== 0;
      return rel.map((r, i) => {
        const f = failures.get(i);
        if (f) return openFailure<N>(this.engine, f, this.version, r, String(paths[i]));
        const o = byIndex.get(i)!;
        const scan = wantsScan ? scanProcessesSync(o.raw.procs, this.procRoot) : emptyScan();
        return finish<N>(o, scan, this.version, options.bigint === true, String(paths[i] ?? r));
      });
    } finally {
      this.close(ids, failures);
    }
  }

  /** Reads many cgroups in one batch off the event loop (one worker for the batch): one result per path, in order. */
  async read<B extends boolean = false>(
    paths: readonly string[],
    options: { controllers?: StatsOptions['controllers']; bigint?: B } = {},
  ): Promise<Array<StatsResult<B extends true ? bigint : number>>> {
    type N = B extends true ? bigint : number;
    const c = compile(this.engine, this.context(options.controllers));
    const { rel, ids, failures } = this.open(paths);
    try {
      const live = ids.map((_, i) => i).filter((i) => !failures.has(i));
      let result: BatchResult | undefined;
      if (c.plan !== undefined && live.length > 0) {
        result = await this.engine.read(
          c.plan,
          live.map((i) => ids[i]!),
          this.engine.result(c.plan, live.length, { bigint: true }),
        );
      }
      const outs = this.outcomes(c, result, rel, live, ids);
      const wantsScan = (c.ctx.mask & CONTROLLERS.process) !== 0;
      const scans = await Promise.all(
        outs.map((o) => (wantsScan ? scanProcesses(o.raw.procs, this.procRoot) : Promise.resolve(emptyScan()))),
      );
      const byIndex = new Map(live.map((i, row) => [i, row]));
      return rel.map((r, i) => {
        const f = failures.get(i);
        if (f) return openFailure<N>(this.engine, f, this.version, r, String(paths[i]));
        const row = byIndex.get(i)!;
        return finish<N>(outs[row]!, scans[row]!, this.version, options.bigint === true, String(paths[i] ?? r));
      });
    } finally {
      this.close(ids, failures);
    }
  }
}

/** The scan of no process (shared: the converter only reads it). */
const EMPTY_SCAN: ProcessScan = Object.freeze({ fileDescriptors: 0n, sockets: 0n, ulimitsSoft: 0n });

function emptyScan(): ProcessScan {
  return EMPTY_SCAN;
}

const engines = new Map<string, Engine>();

/**
 * One engine per (root, version, mountinfo) for the process functions (stats, statsSync, statsMany): discovery and
 * plans are paid once. Everything that decides the layout is in the key, so two roots (or two mount tables of one
 * root) never share an engine. Managers and their handles use their context's own engine instead.
 */
export function cachedEngine(root: string | undefined, version: 1 | 2 | undefined, mountinfo?: string): Engine {
  const r = resolve(root ?? DEFAULT_ROOT);
  const key = JSON.stringify([r, version ?? null, mountinfo === undefined ? null : resolve(mountinfo)]);
  let engine = engines.get(key);
  if (!engine) {
    engine = new Engine({
      root: r,
      ...(version === undefined ? {} : { version }),
      ...(mountinfo === undefined ? {} : { mountinfo }),
    });
    engines.set(key, engine);
  }
  return engine;
}

const readers = new Map<string, StatsReader>();

/** One StatsReader per (root, version, mountinfo, procRoot, sysRoot, huge page sizes). */
export function cachedReader(options: StatsOptions): StatsReader {
  const key = JSON.stringify([
    resolve(options.root ?? DEFAULT_ROOT),
    options.version ?? null,
    options.mountinfo ?? null,
    options.procRoot ?? null,
    options.sysRoot ?? null,
    options.hugePageSizes ?? null,
  ]);
  let reader = readers.get(key);
  if (!reader) {
    reader = new StatsReader(options);
    readers.set(key, reader);
  }
  return reader;
}
