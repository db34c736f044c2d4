/**
 * The managers' handle caches (DECISIONS Q-6): bounded LRU maps keyed by container / sandbox id, evicted by
 * `remove…CgManager`. CRI-O's caches grow forever and ignore the parent (a reused id got a stale manager); here an
 * entry remembers the parent it was built for and is rebuilt when asked for another one. Lookups are synchronous, so
 * concurrent async callers cannot interleave inside one: no mutex is needed.
 */
export const DEFAULT_CACHE_SIZE = 1024;

interface Entry<V> {
  parent: string;
  value: V;
  /** The caller's argument (e.g. the sbParent as given) that last led to this entry, for getByArg. */
  arg: unknown;
  /** When it was last used (the cache's clock): the least recently used entry has the smallest. */
  used: number;
}

/**
 * A hit stamps the entry with the cache's clock instead of moving it to the end of the map (a delete and a set per hit
 * churned the map's hash table: a rehash every few hundred hits of a full cache); a set past the capacity evicts the
 * entry with the oldest stamp, found by one pass over the map (inserts are rare next to hits: once per container).
 */
export class LruCache<V> {
  private readonly map = new Map<string, Entry<V>>();
  private clock = 0;

  /** `onEvict` is called with every value that leaves the cache (evicted, replaced, rebuilt for another parent,
   * deleted or cleared), e.g. to give back the descriptors it holds. */
  constructor(
    readonly capacity: number = DEFAULT_CACHE_SIZE,
    private readonly onEvict?: (value: V) => void,
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** The entry for key when it was built for this parent (refreshed as most recently used); `arg` is remembered. */
  get(key: string, parent: string, arg?: unknown): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (e.parent !== parent) {
      this.map.delete(key);
      this.onEvict?.(e.value);
      return undefined;
    }
    e.arg = arg;
    e.used = ++this.clock;
    return e.value;
  }

  /**
   * The entry for key when the same argument (a string, compared by value) led to it last time (refreshed as most
   * recently used): the parent it stands for, a pure function of key and argument, need not be computed again.
   */
  getByArg(key: string, arg: string): V | undefined {
    const e = this.map.get(key);
    if (e === undefined || e.arg !== arg || typeof arg !== 'string') return undefined;
    e.used = ++this.clock;
    return e.value;
  }

  set(key: string, parent: string, value: V, arg?: unknown): void {
    const old = this.map.get(key);
    if (old !== undefined) {
      if (old.value !== value) this.onEvict?.(old.value);
      old.parent = parent;
      old.value = value;
      old.arg = arg;
      old.used = ++this.clock;
      return;
    }
    this.map.set(key, { parent, value, arg, used: ++this.clock });
    while (this.map.size > this.capacity) {
      let oldestKey: string | undefined;
      let oldest: Entry<V> | undefined;
      for (const [k, e] of this.map) {
        if (oldest === undefined || e.used < oldest.used) {
          oldestKey = k;
          oldest = e;
        }
      }
      this.map.delete(oldestKey!);
      this.onEvict?.(oldest!.value);
    }
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  delete(key: string): boolean {
    const e = this.map.get(key);
    if (e === undefined) return false;
    this.map.delete(key);
    this.onEvict?.(e.value);
    return true;
  }

  clear(): void {
    const values = [...this.map.values()];
    this.map.clear();
    if (this.onEvict) for (const e of values) this.onEvict(e.value);
  }
}
