/**
 * `--root DIR` must be a cgroup root: a cgroup filesystem (cgroup or cgroup2), a directory whose subdirectories are
 * cgroup mounts (the tmpfs at /sys/fs/cgroup of a v1 or hybrid host), or a recorded tree (a v2 tree has
 * cgroup.controllers or cgroup.procs at its top; a v1 tree has directories named after v1 controllers). Anything
 * else (a typo, a home directory) is refused before a command walks it as if it were cgroups.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './io';

const CGROUP_SUPER_MAGIC = 0x27e0eb;
const CGROUP2_SUPER_MAGIC = 0x63677270;
/** Directory names of v1 hierarchies (co-mounted ones are these joined by commas, e.g. "cpu,cpuacct"). */
const V1_NAMES = new Set([
  'blkio',
  'cpu',
  'cpuacct',
  'cpuset',
  'devices',
  'freezer',
  'hugetlb',
  'memory',
  'misc',
  'net_cls',
  'net_prio',
  'perf_event',
  'pids',
  'rdma',
  'systemd',
  'unified',
  'name=systemd',
]);

function isCgroupFs(dir: string): boolean {
  try {
    const type = Number(fs.statfsSync(dir).type);
    return type === CGROUP_SUPER_MAGIC || type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/** Throws a UsageError unless `dir` is a cgroup root or a recorded tree. */
export function checkRoot(dir: string): void {
  let entries: fs.Dirent[];
  try {
    if (!fs.statSync(dir).isDirectory()) throw new UsageError(`--root ${dir} is not a directory`);
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `--root ${dir} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (err as Error).message})`}`,
    );
  }
  if (isCgroupFs(dir)) return;
  if (entries.some((e) => e.isFile() && (e.name === 'cgroup.controllers' || e.name === 'cgroup.procs'))) return;
  const dirs = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  if (dirs.some((d) => isCgroupFs(path.join(dir, d)))) return;
  if (dirs.some((d) => d.split(',').every((c) => V1_NAMES.has(c)))) return;
  throw new UsageError(
    `--root ${dir} is neither a cgroup filesystem nor a recorded cgroup tree ` +
      '(no cgroup.procs or cgroup.controllers in it, no cgroup mounts or v1 controller directories below it)',
  );
}

/** The value of --root in a command line (`--root DIR` or `--root=DIR`), up to a `--`; undefined when absent. */
export function rootArgument(argv: readonly string[]): string | undefined {
  let root: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '--root' && i + 1 < argv.length) root = argv[++i];
    else if (a.startsWith('--root=')) root = a.slice('--root='.length);
  }
  return root;
}
