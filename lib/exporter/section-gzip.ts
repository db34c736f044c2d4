/**
 * One gzip stream (RFC 1952, a single member) of sections, made by one async raw deflate stream on libuv's pool: each
 * section ends with a full flush (a byte-aligned block boundary after which nothing refers back: the window is
 * reset), so a section's deflate bytes stand on their own. They are kept (deflated(), once the stream has ended) and a
 * later stream puts them in again with reuse() instead of compressing the same text again (scrape-cache.ts). The
 * CRC-32 and length of each section are kept apart and folded into the trailer's with crc32Combine.
 *
 * The stream's output is handed on in order: deflate output belongs to the oldest section not yet flushed (zlib
 * processes writes in order, and a flush's callback runs before any output of a later write arrives); a reused
 * section's bytes go out when every section before it is out.
 */
import * as zlib from 'node:zlib';
import { crc32Combine } from './crc32-combine';
import { gzipHeader, gzipTrailer } from './gzip-member';
import type { DeflatedSection } from './parallel-gzip';

/** The last bytes of a full (or sync) flush: an empty stored block's LEN and NLEN. */
const FLUSH_MARK = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** A section in output order: being written and compressed, or kept bytes waiting for their turn. */
interface Segment {
  out: Buffer[];
  /** How many of out were emitted. */
  emitted: number;
  crc: number;
  length: number;
  /** Its flush came back (or, for kept bytes, they are in out): nothing more belongs to it. */
  flushed: boolean;
  /** Kept bytes put in by reuse(): emitted, not returned by deflated(). */
  kept: boolean;
  /** Its bytes stand alone: they end with a flush's mark. */
  whole: boolean;
}

/** A section handed back by endSection(): its deflate bytes once the stream has ended. */
export interface SectionRef {
  readonly segment: Segment;
}

const segment = (): Segment => ({
  out: [],
  emitted: 0,
  crc: 0,
  length: 0,
  flushed: false,
  kept: false,
  whole: false,
});

export class SectionGzip {
  /** CRC-32 and length of the text of the sections closed so far. */
  private crc = 0;
  private size = 0;
  /** Sections whose output is not all out yet, oldest first (the current one last). */
  private readonly queue: Segment[] = [];
  /** The section chunks are written to now. */
  private current: Segment;
  private readonly ds: zlib.DeflateRaw;
  private error: Error | undefined;
  private destroyed = false;
  private readonly ended: Promise<void>;

  constructor(
    level: number,
    /** Receives the gzip bytes in order. */
    private readonly emit: (chunk: Buffer) => void,
    /** Receives each plain chunk once it is compressed (or the stream is destroyed). */
    private readonly done: (chunk: Buffer) => void,
  ) {
    this.ds = zlib.createDeflateRaw({ level, chunkSize: 256 * 1024 });
    this.ds.on('data', (d: Buffer) => this.output(d));
    this.ended = new Promise<void>((resolve, reject) => {
      this.ds.once('end', resolve);
      this.ds.on('error', (err) => {
        this.error ??= err;
        reject(err);
      });
    });
    this.ended.catch(() => undefined); // observed by end(); an error while rendering must not be unhandled
    this.emit(gzipHeader());
    this.current = this.open();
  }

  private open(): Segment {
    const s = segment();
    this.queue.push(s);
    return s;
  }

  /** Deflate output: it belongs to the oldest section not flushed (after the last flush: the final block). */
  private output(d: Buffer): void {
    const s = this.queue.find((x) => !x.flushed) ?? this.current;
    s.out.push(d);
    this.drain();
  }

