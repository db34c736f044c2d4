/**
 * Per-pod network figures (cAdvisor's container_network_* of a pod's infra container): the counters of
 * `/proc/<pid>/net/dev` of one process of the pod — a pid from the pod cgroup's `cgroup.procs`, or from a descendant's
 * (breadth first) — read without entering its network namespace (/proc/<pid>/net is the namespace of that process).
 * Interfaces whose name starts with `lo`, `veth`, `docker` or `nerdctl` are left out, as cAdvisor's isIgnoredDevice.
 *
 * The pid is kept between sweeps while it lives in the same network namespace (the inode of /proc/<pid>/ns/net, read
 * beside each net/dev read): a pid that exited or was reused by a process of another namespace is looked up again
 * from the cgroup. (A process of another uid, without CAP_SYS_PTRACE, hides its ns link: its pid is then kept while
 * it lives, without the namespace check.) No descriptor is held between sweeps (an open net/dev would keep a deleted pod's namespace alive).
 * collect() reads on the calling thread while the sweep is filled: open, read, close of net/dev and a stat of ns/net
 * per pod row. collectAsync() reads the known pids' net/dev and ns/net on the pool while the cgroups are read
 * (prefetch(): one engine job, readProcFilesAsync) and only parses on the JS thread; a pod's first sweep, or one whose
 * process is gone or in another namespace, looks its pid up on the calling thread (lookup(), the rare case).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NativeEngine } from '../native';
import type { KeyTable, VectorStore } from './vectors';

/** A pod row's cached process. @internal */
export interface NetState {
  pid: number;
  /** Inode of its network namespace. */
  ns: number;
  devPath: string;
  nsPath: string;
}

export const newNetState = (): NetState => ({ pid: 0, ns: 0, devPath: '', nsPath: '' });

/** Most cgroup directories a pid is looked for in, per pod and sweep. */
const MAX_DIRS = 64;
/** Most pids of one cgroup.procs tried. */
const MAX_PIDS = 8;
const IGNORED = ['lo', 'veth', 'docker', 'nerdctl'].map((s) => Buffer.from(s, 'latin1'));
/** net/dev's columns kept (of 16 per interface): receive bytes, packets, errs, drop; transmit the same. */
const KEEP = [0, 1, 2, 3, 8, 9, 10, 11];
const COLUMN_OF = new Int8Array(16).fill(-1);
KEEP.forEach((c, i) => {
  COLUMN_OF[c] = i;
});

export interface NetworkCounts {
  /** net/dev reads. */
  reads: number;
  /** Of those, the reads made on the pool (collectAsync's prefetch). */
  offThread: number;
  /** pid look-ups in a pod's cgroups (first sweep of a pod, or its cached pid gone). */
  lookups: number;
}

/** The net/dev files of a sweep's pod rows read on the pool (NetworkReader.prefetch). @internal */
export interface NetPrefetch {
  /** Per row of the sweep: the index of its file, or -1. */
  index: Int32Array;
  /** The pid read for each file (the row's must still be it). */
  pids: Int32Array;
  data: Buffer;
  /** Each file's start in data, its length (or -errno), the inode of its ns/net link (NS_GONE, NS_HIDDEN). */
  start: Int32Array;
  length: Int32Array;
  ino: Float64Array;
}

export class NetworkReader {
  private buf = Buffer.allocUnsafe(16384);
  readonly counts: NetworkCounts = { reads: 0, offThread: 0, lookups: 0 };

  /**
   * @param procRoot Where /proc is.
   * @param cgroupRoot The hierarchy whose cgroup.procs name the pod's processes (v1: memory's; v2: the unified one).
   */
  constructor(
    private readonly procRoot: string,
    private readonly cgroupRoot: string,
    private readonly keys: KeyTable,
  ) {}

  /**
   * Reads, on the pool, net/dev and ns/net of the known pid of each row that has one (`states[row]`): the rows whose
   * pid is not known yet read on the calling thread when filled (read()). Undefined when no row has a known pid.
   */
  async prefetch(engine: NativeEngine, states: ReadonlyArray<NetState | undefined>): Promise<NetPrefetch | undefined> {
    const index = new Int32Array(states.length).fill(-1);
    const paths: string[] = [];
    const pids: number[] = [];
    for (let row = 0; row < states.length; row++) {
      const st = states[row];
      if (st === undefined || st.pid <= 0) continue;
      index[row] = pids.length;
      pids.push(st.pid);
      paths.push(st.devPath, st.nsPath);
    }
    if (pids.length === 0) return undefined;
    const [data, length, ino] = await engine.readProcFilesAsync(paths);
    const start = new Int32Array(length.length);
    let at = 0;
    for (let k = 0; k < length.length; k++) {
      start[k] = at;
      if (length[k]! > 0) at += length[k]!;
    }
    this.counts.reads += length.length;
    this.counts.offThread += length.length;
    return {
      index,
      pids: Int32Array.from(pids),
      data: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
      start,
      length,
      ino,
    };
  }

  /**
   * Adds the pod row's interfaces to `store` (the row being filled); none when the pod has no live process. With
   * `fetched` (collectAsync), the row's net/dev as read on the pool when its pid was still the row's and in the same
   * namespace; else read here.
   */
  read(rel: string, state: NetState, store: VectorStore, fetched?: NetPrefetch, row = -1): void {
    const k = fetched !== undefined && row >= 0 && row < fetched.index.length ? fetched.index[row]! : -1;
    if (k >= 0 && fetched!.pids[k] === state.pid && fetched!.length[k]! >= 0 && fetched!.ino[k] === state.ns) {
      const from = fetched!.start[k]!;
      this.parse(fetched!.data, from, from + fetched!.length[k]!, store);
      return;
    }
    let n = state.pid > 0 && k < 0 ? this.readDev(state.devPath) : -1;
    if (n >= 0 && nsOf(state.nsPath) !== state.ns) n = -1;
    if (n < 0) n = this.lookup(rel, state);
    if (n >= 0) this.parse(this.buf, 0, n, store);
  }

