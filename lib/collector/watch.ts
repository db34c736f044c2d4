/**
 * Watching a parent cgroup for children: inotify (fs.watch) on the parent's directory in one hierarchy. Existing
 * children are reported at start; a created directory is reported as added, a removed one as removed. Only direct
 * children (cgroups nest, but a metrics agent registers containers under a known parent such as a pod).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CgroupError } from '../errors';
import type { Labels } from './sweep';

/** A failed fs call of a watcher as a CgroupError (code, errno, syscall, path kept), not a raw Error. */
function watchError(err: unknown, dir: string): CgroupError {
  if (err instanceof CgroupError) return err;
  const e = err as NodeJS.ErrnoException;
  const props: ConstructorParameters<typeof CgroupError>[1] = { code: e?.code ?? 'ERR_CGROUP_WATCH', path: dir, cause: err };
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
  constructor(hierarchyPath: string, rel: string, private readonly options: WatchOptions, private readonly sink: WatchSink) {
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
