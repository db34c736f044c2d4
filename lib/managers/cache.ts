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
}

export class LruCache<V> {
  private readonly map = new Map<string, Entry<V>>();

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
    this.map.delete(key);
    if (e.parent !== parent) {
      this.onEvict?.(e.value);
      return undefined;
    }
    e.arg = arg;
    this.map.set(key, e);
    return e.value;
  }

  /**
   * The entry for key when the same argument (a string, compared by value) led to it last time (refreshed as most
   * recently used): the parent it stands for, a pure function of key and argument, need not be computed again.
   */
  getByArg(key: string, arg: string): V | undefined {
    const e = this.map.get(key);
    if (e === undefined || e.arg !== arg || typeof arg !== 'string') return undefined;
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  set(key: string, parent: string, value: V, arg?: unknown): void {
    const old = this.map.get(key);
    this.map.delete(key);
    if (old !== undefined && old.value !== value) this.onEvict?.(old.value);
    this.map.set(key, { parent, value, arg });
    while (this.map.size > this.capacity) {
      const [oldest, e] = this.map.entries().next().value as [string, Entry<V>];
      this.map.delete(oldest);
      this.onEvict?.(e.value);
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
