/**
 * Watching a parent cgroup for children: inotify (fs.watch) on the parent's directory in one hierarchy. Existing
 * children are reported at start; a created directory is reported as added, a removed one as removed. Direct
 * children (ChildWatcher: a metrics agent registering containers under a known parent such as a pod), or a whole
 * subtree at any depth (TreeWatcher: Kubernetes pods and containers wherever the node puts them).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CgroupError } from '../errors';
import type { Labels } from './sweep';

/** A failed fs call of a watcher as a CgroupError (code, errno, syscall, path kept), not a raw Error. */
function watchError(err: unknown, dir: string): CgroupError {
  if (err instanceof CgroupError) return err;
  const e = err as NodeJS.ErrnoException;
  const props: ConstructorParameters<typeof CgroupError>[1] = {
    code: e?.code ?? 'ERR_CGROUP_WATCH',
    path: dir,
    cause: err,
  };
  if (typeof e?.errno === 'number') props.errno = e.errno;
  if (typeof e?.syscall === 'string') props.syscall = e.syscall;
  return new CgroupError(`cannot watch ${dir}: ${e?.message ?? String(err)}`, props);
}

export interface WatchOptions {
  /** Labels of a child (path relative to the root, with a leading '/'); default: `{ name: <child's basename> }`. */
  labels?: (path: string) => Labels;
  /** Which children to register (default: all). */
  filter?: (path: string) => boolean;
}

/** What a watcher tells its collector. @internal */
export interface WatchSink {
  add(path: string, labels: Labels): void;
  remove(path: string): void;
  error(err: Error): void;
  closed(w: ChildWatcher): void;
}

export class ChildWatcher {
  readonly parent: string;
  private readonly watcher: fs.FSWatcher;
  private readonly dir: string;
  private readonly known = new Set<string>();
  private open = true;

  /** @internal */
  constructor(
    hierarchyPath: string,
    rel: string,
    private readonly options: WatchOptions,
    private readonly sink: WatchSink,
  ) {
    this.parent = `/${rel}`;
    this.dir = path.join(hierarchyPath, rel);
    // Before: a raw `Error: ENAMETOOLONG` (or ENOENT, ...) escaped from fs.watch (issue 15 item 6).
    try {
      this.watcher = fs.watch(this.dir, { persistent: false }, (_event, name) => {
        if (typeof name === 'string' && name.length > 0) this.check(name);
      });
    } catch (err) {
      throw watchError(err, this.dir);
    }
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(this.dir, { withFileTypes: true }); // after the watch starts: no child is missed
    } catch (err) {
      this.watcher.close();
      throw watchError(err, this.dir);
    }
    this.watcher.on('error', (err) => {
      this.sink.error(watchError(err, this.dir));
      this.close();
    });
    for (const d of entries) if (d.isDirectory()) this.check(d.name);
  }

  private childPath(name: string): string {
    return path.posix.join(this.parent, name);
  }

  private check(name: string): void {
    if (!this.open) return;
    const p = this.childPath(name);
    let isDir = false;
    try {
      isDir = fs.lstatSync(path.join(this.dir, name)).isDirectory();
    } catch {
      isDir = false;
    }
    try {
      if (isDir && !this.known.has(name)) {
        if (this.options.filter && !this.options.filter(p)) return;
        this.known.add(name);
        this.sink.add(p, this.options.labels ? this.options.labels(p) : { name });
      } else if (!isDir && this.known.has(name)) {
        this.known.delete(name);
        this.sink.remove(p);
      }
    } catch (err) {
      this.sink.error(err as Error);
    }
  }

  /** Children currently known. */
  get children(): string[] {
    return [...this.known].map((n) => this.childPath(n));
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.watcher.close();
    this.sink.closed(this);
  }
}

