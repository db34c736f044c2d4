/**
 * The JavaScript side of a native watch set (native/epoll_watch.h: OomWatch, PidWatch): each watched cgroup under
 * its collector id, which is also the token the native side hands back, found by token and by path; removing one
 * removes its native watch.
 */

/** What a watch table needs of its native watch set. */
export interface NativeWatchSet {
  remove(token: number): boolean;
  close(): void;
}

export class WatchTable<E extends { readonly path: string; readonly id: number }> {
  private readonly byToken = new Map<number, E>();
  private readonly byPath = new Map<string, number>();

  constructor(private readonly watch: NativeWatchSet) {}

  get size(): number {
    return this.byToken.size;
  }

  /** Records an entry whose native watch was added under `entry.id`. */
  set(entry: E): void {
    this.byToken.set(entry.id, entry);
    this.byPath.set(entry.path, entry.id);
  }

  get(token: number): E | undefined {
    return this.byToken.get(token);
  }

  at(path: string): E | undefined {
    const token = this.byPath.get(path);
    return token === undefined ? undefined : this.byToken.get(token);
  }

  /** Forgets the cgroup at `path` and removes its native watch. */
  remove(path: string): void {
    const token = this.byPath.get(path);
    if (token === undefined) return;
    this.byPath.delete(path);
    this.byToken.delete(token);
    this.watch.remove(token);
  }

  /** Closes the native watch set (every descriptor) and forgets everything. */
  close(): void {
    this.watch.close();
    this.byToken.clear();
    this.byPath.clear();
  }
}
