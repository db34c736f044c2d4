/**
 * What the server's scrapes share: one sweep (reused for `maxAgeMs` after it finished, so a scrape storm cannot make
 * the agent sweep in a loop) and, per sweep, one rendered body per format and encoding, sent to every scrape that
 * asks for it while it is current. A body is handed out as soon as its render starts and streams (body.ts): each
 * response sends the chunks made so far and then each one as it comes, so the first bytes leave while the rest is
 * rendered and compressed. A sweep waits for the renders of the previous one to finish, so it never refills the
 * arrays a render is reading. gzip is streamed too: the renderer's chunks are deflated on the thread pool as they fill
 * (with back-pressure) and return to the chunk pool once compressed; the whole plain body never exists.
 * gzip bodies reuse what does not change: each family is a section of deflate bytes of its own (section-gzip.ts: one
 * deflate stream, a full flush after each family; parallel-gzip.ts with gzipParallel > 1),
 * kept per format with the renderer's stamp of its text; a family whose text is unchanged since the last gzip body
 * (the same rows, labels and values: the spec families, start times, counters that did not move) is neither rendered
 * nor compressed again, its kept deflate bytes go into the new body (`gzipReuse`, default on).
 * A body leaves memory (its chunks back to the pool) once it is no longer current and no response is sending it.
 */
import { performance } from 'node:perf_hooks';
import * as os from 'node:os';
import * as zlib from 'node:zlib';
import type { StatsCollector } from '../collector/collector';
import type { Sweep } from '../collector/sweep';
import { Body, type Encoding } from './body';
import { ChunkPool } from './chunks';
import { ParallelGzip } from './parallel-gzip';

const GZIP_INPUT_CHUNK = 1024 * 1024;
/** Render slices of a gzip body: about one zlib job (1 MiB at ~500 MB/s) each. */
const GZIP_SLICE_MS = 2;
import { ExpositionRenderer, type ExpositionFormat, type RenderOptions, type SectionHooks } from './render';
import type { DeflatedSection } from './parallel-gzip';
import { SectionGzip } from './section-gzip';

/** What renderGzipParts needs of a sectioned gzip stream (ParallelGzip, SectionGzip). */
interface SectionedGzip {
  readonly full: boolean;
  room(): Promise<void>;
  write(chunk: Buffer): void;
  beginSection(): void;
  endSection(): unknown;
  reuse(d: DeflatedSection): void;
  end(): Promise<void>;
  destroy(): void;
}

export interface ScrapeCacheOptions extends Omit<RenderOptions, 'format'> {
  /** A finished sweep is served for this long (ms) before the next scrape sweeps again. Default 1000. */
  maxAgeMs?: number;
  /** zlib level of gzip bodies (1 fastest .. 9 smallest). Default 1. */
  gzipLevel?: number;
  /**
   * Deflate parts of a gzip body compressed at once on libuv's thread pool (parallel-gzip.ts: one gzip stream made
   * of 1 MiB parts); 1 = one zlib stream. Default DEFAULT_GZIP_PARALLEL (1).
   */
  gzipParallel?: number;
  /**
   * Reuse the deflate bytes of families whose text did not change since the previous gzip body (each family then is
   * deflated on its own, in parts: ~1–2% larger bodies). Default true; false: one zlib stream of the whole body (with
   * gzipParallel 1), as before.
   */
  gzipReuse?: boolean;
  /** Longest render slice between two yields to the event loop (ms). Default 5 (2 for a gzip body). */
  sliceMs?: number;
  /** Exposition text after the sweep's families of each body (cgmgr's own metrics), made when the body is rendered. */
  trailer?: (format: ExpositionFormat) => string;
}

export { Body, type Encoding };

/**
 * Deflate parts in flight at once by default: 1, one zlib stream. Parts in parallel did not pay on the 2 shared cores
 * measured (bench/scrape.js runs both side by side): the render and the sweep's threads already keep both busy, and
 * the parts cost their CRC on the main thread and ~1.5% of ratio. With idle cores to spare, try the cores (≤ 4).
 */
export const DEFAULT_GZIP_PARALLEL = 1;

/** Parts in flight for a machine's cores when gzip is asked to run in parallel: the cores, at most 4 (libuv's pool). */
export const CORES_GZIP_PARALLEL = Math.max(2, Math.min(4, os.availableParallelism()));

/** Work counters (tests check that 1000 concurrent scrapes cost one sweep and one render). */
export interface ScrapeCounts {
  sweeps: number;
  renders: number;
  compressions: number;
  /** Families of gzip bodies whose kept deflate bytes were reused (not rendered nor compressed again). */
  sectionsReused: number;
  /** Families of gzip bodies rendered and deflated. */
  sectionsDeflated: number;
}

interface Current {
  sweep: Sweep;
  /** When the sweep finished (performance.now()). */
  at: number;
  bodies: Map<string, Body>;
  /** Renders of this sweep in progress (settled when their body is complete). */
  renders: Set<Promise<void>>;
}