export interface TreeWatchOptions {
  /** Labels of a cgroup (path relative to the root, with a leading '/'); default `{}`. */
  labels?: (path: string) => Labels;
  /** Which cgroups to register (default: all found). */
  filter?: (path: string) => boolean;
  /** Whether to look below a directory (`depth`: components below the watched root, 1 for its children). Default:
   * always. Directories not descended into are neither watched nor scanned. */
  descend?: (path: string, depth: number) => boolean;
  /** Most inotify watches (one per directory descended into). Past it, or when the kernel refuses one (ENOSPC:
   * fs.inotify.max_user_watches; EMFILE: max_user_instances), the watcher warns once and rescans the tree every
   * `rescanIntervalMs` instead. Default 8192. */
  maxWatches?: number;
  /** The fallback rescan period. Default 5000 ms. */
  rescanIntervalMs?: number;
  /** A full rescan this often even while inotify covers the tree (0: never): inotify's queue overflows under a storm
   * of cgroup changes elsewhere in the watched directories, and Node's fs.watch drops the lost events silently.
   * Default 10000 ms. */
  verifyIntervalMs?: number;
}

/** What a tree watcher tells its collector. @internal */
export interface TreeWatchSink {
  add(path: string, labels: Labels): void;
  remove(path: string): void;
  warning(err: Error): void;
  closed(w: TreeWatcher): void;
}

interface Dir {
  watcher: fs.FSWatcher | undefined;
  children: Set<string>;
  registered: boolean;
}

/**
 * Watching a cgroup subtree at any depth: one inotify watch per directory descended into (directories only, never
 * files), a directory created anywhere below is scanned and reported, a removed one is reported with everything below
 * it. Bounded: past `maxWatches` or on ENOSPC/EMFILE from inotify, one warning and a periodic rescan of the whole tree.
 */
export class TreeWatcher {
  readonly root: string;
  private readonly base: string;
  private readonly dirs = new Map<string, Dir>();
  private watches = 0;
  private timer: NodeJS.Timeout | undefined;
  private verifyTimer: NodeJS.Timeout | undefined;
  private open = true;
  /** Why the watcher fell back to rescans (undefined while inotify covers the tree). */
  degraded: string | undefined;

  /** @internal */
  constructor(
    hierarchyPath: string,
    rel: string,
    private readonly options: TreeWatchOptions,
    private readonly sink: TreeWatchSink,
  ) {
    this.root = rel.length === 0 ? '/' : `/${rel}`;
    this.base = hierarchyPath;
    if (!fs.statSync(this.abs(this.root)).isDirectory()) throw new Error(`not a directory: ${this.abs(this.root)}`);
    this.dirs.set(this.root, { watcher: undefined, children: new Set(), registered: false });
    this.watchDir(this.root);
    this.scan(this.root);
    const verify = options.verifyIntervalMs ?? 10000;
    if (verify > 0) {
      this.verifyTimer = setInterval(() => {
        if (this.degraded === undefined) this.rescan(); // degraded: the fallback's own timer rescans
      }, verify);
      this.verifyTimer.unref();
    }
  }

  private abs(p: string): string {
    return path.join(this.base, p);
  }

  private depthOf(p: string): number {
    const r = this.root === '/' ? 0 : this.root.split('/').length - 1;
    return p.split('/').length - 1 - r;
  }

  private descends(p: string): boolean {
    return p === this.root || this.options.descend === undefined || this.options.descend(p, this.depthOf(p));
  }

