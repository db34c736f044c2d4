/**
 * PidsStats' /proc scan (CRI-O stats_linux.go), over the pids of the cgroup's own cgroup.procs:
 *  - FileDescriptors: Σ entries of /proc/<pid>/fd (a directory that cannot be read contributes 0);
 *  - Sockets: Σ /proc/<pid>/fd/* links whose target starts with "socket" (a link that cannot be read is skipped);
 *  - UlimitsSoft: the soft "Max open files" of /proc/<pid>/limits, overwritten per pid — the last pid read wins, and
 *    a value that does not parse ("unlimited") leaves the previous one (spec Q-12).
 * procRoot stands in for /proc in tests.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

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

/** Reused by readSmallFile (grown when a file fills it). */
let limitsBuf = Buffer.allocUnsafe(4096);

/**
 * A small file's text (latin1: /proc/<pid>/limits is ASCII), or undefined when it cannot be read. One read, not
 * readFileSync's read-until-zero: a read that does not fill the buffer has the whole file (a /proc seq file is made
 * whole at offset 0, as the engine reads cgroup files); one that fills it is read again into a larger buffer.
 */
function readSmallFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    for (;;) {
      const n = fs.readSync(fd, limitsBuf, 0, limitsBuf.length, 0);
      if (n < limitsBuf.length) return limitsBuf.toString('latin1', 0, n);
      if (limitsBuf.length >= 1 << 20) return undefined; // no limits file is this big
      limitsBuf = Buffer.allocUnsafe(limitsBuf.length * 4);
    }
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

export function scanProcessesSync(pids: readonly number[] | null, procRoot: string): ProcessScan {
  const out: ProcessScan = { fileDescriptors: 0n, sockets: 0n, ulimitsSoft: 0n };
  if (pids === null || pids.length === 0) return out;
  // pids are integers and procRoot is resolved: plain concatenation makes the same paths as path.join.
  const base = procRoot.endsWith('/') ? procRoot : procRoot + '/';
  for (const pid of pids) {
    const fdDir = `${base}${pid}/fd/`;
    let names: string[] = [];
    try {
      names = fs.readdirSync(fdDir);
    } catch {
      names = [];
    }
    out.fileDescriptors += BigInt(names.length);
    for (const n of names) {
      try {
        if (fs.readlinkSync(fdDir + n).startsWith('socket')) out.sockets++;
      } catch {
        // closed meanwhile: skipped
      }
    }
    const limits = readSmallFile(`${base}${pid}/limits`);
    const soft = limits === undefined ? undefined : nofileSoft(limits);
    if (soft !== undefined) out.ulimitsSoft = soft;
  }
  return out;
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