export class ScrapeCache {
  readonly counts: ScrapeCounts = { sweeps: 0, renders: 0, compressions: 0, sectionsReused: 0, sectionsDeflated: 0 };
  /** Wall time of the last sweep (s), NaN before the first. */
  lastSweepSeconds = NaN;
  /** 1 MiB chunks: each is one zlib job in the thread pool (a zlib job needs a turn of the event loop to start the
   * next, so small chunks would keep zlib idle while the render runs); at most 64 free ones are kept. */
  readonly pool = new ChunkPool(GZIP_INPUT_CHUNK, 64);
  private readonly renderers = new Map<ExpositionFormat, ExpositionRenderer>();
  private readonly maxAgeMs: number;
  private readonly gzipLevel: number;
  private readonly gzipParallel: number;
  private readonly gzipReuse: boolean;
  /** Per format, the deflate bytes of each family of the last gzip bodies, under the renderer's stamp of its text. */
  private readonly deflated = new Map<ExpositionFormat, Map<number, { stamp: number; section: DeflatedSection }>>();
  private readonly sliceMs: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private current: Current | undefined;
  private closed = false;

  constructor(
    private readonly collector: StatsCollector,
    private readonly options: ScrapeCacheOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 1000;
    this.gzipLevel = options.gzipLevel ?? 1;
    this.gzipParallel = options.gzipParallel ?? DEFAULT_GZIP_PARALLEL;
    this.gzipReuse = options.gzipReuse ?? true;
    this.sliceMs = options.sliceMs;
    // Fails now on bad render options (format, labels, selection), not at the first scrape.
    this.renderer('prometheus');
  }

  private renderer(format: ExpositionFormat): ExpositionRenderer {
    let r = this.renderers.get(format);
    if (r === undefined) {
      r = new ExpositionRenderer({ ...this.options, format }, this.pool);
      this.renderers.set(format, r);
    }
    return r;
  }

  /**
   * The body of the current sweep in this format and encoding (sweeping first when needed), as soon as its render has
   * started: it may still be streaming (see Body.follow; `body.done` settles when it is complete). A sweep serves
   * every scrape that arrived before it finished (scrapes arriving together share it even with maxAgeMs 0), and any
   * scrape up to maxAgeMs after it finished. Pair with release().
   */
  acquire(format: ExpositionFormat, encoding: Encoding): Promise<Body> {
    const asked = performance.now();
    const job = this.queue.then(() => this.bodyFor(format, encoding, asked));
    this.queue = job.catch(() => undefined);
    return job;
  }

  /** A response is done with a body. */
  release(body: Body): void {
    body.users--;
    if (body.users === 0 && body.stale) body.free();
  }

  /** Frees every body not being sent and stops the renders in progress; later acquire() calls fail. */
  close(): void {
    this.closed = true;
    this.retire();
  }

  private retire(): void {
    if (this.current === undefined) return;
    for (const b of this.current.bodies.values()) {
      b.stale = true;
      if (b.users === 0) b.free();
    }
    this.current.bodies.clear();
  }

  private async bodyFor(format: ExpositionFormat, encoding: Encoding, asked: number): Promise<Body> {
    if (this.closed) throw new Error('the metrics server is closed');
    let cur = this.current;
    if (cur === undefined || (cur.at < asked && performance.now() - cur.at > this.maxAgeMs)) {
      // The arrays of the previous sweep are refilled: wait until no render reads them.
      if (cur !== undefined) await Promise.all(cur.renders);
      this.counts.sweeps++;
      const start = performance.now();
      const sweep = await this.collector.collectAsync(cur === undefined ? {} : { into: cur.sweep });
      this.lastSweepSeconds = (performance.now() - start) / 1000;
      if (this.closed) throw new Error('the metrics server is closed');
      this.retire();
      cur = { sweep, at: performance.now(), bodies: new Map(), renders: new Set() };
      this.current = cur;
    }
    const key = `${format}/${encoding}`;
    let body = cur.bodies.get(key);
    if (body === undefined) {
      body = this.startRender(cur, format, encoding, key);
      cur.bodies.set(key, body);
    }
    body.users++;
    return body;
  }

  /** A new body of the sweep, rendering (and compressing) in the background from now on. */
  private startRender(cur: Current, format: ExpositionFormat, encoding: Encoding, key: string): Body {
    const body = new Body(format, encoding, encoding === 'identity', (c) => this.pool.give(c));
    this.counts.renders++;
    const run = encoding === 'gzip' ? this.renderGzip(cur.sweep, body) : this.renderPlain(cur.sweep, body);
    const settled: Promise<void> = run.then(
      () => body.end(this.closed ? new Error('the metrics server is closed') : undefined),
      (err: Error) => body.end(err),
    );
    cur.renders.add(settled);
    void settled.then(() => {
      cur.renders.delete(settled);
      // A failed body is not served again: the next scrape renders anew.
      if (body.error !== undefined && cur.bodies.get(key) === body) cur.bodies.delete(key);
    });
    return body;
  }

