/**
 * The byte chunks an exposition is rendered into: fixed-size Buffers taken from a pool and given back once sent (or
 * compressed), so a scrape neither builds one whole-exposition string nor allocates a fresh body every time.
 */

/** The size of a chunk: small enough to hand on often, large enough that a text batch nearly always fits. */
export const CHUNK_SIZE = 64 * 1024;

/** Free chunks, reused by the next render. Holds at most maxFree of them (the rest are left to the GC). */
export class ChunkPool {
  private readonly free: Buffer[] = [];
  /** Chunks taken and not given back. */
  out = 0;
  /** The most chunks out at once (how much of a body existed at one time). */
  peak = 0;

  constructor(
    readonly chunkSize = CHUNK_SIZE,
    readonly maxFree = 512,
  ) {}

  /** A chunk of chunkSize bytes (contents undefined). */
  take(): Buffer {
    this.out++;
    if (this.out > this.peak) this.peak = this.out;
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.chunkSize);
  }

  /** Gives back a chunk (or a view starting at its first byte) that nothing reads any more. */
  give(b: Buffer): void {
    if (b.byteOffset !== 0 || b.buffer.byteLength !== this.chunkSize) return;
    this.out--;
    if (this.free.length >= this.maxFree) return;
    this.free.push(b.length === this.chunkSize ? b : Buffer.from(b.buffer, 0, this.chunkSize));
  }

  /** How many free chunks the pool holds. */
  get size(): number {
    return this.free.length;
  }
}

/**
 * Writes text into pool chunks and hands each filled one to `emit` (a view of its written bytes). A text that does
 * not fit in the rest of the current chunk starts the next one (chunks are ≥ chunkSize − the largest text written);
 * one larger than a chunk gets a chunk of its own.
 */
export class ChunkWriter {
  /** The chunk being filled (bytes may be written into it directly: see reserve() and commit()). */
  buf: Buffer;
  /** Where the next byte goes in buf. */
  off = 0;
  /** Bytes written so far. */
  bytes = 0;

  constructor(
    private readonly pool: ChunkPool,
    private readonly emit: (chunk: Buffer) => void,
  ) {
    this.buf = pool.take();
  }

  /** Writes s (UTF-8); `ascii` promises it is all ASCII (then written as latin1: no scan for its byte length). */
  write(s: string, ascii = false): void {
    if (s.length === 0) return;
    const n = ascii ? s.length : Buffer.byteLength(s, 'utf8');
    this.bytes += n;
    if (n > this.buf.length - this.off) {
      this.flush();
      if (n > this.buf.length) {
        this.emit(Buffer.from(s, ascii ? 'latin1' : 'utf8'));
        return;
      }
    }
    this.off += this.buf.write(s, this.off, ascii ? 'latin1' : 'utf8');
  }

  /**
   * Makes room for n bytes in the current chunk (handing it on first when they do not fit): then write them into
   * `buf` from `off` and commit() the new offset. False (nothing done) when n is larger than a chunk: use write().
   */
  reserve(n: number): boolean {
    if (n > this.buf.length - this.off) {
      if (n > this.pool.chunkSize) return false;
      this.flush();
    }
    return true;
  }

  /** The bytes written into buf up to `off` (after a reserve()) are part of the exposition. */
  commit(off: number): void {
    this.bytes += off - this.off;
    this.off = off;
  }

  /** Hands on what is written so far (a section ends here: the next byte starts a new chunk). */
  cut(): void {
    this.flush();
  }

  /** Hands on the current chunk if it holds anything, and takes a fresh one. */
  private flush(): void {
    if (this.off === 0) return;
    const full = this.buf.subarray(0, this.off);
    this.buf = this.pool.take();
    this.off = 0;
    this.emit(full);
  }

  /** Gives the current chunk back unsent; the writer is not used afterwards. */
  abandon(): void {
    this.pool.give(this.buf);
    this.off = 0;
  }

  /** Hands on what is left; the writer is not used afterwards. */
  end(): void {
    this.flush();
    this.pool.give(this.buf);
  }
}
