/**
 * PidsStats' /proc scan (CRI-O stats_linux.go), over the pids of the cgroup's own cgroup.procs:
 *  - FileDescriptors: Σ entries of /proc/<pid>/fd (a directory that cannot be read contributes 0);
 *  - Sockets: Σ /proc/<pid>/fd/* links whose target starts with "socket" (a link that cannot be read is skipped);
 *  - UlimitsSoft: the soft "Max open files" of /proc/<pid>/limits, overwritten per pid — the last pid read wins, and
 *    a value that does not parse ("unlimited") leaves the previous one (spec Q-12).
 * procRoot stands in for /proc in tests. The sync scan is native (one copy of the fd scan, shared with the collector's
 * process figures); the async one, for batches read off the event loop, uses node:fs's promises.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../native';

export interface ProcessScan {
  fileDescriptors: bigint;
  sockets: bigint;
  ulimitsSoft: bigint;
}

const LABEL = 'Max open files';
const MAXU64 = (1n << 64n) - 1n;

/** The soft "Max open files" of a /proc/<pid>/limits text, or undefined when the line is missing or unparsable. */
export function nofileSoft(limits: string): bigint | undefined {
  // The first line that starts with the label (found without splitting the text into lines).
  let at = limits.startsWith(LABEL) ? 0 : limits.indexOf('\n' + LABEL) + 1;
  if (at === 0 && !limits.startsWith(LABEL)) return undefined;
  at += LABEL.length;
  const end = limits.indexOf('\n', at);
  const line = end < 0 ? limits.slice(at) : limits.slice(at, end);
  const field = line.trim().split(/\s+/)[0] ?? '';
  if (!/^[0-9]+$/.test(field) || BigInt(field) > MAXU64) return undefined;
  return BigInt(field);
}

/** The scan of no process (shared, frozen: callers only read a scan). */
const NO_PROCESS: ProcessScan = Object.freeze({ fileDescriptors: 0n, sockets: 0n, ulimitsSoft: 0n });

/** The native scan's arguments and output, reused by every call (a call fills them and reads them back at once). */
let pidScratch = new Int32Array(16);
const scanOut = new BigUint64Array(5);

/**
 * The scan on the calling thread, in C (native/proc_scan.cc, the collector's fd scan plus the limits line): one
 * transient descriptor per pid's fd directory (getdents64 + readlinkat) and one per limits file.
 */
export function scanProcessesSync(pids: readonly number[] | null, procRoot: string): ProcessScan {
  if (pids === null || pids.length === 0) return NO_PROCESS;
  if (pidScratch.length < pids.length) pidScratch = new Int32Array(Math.max(pids.length, pidScratch.length * 2));
  for (let i = 0; i < pids.length; i++) pidScratch[i] = pids[i]!;
  native.scanProcesses(procRoot, pidScratch, pids.length, scanOut);
  return { fileDescriptors: scanOut[0]!, sockets: scanOut[1]!, ulimitsSoft: scanOut[3] === 1n ? scanOut[2]! : 0n };
}

export async function scanProcesses(pids: readonly number[] | null, procRoot: string): Promise<ProcessScan> {
  const list = pids ?? [];
  // Each pid's fd directory and limits are read concurrently; the fold keeps the pid order (the last pid's limit wins).
  const per = await Promise.all(
    list.map(async (pid) => {
      const fdDir = path.join(procRoot, String(pid), 'fd');
      const names = await fs.promises.readdir(fdDir).catch(() => [] as string[]);
      const links = await Promise.all(names.map((n) => fs.promises.readlink(path.join(fdDir, n)).catch(() => '')));
      const limits = await fs.promises
        .readFile(path.join(procRoot, String(pid), 'limits'), 'utf8')
        .catch(() => undefined);
      return {
        fds: BigInt(names.length),
        sockets: BigInt(links.filter((l) => l.startsWith('socket')).length),
        soft: limits === undefined ? undefined : nofileSoft(limits),
      };
    }),
  );
  const out: ProcessScan = { fileDescriptors: 0n, sockets: 0n, ulimitsSoft: 0n };
  for (const p of per) {
    out.fileDescriptors += p.fds;
    out.sockets += p.sockets;
    if (p.soft !== undefined) out.ulimitsSoft = p.soft;
  }
  return out;
}