  private cancelled(body: Body): () => boolean {
    return () => this.closed || body.freed;
  }

  private async renderPlain(sweep: Sweep, body: Body): Promise<void> {
    await this.renderer(body.format).render(sweep, {
      ...(this.sliceMs === undefined ? {} : { sliceMs: this.sliceMs }),
      trailer: this.options.trailer?.(body.format) ?? '',
      emit: (chunk) => body.push(chunk),
      cancelled: this.cancelled(body),
    });
  }

  private async renderGzip(sweep: Sweep, body: Body): Promise<void> {
    this.counts.compressions++;
    if (this.gzipParallel > 1 || this.gzipReuse) return this.renderGzipParts(sweep, body);
    const gz = zlib.createGzip({
      level: this.gzipLevel,
      chunkSize: 256 * 1024,
      writableHighWaterMark: 4 * GZIP_INPUT_CHUNK,
    } as zlib.ZlibOptions);
    gz.on('data', (c: Buffer) => body.push(c));
    const ended = new Promise<void>((resolve, reject) => {
      gz.once('end', resolve);
      gz.once('error', reject);
    });
    ended.catch(() => undefined); // observed below; an error while rendering must not be unhandled
    const cancelled = this.cancelled(body);
    try {
      await this.renderer(body.format).render(sweep, {
        // Short slices: zlib starts its next 1 MiB job only on a turn of the event loop.
        sliceMs: this.sliceMs ?? GZIP_SLICE_MS,
        trailer: this.options.trailer?.(body.format) ?? '',
        emit: (chunk) => {
          gz.write(chunk, () => this.pool.give(chunk));
        },
        paused: () => gz.writableNeedDrain,
        resume: () =>
          new Promise<void>((resolve) => {
            const done = (): void => {
              gz.off('drain', done);
              gz.off('error', done);
              gz.off('close', done);
              resolve();
            };
            gz.once('drain', done);
            gz.once('error', done);
            gz.once('close', done);
          }),
        cancelled,
      });
      if (cancelled()) {
        gz.destroy();
        return;
      }
      gz.end();
      await ended;
    } catch (err) {
      gz.destroy();
      throw err;
    }
  }

  /**
   * gzip in parts compressed on the pool (gzipParallel at once) while the next chunks render (parallel-gzip.ts); with
   * gzipReuse, one section per family, and the kept deflate bytes of an unchanged family instead of its text.
   */
  private async renderGzipParts(sweep: Sweep, body: Body): Promise<void> {
    // One section stream (one deflate context, a full flush per family) unless parts are asked to run in parallel.
    const emit = (c: Buffer): void => body.push(c);
    const give = (c: Buffer): void => this.pool.give(c);
    const one = this.gzipParallel === 1;
    const gz: SectionedGzip = one
      ? new SectionGzip(this.gzipLevel, emit, give)
      : new ParallelGzip(this.gzipLevel, this.gzipParallel, emit, give);
    const deflated = (open: unknown): DeflatedSection | undefined =>
      one
        ? SectionGzip.deflated(open as Parameters<typeof SectionGzip.deflated>[0])
        : ParallelGzip.deflated(open as Parameters<typeof ParallelGzip.deflated>[0]);
    let kept = this.deflated.get(body.format);
    if (kept === undefined) {
      kept = new Map();
      this.deflated.set(body.format, kept);
    }
    const made: Array<{ index: number; stamp: number; open: unknown }> = [];
    const store = kept;
    const sections: SectionHooks | undefined = !this.gzipReuse
      ? undefined
      : {
          reuse: (index, stamp) => {
            const k = store.get(index);
            if (k === undefined || k.stamp !== stamp) return false;
            gz.reuse(k.section);
            this.counts.sectionsReused++;
            return true;
          },
          begin: () => gz.beginSection(),
          end: (index, stamp) => {
            const open = gz.endSection();
            this.counts.sectionsDeflated++;
            if (stamp === undefined) store.delete(index);
            else made.push({ index, stamp, open });
          },
        };
    const cancelled = this.cancelled(body);
    try {
      await this.renderer(body.format).render(sweep, {
        sliceMs: this.sliceMs ?? GZIP_SLICE_MS,
        trailer: this.options.trailer?.(body.format) ?? '',
        emit: (chunk) => gz.write(chunk),
        paused: () => gz.full,
        resume: () => gz.room(),
        cancelled,
        ...(sections === undefined ? {} : { sections }),
      });
      if (cancelled()) {
        gz.destroy();
        return;
      }
      await gz.end();
    } catch (err) {
      gz.destroy();
      throw err;
    }
    // Every part is compressed now: keep each family's deflate bytes for the next body.
    for (const { index, stamp, open } of made) {
      const section = deflated(open);
      if (section === undefined) store.delete(index);
      else store.set(index, { stamp, section });
    }
  }
}
