/**
 * A rendered exposition body, shared by every response sending it and streamed while it is made: chunks are appended
 * as the renderer (or zlib) hands them on, each follower gets the chunks made so far at once and every later one as
 * it comes, then the end (or the error that stopped the render). A response that arrives after the end gets the
 * whole body with its length. The body keeps its chunks while it is current (later scrapes of the same sweep get
 * them); once freed, its pooled chunks go back to the pool, and any chunk still arriving goes straight back too.
 */
import type { ExpositionFormat } from './render';

export type Encoding = 'identity' | 'gzip';

interface Follower {
  chunk: (c: Buffer) => void;
  end: (err: Error | undefined) => void;
}

export class Body {
  private readonly list: Buffer[] = [];
  /** Bytes appended so far (the whole length once complete). */
  length = 0;
  /** Every chunk is in (or the render failed: see error). */
  complete = false;
  /** Why the render stopped before the end. */
  error: Error | undefined;
  /** Responses sending it. */
  users = 0;
  /** Replaced by a newer sweep's body (freed when users reaches 0). */
  stale = false;
  /** Its chunks went back; nothing reads it any more. */
  freed = false;
  /** Settles (never rejects) with the error or undefined once the body is complete. */
  readonly done: Promise<Error | undefined>;
  private settle!: (err: Error | undefined) => void;
  private readonly followers = new Set<Follower>();

  constructor(
    readonly format: ExpositionFormat,
    readonly encoding: Encoding,
    /** Its chunks come from a pool (plain text) and go back to it through giveBack. */
    readonly pooled: boolean,
    private readonly giveBack: (chunk: Buffer) => void = () => undefined,
  ) {
    this.done = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  /** The chunks so far (all of them once complete). */
  get chunks(): readonly Buffer[] {
    return this.list;
  }

  /** Appends a chunk and hands it to every follower. */
  push(chunk: Buffer): void {
    if (this.freed || this.complete) {
      if (this.pooled) this.giveBack(chunk);
      return;
    }
    this.list.push(chunk);
    this.length += chunk.length;
    for (const f of this.followers) f.chunk(chunk);
  }

  /** No more chunks: the render finished, or failed with err. */
  end(err?: Error): void {
    if (this.complete) return;
    this.complete = true;
    this.error = err;
    const followers = [...this.followers];
    this.followers.clear();
    for (const f of followers) f.end(err);
    this.settle(err);
  }

  /**
   * Calls chunk() with every chunk so far, then with each one as it comes, and end() once complete (at once when it
   * is already). Returns the function that stops following (a response closed early).
   */
  follow(chunk: (c: Buffer) => void, end: (err: Error | undefined) => void): () => void {
    for (const c of this.list) chunk(c);
    if (this.complete) {
      end(this.error);
      return () => undefined;
    }
    const f: Follower = { chunk, end };
    this.followers.add(f);
    return () => {
      this.followers.delete(f);
    };
  }

  /** Gives the chunks back (pooled ones to the pool); the body is not read afterwards. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    if (this.pooled) for (const c of this.list) this.giveBack(c);
    this.list.length = 0;
  }
}