  /** Emits the output of the sections at the head of the queue, in order, as far as it is known to be theirs. */
  private drain(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      while (head.emitted < head.out.length) {
        const b = head.out[head.emitted++]!;
        if (!this.destroyed) this.emit(b);
      }
      if (!head.flushed || head === this.current) return;
      this.queue.shift();
    }
  }

  /** The stream asks to wait before the next write. */
  get full(): boolean {
    return this.ds.writableNeedDrain;
  }

  /** Settles when the stream takes writes again (or failed, or was destroyed). */
  room(): Promise<void> {
    if (!this.full || this.error !== undefined || this.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const go = (): void => {
        this.ds.off('drain', go);
        this.ds.off('error', go);
        this.ds.off('close', go);
        resolve();
      };
      this.ds.once('drain', go);
      this.ds.once('error', go);
      this.ds.once('close', go);
    });
  }

  /** Compresses a chunk of plain text into the current section (the chunk must not change until done() gets it). */
  write(chunk: Buffer): void {
    if (this.destroyed || this.error !== undefined) {
      this.done(chunk);
      return;
    }
    const s = this.current;
    s.crc = zlib.crc32(chunk, s.crc);
    s.length += chunk.length;
    this.ds.write(chunk, () => this.done(chunk));
  }

  /** Ends the current section (a full flush when it holds text) and folds it into the stream's CRC and length. */
  private close(): Segment {
    const s = this.current;
    this.crc = crc32Combine(this.crc, s.crc, s.length);
    this.size += s.length;
    if (s.length === 0) {
      s.flushed = true; // nothing written: no output belongs to it
      s.whole = true;
    } else if (!this.destroyed && this.error === undefined) {
      this.ds.flush(zlib.constants.Z_FULL_FLUSH, () => {
        const last = s.out[s.out.length - 1];
        s.whole = last !== undefined && last.length >= 4 && last.subarray(last.length - 4).equals(FLUSH_MARK);
        s.flushed = true;
        this.drain();
      });
    }
    return s;
  }

  /** The chunks written from now until endSection() are one section. */
  beginSection(): void {
    this.close();
    this.current = this.open();
    this.drain();
  }

  /** Ends the section begun by beginSection(): pass it to deflated() once the stream has ended. */
  endSection(): SectionRef {
    const s = this.close();
    this.current = this.open();
    this.drain();
    return { segment: s };
  }

  /** Puts in a section deflated by an earlier stream, where its text belongs (between sections). */
  reuse(d: DeflatedSection): void {
    this.close();
    if (!this.destroyed && this.error === undefined) {
      const k = segment();
      k.out.push(...d.parts);
      k.crc = d.crc;
      k.length = d.length;
      k.flushed = k.kept = k.whole = true;
      this.queue.push(k);
      this.crc = crc32Combine(this.crc, d.crc, d.length);
      this.size += d.length;
    }
    this.current = this.open();
    this.drain();
  }

  /**
   * A section's deflate bytes (copied into one buffer of their size: the stream's output is sliced from 256 KiB
   * buffers, which a small kept section would otherwise hold on to), CRC and length once the stream has ended;
   * undefined when they do not stand alone.
   */
  static deflated(ref: SectionRef): DeflatedSection | undefined {
    const s = ref.segment;
    if (!s.flushed || !s.whole || s.kept) return undefined;
    const bytes = Buffer.allocUnsafeSlow(s.out.reduce((n, b) => n + b.length, 0));
    let off = 0;
    for (const b of s.out) off += b.copy(bytes, off);
    return { parts: bytes.length > 0 ? [bytes] : [], crc: s.crc, length: s.length };
  }

  /** Ends the stream: the final block, then the trailer. Rejects with the stream's error. */
  async end(): Promise<void> {
    if (this.destroyed) return;
    this.close();
    this.current = this.open(); // the final block's output
    this.ds.end();
    await this.ended;
    if (this.error !== undefined) throw this.error;
    this.current.flushed = true;
    this.drain();
    if (this.destroyed) return;
    this.emit(gzipTrailer(this.crc, this.size));
  }

  /** Stops emitting; chunks being compressed still go back through done(). */
  destroy(): void {
    this.destroyed = true;
    this.ds.destroy();
  }
}
