/**
 * The opt-in process figures of a sweep (CollectorOptions.processMetrics; cAdvisor's `process` metrics, which cAdvisor
 * leaves off by default and kubelet turns on): per cgroup, the pids of its own `cgroup.procs` (the cpu hierarchy's on
 * v1, as cAdvisor reads them; not recursive), then per pid the entries of /proc/<pid>/fd (`file_descriptors`) and how
 * many of them are links to `socket:[…]` (`sockets`) — cAdvisor's processStatsFromProcs: a pid whose fd directory
 * cannot be read (exited, or another user's without CAP_SYS_PTRACE) adds nothing, a link that cannot be read is not a
 * socket.
 *
 * The scan runs on the calling thread after the batch read (in collectAsync() too), in C: its cost, a few syscalls
 * per process plus one readlinkat per descriptor, is measured by bench/process-figures.js. A cgroup whose `processes`
 * column says it has no process is not scanned (0 and 0). A cgroup whose cgroup.procs cannot be read (gone meanwhile)
 * has both columns absent.
 */
import type { Engine } from '../engine';
import { native } from '../native';
import { FIELD, FIELD_COUNT, ROW_STATUS } from './layout';
import type { Sweep } from './sweep';

/** Descriptors and sockets of a set of processes. */
export interface ProcessFigures {
  fileDescriptors: number;
  sockets: number;
}

/**
 * cAdvisor's fd and socket count over `pids` (procRoot, an absolute path, stands in for /proc), in C
 * (native/proc_scan.cc: getdents64 and readlinkat on one transient directory descriptor per pid). Undefined when a pid
 * could not be scanned for want of a descriptor (EMFILE/ENFILE: a partial sum would be a wrong number).
 */
export function scanProcessFigures(pids: readonly number[], procRoot: string): ProcessFigures | undefined {
  const r = native.scanProcFds(procRoot, Int32Array.from(pids));
  return r[2]! > 0 ? undefined : { fileDescriptors: r[0]!, sockets: r[1]! };
}

/** Fills the process columns of a collector's sweeps. @internal */
export class ProcessFigureScanner {
  /** The controller whose hierarchy's cgroup.procs lists the pids (cpu, as cAdvisor; else memory, else any). */
  private readonly controller: string;

  constructor(
    private readonly engine: Engine,
    private readonly procRoot: string,
  ) {
    const l = engine.layout;
    this.controller =
      l.version === 2 || l.controllers.has('cpu')
        ? 'cpu'
        : l.controllers.has('memory')
          ? 'memory'
          : ([...l.controllers.keys()][0] ?? 'cpu');
  }

  /** The figures of one registered cgroup (engine handle id), or undefined when its cgroup.procs cannot be read. */
  figuresOf(id: number): ProcessFigures | undefined {
    let pids: number[];
    try {
      pids = this.engine.readPids(id, this.controller);
    } catch {
      return undefined;
    }
    return scanProcessFigures(pids, this.procRoot);
  }

  /** Fills `file_descriptors` and `sockets` of every read row (ok or error) of a sweep; `idOf(row)` is its handle. */
  fill(sweep: Sweep, idOf: (row: number) => number): void {
    const fdCol = FIELD.file_descriptors;
    const sockCol = FIELD.sockets;
    const procCol = FIELD.processes;
    for (let row = 0; row < sweep.rows; row++) {
      const st = sweep.status[row];
      if (st !== ROW_STATUS.ok && st !== ROW_STATUS.error) continue;
      const o = row * FIELD_COUNT;
      // The sweep counted the lines of cgroup.procs: a cgroup without processes has no descriptors to count.
      const empty = sweep.present[o + procCol] === 1 && Number(sweep.values[o + procCol]) === 0;
      const f = empty ? { fileDescriptors: 0, sockets: 0 } : this.figuresOf(idOf(row));
      setColumn(sweep, o + fdCol, f?.fileDescriptors);
      setColumn(sweep, o + sockCol, f?.sockets);
    }
  }
}

function setColumn(sweep: Sweep, i: number, v: number | undefined): void {
  if (sweep.bigint) (sweep.values as BigUint64Array)[i] = v === undefined ? 0n : BigInt(v);
  else (sweep.values as Float64Array)[i] = v === undefined ? NaN : v;
  sweep.present[i] = v === undefined ? 0 : 1;
}
