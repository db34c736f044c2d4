/**
 * The managers' handle caches (DECISIONS Q-6): bounded LRU maps keyed by container / sandbox id, evicted by
 * `remove…CgManager`. CRI-O's caches grow forever and ignore the parent (a reused id got a stale manager); here an
 * entry remembers the parent it was built for and is rebuilt when asked for another one. Lookups are synchronous, so
 * concurrent async callers cannot interleave inside one: no mutex is needed.
 */
export const DEFAULT_CACHE_SIZE = 1024;

export class LruCache<V> {
  private readonly map = new Map<string, { parent: string; value: V }>();

  constructor(readonly capacity: number = DEFAULT_CACHE_SIZE) {}

  get size(): number {
    return this.map.size;
  }

  /** The entry for key when it was built for this parent (refreshed as most recently used). */
  get(key: string, parent: string): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    this.map.delete(key);
    if (e.parent !== parent) return undefined;
    this.map.set(key, e);
    return e.value;
  }

  set(key: string, parent: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, { parent, value });
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
    }
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  delete(key: string): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }
}