  private watchDir(p: string): void {
    const d = this.dirs.get(p)!;
    if (d.watcher !== undefined || this.degraded !== undefined) return;
    if (this.watches >= (this.options.maxWatches ?? 8192)) {
      this.degrade(`more than ${this.options.maxWatches ?? 8192} directories to watch (maxWatches)`);
      return;
    }
    try {
      d.watcher = fs.watch(this.abs(p), { persistent: false }, (_event, name) => {
        if (!this.open) return;
        if (typeof name === 'string' && name.length > 0) this.check(p, name);
        else this.scan(p);
      });
      this.watches++;
      d.watcher.on('error', () => {
        // The directory went away (its parent's watch reports it) or the watch broke: let a rescan find out.
        this.unwatch(d);
        if (this.open && fs.existsSync(this.abs(p))) this.scan(p);
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return; // removed meanwhile; the parent's event drops it
      this.degrade(
        `inotify: ${(err as Error).message}${code === 'ENOSPC' ? ' (fs.inotify.max_user_watches)' : code === 'EMFILE' ? ' (fs.inotify.max_user_instances)' : ''}`,
      );
    }
  }

  private unwatch(d: Dir): void {
    if (d.watcher === undefined) return;
    d.watcher.close();
    d.watcher = undefined;
    this.watches--;
  }

  private degrade(reason: string): void {
    if (this.degraded !== undefined) return;
    this.degraded = reason;
    const ms = this.options.rescanIntervalMs ?? 5000;
    // Later, not from inside the constructor: whoever made the watcher has attached its listener by then.
    const warning = new Error(`cgroup watch of ${this.root}: ${reason}; rescanning every ${ms} ms instead`);
    setImmediate(() => {
      if (this.open) this.sink.warning(warning);
    });
    this.timer = setInterval(() => this.rescan(), ms);
    this.timer.unref();
  }

  /** A change of `name` in the directory `parent`. */
  private check(parent: string, name: string): void {
    const p = path.posix.join(parent, name);
    const pd = this.dirs.get(parent);
    if (pd === undefined) return;
    let isDir = false;
    try {
      isDir = fs.lstatSync(this.abs(p)).isDirectory();
    } catch {
      isDir = false;
    }
    if (isDir && !pd.children.has(name)) this.found(parent, name);
    else if (!isDir && pd.children.has(name)) this.lost(parent, name);
  }

  private found(parent: string, name: string): void {
    const p = path.posix.join(parent, name);
    this.dirs.get(parent)!.children.add(name);
    const d: Dir = { watcher: undefined, children: new Set(), registered: false };
    this.dirs.set(p, d);
    if (this.options.filter === undefined || this.options.filter(p)) {
      d.registered = true;
      try {
        this.sink.add(p, this.options.labels ? this.options.labels(p) : {});
      } catch (err) {
        this.sink.warning(err as Error);
      }
    }
    if (this.descends(p)) {
      this.watchDir(p); // before the scan: nothing created in between is missed
      this.scan(p);
    }
  }

  private lost(parent: string, name: string): void {
    const p = path.posix.join(parent, name);
    this.dirs.get(parent)?.children.delete(name);
    const d = this.dirs.get(p);
    if (d === undefined) return;
    for (const c of [...d.children]) this.lost(p, c);
    this.unwatch(d);
    this.dirs.delete(p);
    if (d.registered) this.sink.remove(p);
  }

  /** Reads a directory's children: new ones are found (and scanned), vanished ones lost. */
  private scan(p: string): void {
    const d = this.dirs.get(p);
    if (d === undefined || !this.open) return;
    let names: string[];
    try {
      names = fs
        .readdirSync(this.abs(p), { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        if (p !== this.root) this.lost(path.posix.dirname(p), path.posix.basename(p));
        return;
      }
      this.sink.warning(err as Error);
      return;
    }
    const now = new Set(names);
    for (const c of [...d.children]) if (!now.has(c)) this.lost(p, c);
    for (const c of names) if (!d.children.has(c)) this.found(p, c);
  }

  /** Rescans the whole tree now (the fallback's periodic pass; also useful after a known burst of changes). */
  rescan(): void {
    if (!this.open) return;
    const walk = (p: string): void => {
      if (!this.dirs.has(p)) return;
      if (p === this.root || this.descends(p)) {
        if (this.dirs.get(p)!.watcher === undefined && this.degraded === undefined) this.watchDir(p);
        this.scan(p);
        for (const c of [...(this.dirs.get(p)?.children ?? [])]) walk(path.posix.join(p, c));
      }
    };
    walk(this.root);
  }

  /** Cgroups registered through this watcher. */
  get registered(): string[] {
    return [...this.dirs].filter(([, d]) => d.registered).map(([p]) => p);
  }

  /** inotify watches held (one per directory descended into, at most maxWatches). */
  get watchCount(): number {
    return this.watches;
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.verifyTimer !== undefined) clearInterval(this.verifyTimer);
    for (const d of this.dirs.values()) this.unwatch(d);
    this.sink.closed(this);
  }
}
