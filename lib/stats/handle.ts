/**
 * The per-container call: a StatsHandle keeps one cgroup's engine handle open between reads, so its files are read with
 * one pread each on held descriptors (no openat, fstatat or close per call), with the plan compiled once per
 * controller set and the result arrays reused. Each read goes through the same readers and converter as stats()
 * (statsOfRow), so the numbers and errors are the same; only the I/O is cheaper.
 *
 * The async read answers on the calling thread: one cgroup's read is a few dozen microseconds of preads, cheaper than a
 * hop to the thread pool and back (issue 13). A cgroup that vanishes reads as gone (ERR_CGROUP_GONE); the handle then
 * reopens on the next call (the cgroup may have been re-created). Handles are closed by close(), or when the
 * StatsHandle is garbage collected.
 */
import type { BatchResult, Engine } from '../engine';
import { CgroupError } from '../errors';
import { cgroupRelPath } from '../validate';
import type { ReadContext } from './controller';
import { compileStats, statsOfRowIn, type CompiledStats, type StatsReader, type StatsResult } from './reader';
import type { CgroupStats, StatsOptions } from './types';

type NumFor<O> = O extends { bigint: true } ? bigint : number;
type ReadOptions = Pick<StatsOptions, 'controllers' | 'bigint'>;

interface Held {
  engine: Engine;
  id: number | undefined;
}

/**
 * One result (a row of output arrays) per compiled plan, shared by every handle: a read fills it and converts it
 * before returning (synchronously, on the calling thread), so handles never see each other's rows. A result per
 * handle would cost each read a cold ~27 KB of output arrays (a v1 plan has ~3000 slots): measured twice slower.
 */
const sharedResults = new WeakMap<CompiledStats, BatchResult>();

/**
 * The id list of a read, shared by every handle (a read hands it to the engine and is done with it before it returns):
 * a handle keeps no array of its own for the call to touch.
 */
const oneId = new Uint32Array(1);

/** The options of a read without options (one frozen object, not one per call). */
const NO_OPTIONS: ReadOptions = Object.freeze({});

const finalizer = new FinalizationRegistry<Held>((h) => {
  if (h.id !== undefined) h.engine.close(h.id);
});

export class StatsHandle {
  private readonly held: Held;
  private readonly rel: string;
  private lastControllers: StatsOptions['controllers'];
  private lastCompiled: CompiledStats | undefined;
  /** The shared result of lastCompiled's plan (looked up once, not per read). */
  private lastResult: BatchResult | undefined;
  /** What the readers read this cgroup with under lastCompiled (made once per plan, not per read). */
  private lastCtx: ReadContext | undefined;
  private closed = false;

  constructor(
    private readonly reader: StatsReader,
    readonly path: string,
  ) {
    this.rel = cgroupRelPath(path);
    this.held = { engine: reader.engine, id: undefined };
    finalizer.register(this, this.held, this);
  }

  /** The compiled plan for a controller set (the last one is remembered: a caller asks for the same set every time). */
  private compiled(controllers: StatsOptions['controllers']): CompiledStats {
    if (this.lastCompiled !== undefined && this.lastControllers === controllers) return this.lastCompiled;
    const c = compileStats(this.reader.engine, this.reader.context(controllers));
    this.lastControllers = controllers;
    this.lastCompiled = c;
    this.lastCtx = { ...c.ctx, path: this.rel, procRoot: this.reader.procRoot };
    return c;
  }

  /** The result of one read of this cgroup, or undefined when it could not be opened (then the reader's own read). */
  private readResult<N extends number | bigint>(options: ReadOptions): StatsResult<N> {
    if (this.closed) throw new CgroupError('the stats handle is closed', { code: 'ERR_CGROUP_HANDLE_CLOSED' });
    const engine = this.reader.engine;
    const c = this.compiled(options.controllers);
    if (this.held.id === undefined) {
      try {
        this.held.id = engine.open(this.rel);
      } catch {
        // Not there (or not openable): the reader words the error as stats() does.
        return this.reader.readSync([this.path], options)[0] as StatsResult<N>;
      }
    }
    const id = this.held.id;
    if (c.plan === undefined) return this.reader.readSync([this.path], options)[0] as StatsResult<N>;
    let result = this.lastResult;
    if (result === undefined || result.plan !== c.plan) {
      result = sharedResults.get(c);
      if (result === undefined) sharedResults.set(c, (result = engine.result(c.plan, 1, { bigint: true })));
      this.lastResult = result;
    }
    oneId[0] = id;
    engine.readSync(c.plan, oneId, result);
    const r = statsOfRowIn<N>(c, engine, result, 0, id, this.lastCtx!, options.bigint === true, this.path);
    if (result.itemStatus[0] !== 0) {
      // Gone (or re-created under the same name): reopen on the next call.
      engine.close(id);
      this.held.id = undefined;
    }
    return r;
  }

  /** The cgroup's stats, on the calling thread; throws the stats error (with `partial`) as statsSync() does. */
  readSync<O extends ReadOptions | undefined = undefined>(options?: O): CgroupStats<NumFor<O>> {
    const r = this.readResult<NumFor<O>>(options ?? NO_OPTIONS);
    if (r.ok) return r.stats;
    throw r.error;
  }

  /** readSync(), as a promise: answered on the calling thread (a single cgroup's read is shorter than a pool hop). */
  read<O extends ReadOptions | undefined = undefined>(options?: O): Promise<CgroupStats<NumFor<O>>> {
    // Not an async function: one settled promise, no extra ticks for the caller's await.
    try {
      return Promise.resolve(this.readSync(options));
    } catch (e) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what readSync threw, unchanged
      return Promise.reject(e);
    }
  }

  /** Closes the engine handle (its held descriptors). Reads after close() throw ERR_CGROUP_HANDLE_CLOSED. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    finalizer.unregister(this);
    if (this.held.id !== undefined) this.reader.engine.close(this.held.id);
    this.held.id = undefined;
  }
}
