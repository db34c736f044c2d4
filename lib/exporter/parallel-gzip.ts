/**
 * One gzip stream (RFC 1952, a single member) whose deflate work runs as parts in parallel on libuv's thread pool:
 * each plain chunk is compressed alone by `zlib.deflateRaw` ended with a sync flush (a byte-aligned, non-final block
 * boundary, so the parts concatenate into one valid deflate stream, as pigz does), the parts are emitted in order as
 * they complete, then an empty final block and the trailer: the CRC-32 of the whole text (zlib.crc32, chained over
 * the chunks on the calling thread as they are written) and its length mod 2^32. Each part starts without the
 * previous part's window, which costs a little ratio (parts are ≥ 1 MiB, the window 32 KiB).
 *
 * Sections: the chunks between beginSection() and endSection() are one section, whose CRC-32 and length are kept
 * apart (folded into the stream's with crc32Combine) and whose deflate parts are returned by deflated() once the
 * stream has ended: they are independent of what comes before and after them, so a later stream can put them in
 * again unchanged with reuse() instead of compressing the same text again (scrape-cache.ts).
 */
import * as zlib from 'node:zlib';
import { crc32Combine } from './crc32-combine';
import { gzipHeader, gzipTrailer } from './gzip-member';

/** An empty final fixed-Huffman block: BFINAL=1, BTYPE=01, end-of-block (zlib.deflateRawSync of nothing). */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

interface Part {
  out?: Buffer;
  error?: Error;
}

/** The compressed form of a section: its deflate parts (each sync-flushed), and the CRC-32 and length of its text. */
export interface DeflatedSection {
  readonly parts: readonly Buffer[];
  readonly crc: number;
  readonly length: number;
}

/** A section being written (its parts fill in as they are compressed). */
export interface OpenSection {
  parts: Part[];
  crc: number;
  length: number;
}

export class ParallelGzip {
  /** CRC-32 and length of the text before the current section. */
  private crc = 0;
  private size = 0;
  /** The section the next chunk belongs to (an unnamed one outside beginSection() / endSection()). */
  private section: OpenSection = { parts: [], crc: 0, length: 0 };
  private readonly parts: Part[] = [];
  private inFlight = 0;
  private error: Error | undefined;
  private waiters: Array<() => void> = [];
  private destroyed = false;

  constructor(
    private readonly level: number,
    /** Parts being compressed at once (the render waits while this many are). */
    readonly parallel: number,
    /** Receives the gzip bytes in order. */
    private readonly emit: (chunk: Buffer) => void,
    /** Receives each plain chunk once it is compressed (or the stream is destroyed). */
    private readonly done: (chunk: Buffer) => void,
  ) {
    this.emit(gzipHeader());
  }

  /** As many parts as allowed are being compressed: wait for room() before writing more. */
  get full(): boolean {
    return this.inFlight >= this.parallel;
  }

  /** Settles when a part finishes (or the stream failed or was destroyed). */
  room(): Promise<void> {
    if (!this.full || this.error !== undefined || this.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Compresses a chunk of plain text as the next part (the chunk must not change until done() gets it back). */
  write(chunk: Buffer): void {
    if (this.destroyed || this.error !== undefined) {
      this.done(chunk);
      return;
    }
    const sec = this.section;
    sec.crc = zlib.crc32(chunk, sec.crc);
    sec.length += chunk.length;
    const part: Part = {};
    this.parts.push(part);
    sec.parts.push(part);
    this.inFlight++;
    zlib.deflateRaw(chunk, { level: this.level, finishFlush: zlib.constants.Z_SYNC_FLUSH }, (err, out) => {
      this.inFlight--;
      this.done(chunk);
      if (err) part.error = err;
      else part.out = out;
      this.flush();
      const w = this.waiters;
      this.waiters = [];
      for (const resolve of w) resolve();
    });
  }

  /** Folds the current section into the stream's CRC and length, and starts the next one. */
  private close(): OpenSection {
    const sec = this.section;
    this.crc = crc32Combine(this.crc, sec.crc, sec.length);
    this.size += sec.length;
    this.section = { parts: [], crc: 0, length: 0 };
    return sec;
  }

  /** The chunks written from now until endSection() are one section. */
  beginSection(): void {
    this.close();
  }

  /** Ends the section begun by beginSection(): pass it to deflated() once the stream has ended. */
  endSection(): OpenSection {
    return this.close();
  }

  /**
   * Puts in a section deflated by an earlier stream (its text is not compressed again). Call it where the section's
   * text belongs: between sections, with no chunk written since the last endSection().
   */
  reuse(d: DeflatedSection): void {
    this.close();
    if (this.destroyed || this.error !== undefined) return;
    for (const out of d.parts) this.parts.push({ out });
    this.crc = crc32Combine(this.crc, d.crc, d.length);
    this.size += d.length;
    this.flush();
  }

  /** A section's deflate parts, CRC and length, once every part of it compressed (after end()); else undefined. */
  static deflated(sec: OpenSection): DeflatedSection | undefined {
    const parts: Buffer[] = [];
    for (const p of sec.parts) {
      if (p.out === undefined) return undefined;
      if (p.out.length > 0) parts.push(p.out);
    }
    return { parts, crc: sec.crc, length: sec.length };
  }

  /** Emits the finished parts at the head of the queue, in order. */
  private flush(): void {
    while (this.parts.length > 0) {
      const head = this.parts[0]!;
      if (head.error !== undefined) {
        this.error ??= head.error;
        this.parts.shift();
        continue;
      }
      if (head.out === undefined) return;
      this.parts.shift();
      if (!this.destroyed && this.error === undefined && head.out.length > 0) this.emit(head.out);
    }
  }

  /** Waits for every part, then emits the final block and the trailer. Rejects with a part's error. */
  async end(): Promise<void> {
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.flush();
    if (this.error !== undefined) throw this.error;
    if (this.destroyed) return;
    this.close();
    this.emit(Buffer.concat([FINAL_BLOCK, gzipTrailer(this.crc, this.size)]));
  }

  /** Stops emitting; parts in flight still give their chunks back when they finish. */
  destroy(): void {
    this.destroyed = true;
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }
}