  /** Finds a live process of the pod and reads its net/dev (bytes read), or -1 (state.pid 0). */
  private lookup(rel: string, state: NetState): number {
    this.counts.lookups++;
    state.pid = 0;
    const queue = [path.join(this.cgroupRoot, rel)];
    for (let d = 0; d < queue.length && d < MAX_DIRS; d++) {
      const dir = queue[d]!;
      let procs: string;
      try {
        procs = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'latin1');
      } catch {
        continue; // gone meanwhile
      }
      let tried = 0;
      for (const line of procs.split('\n')) {
        if (!/^[1-9][0-9]*$/.test(line) || tried++ >= MAX_PIDS) continue;
        const devPath = path.join(this.procRoot, line, 'net', 'dev');
        const nsPath = path.join(this.procRoot, line, 'ns', 'net');
        const ns = nsOf(nsPath);
        if (ns === NS_GONE) continue;
        const n = this.readDev(devPath);
        if (n < 0 || nsOf(nsPath) !== ns) continue;
        Object.assign(state, { pid: Number(line), ns, devPath, nsPath });
        return n;
      }
      try {
        for (const e of fs.readdirSync(dir, { withFileTypes: true }))
          if (e.isDirectory()) queue.push(path.join(dir, e.name));
      } catch {
        // gone meanwhile
      }
    }
    return -1;
  }

  /** Reads a net/dev file into the buffer: its length, or -1. */
  private readDev(file: string): number {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      return -1;
    }
    this.counts.reads++;
    try {
      for (;;) {
        let n = 0;
        for (;;) {
          const k = fs.readSync(fd, this.buf, n, this.buf.length - n, n);
          if (k === 0) break;
          n += k;
          if (n === this.buf.length) break;
        }
        if (n < this.buf.length) return n;
        this.buf = Buffer.allocUnsafe(this.buf.length * 2); // many interfaces: read again with room for all
      }
    } catch {
      return -1;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Parses net/dev (two header lines, then `name: 16 counters`) in b[from, n) into entries of the row being filled. */
  private parse(b: Buffer, from: number, n: number, store: VectorStore): void {
    let i = from;
    for (let skip = 0; skip < 2 && i < n; i++) if (b[i] === 10) skip++;
    const rowStart = store.length;
    while (i < n) {
      while (i < n && b[i] === 32) i++;
      const nameStart = i;
      while (i < n && b[i] !== 58 && b[i] !== 10) i++;
      if (i >= n || b[i] !== 58) {
        // no colon: not an interface line
        while (i < n && b[i] !== 10) i++;
        i++;
        continue;
      }
      const nameEnd = i++;
      const e = ignored(b, nameStart, nameEnd) ? -1 : store.entry(rowStart, this.keyOf(b, nameStart, nameEnd));
      for (let col = 0; col < 16; col++) {
        while (i < n && b[i] === 32) i++;
        let x = 0;
        let digits = 0;
        while (i < n && b[i]! >= 48 && b[i]! <= 57) {
          x = x * 10 + (b[i]! - 48);
          i++;
          digits++;
        }
        const c = COLUMN_OF[col]!;
        if (e >= 0 && c >= 0 && digits > 0) store.values[e * store.width + c] = x;
      }
      while (i < n && b[i] !== 10) i++;
      i++;
    }
  }

  /** The key of an interface name in the buffer: by a hash of its bytes, checked against the name (no string made
   * once the name is known). */
  private keyOf(b: Buffer, from: number, to: number): number {
    let h = 0x811c9dc5;
    for (let i = from; i < to; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    const hash = (h >>> 0) * 256 + (to - from);
    const k = this.keys.findNumber(hash);
    if (k >= 0 && sameName(this.keys.names[k]!, b, from, to)) return k;
    const name = b.toString('latin1', from, to);
    return k >= 0 ? this.keys.ofName(name) : this.keys.ofNumber(hash, () => name);
  }
}

function sameName(s: string, b: Buffer, from: number, to: number): boolean {
  if (s.length !== to - from) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== b[from + i]) return false;
  return true;
}

function ignored(b: Buffer, from: number, to: number): boolean {
  for (const p of IGNORED) {
    if (to - from < p.length) continue;
    let k = 0;
    while (k < p.length && b[from + k] === p[k]) k++;
    if (k === p.length) return true;
  }
  return false;
}

/** No such process (or no /proc entry). */
const NS_GONE = -1;
/** The namespace link of a process we may not inspect (EACCES: another uid without CAP_SYS_PTRACE), while its net/dev,
 * world-readable, can still be read: the pid is then kept while it lives, without the namespace check. */
const NS_HIDDEN = -2;

/** The inode of a network namespace link (/proc/<pid>/ns/net), NS_GONE or NS_HIDDEN. */
function nsOf(file: string): number {
  try {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    return st === undefined ? NS_GONE : st.ino;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EACCES' || (err as NodeJS.ErrnoException).code === 'EPERM'
      ? NS_HIDDEN
      : NS_GONE;
  }
}
