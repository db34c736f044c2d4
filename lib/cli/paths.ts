/**
 * `cgmgr paths --manager systemd|cgroupfs --parent P --id ID`: the cgroup paths CRI-O's manager computes for a
 * container and its sandbox, and where conmon goes. Nothing is created; the sandbox path includes the parent's
 * memory check (a read of the parent's memory limit, spec §5.3) with --min-memory (default 0: only parse errors fail).
 */
import type { CgroupManager, CgroupManagerOptions } from '../managers';
import { expandSlice, join } from '../paths';
import type { Command } from './command';
import { EXIT_OK, UsageError, intOption, parseCommand, toJson } from './io';

const USAGE = `Usage: cgmgr paths --manager systemd|cgroupfs --parent PARENT --id ID [options]

Prints the cgroup paths the manager computes for container ID in sandbox parent PARENT (a cgroupfs directory such
as /kubepods/pod1, or a systemd slice such as kubepods-pod1.slice): the container's cgroup path and absolute path,
the sandbox's cgroup parent and path (for a sandbox with id ID), and conmon's cgroup. Nothing is created.

Options:
  --manager NAME      systemd or cgroupfs (required)
  --parent PARENT     the sandbox's cgroup parent ("" for the manager's default)
  --id ID             the container (and sandbox) id (required)
  --min-memory BYTES  the sandbox memory check's minimum (default 0)
  --root DIR          cgroup root for the memory check (default /sys/fs/cgroup)
  --json              one JSON object on stdout
  -h, --help          this text

Exit status: 0 ok, 1 the manager refused the arguments (e.g. a slice given to cgroupfs), 2 usage error.
`;

export interface ManagerPaths {
  manager: string;
  parent: string;
  id: string;
  containerCgroupPath: string;
  containerCgroupAbsolutePath: string;
  sandboxCgroupParent: string;
  sandboxCgroupPath: string;
  /** systemd: the transient scope unit conmon runs in; cgroupfs: none. */
  conmonUnit: string | null;
  conmonCgroupPath: string;
}

/**
 * Where conmon goes with monitor cgroup "pod" (spec §2.6, §4.3): cgroupfs `<parent>/crio-conmon-<id>` (as CRI-O
 * concatenates it, uncleaned), systemd the scope `crio-conmon-<id>.scope` in the pod's slice.
 */
function conmonPlace(manager: string, parent: string, id: string): { unit: string | null; path: string } {
  if (manager === 'cgroupfs') return { unit: null, path: `${parent}/crio-conmon-${id}` };
  const unit = `crio-conmon-${id}.scope`;
  return { unit, path: join(expandSlice(parent === '' ? 'system.slice' : parent), unit) };
}

/**
 * setCgroupManager(name) for the two valid names, loading only that manager's module: `cgmgr paths --manager cgroupfs`
 * does not load the systemd manager and its D-Bus client (a command that starts fast; bench/startup.js).
 */
function managerNamed(name: 'systemd' | 'cgroupfs', options: CgroupManagerOptions): CgroupManager {
  /* eslint-disable @typescript-eslint/no-require-imports */
  if (name === 'cgroupfs')
    return new (require('../managers/cgroupfs') as typeof import('../managers/cgroupfs')).CgroupfsManager(options);
  return new (require('../managers/systemd') as typeof import('../managers/systemd')).SystemdManager(options);
  /* eslint-enable @typescript-eslint/no-require-imports */
}

export const pathsCommand: Command = {
  name: 'paths',
  summary: 'the cgroup paths the systemd or cgroupfs manager computes for a container',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommand(argv, {
      manager: { type: 'string' },
      parent: { type: 'string' },
      id: { type: 'string' },
      'min-memory': { type: 'string' },
      root: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (values.help) {
      io.stdout.write(USAGE);
      return EXIT_OK;
    }
    const manager = values.manager;
    if (manager !== 'systemd' && manager !== 'cgroupfs') throw new UsageError('--manager must be systemd or cgroupfs');
    if (values.id === undefined) throw new UsageError('--id is required');
    if (values.parent === undefined) throw new UsageError('--parent is required ("" for the default)');
    const minMemory = intOption(values['min-memory'], 'min-memory', 0) ?? 0;
    const m = managerNamed(manager, values.root === undefined ? {} : { root: values.root });
    const { id, parent } = { id: values.id, parent: values.parent };
    const sandbox = m.sandboxCgroupPathSync(parent, id, minMemory);
    const conmon = conmonPlace(manager, parent, id);
    const out: ManagerPaths = {
      manager,
      parent,
      id,
      containerCgroupPath: m.containerCgroupPath(parent, id),
      containerCgroupAbsolutePath: m.containerCgroupAbsolutePath(parent, id),
      sandboxCgroupParent: sandbox.cgParent,
      sandboxCgroupPath: sandbox.cgPath,
      conmonUnit: conmon.unit,
      conmonCgroupPath: conmon.path,
    };
    if (values.json) {
      io.stdout.write(toJson(out));
    } else {
      // "key:  value", values as typed ("" shown as "", no value as -).
      const values: Record<keyof ManagerPaths, string | null> = out;
      const entries = Object.entries(values);
      const w = Math.max(...entries.map(([k]) => k.length)) + 1;
      const show = (v: string | null): string => (v === null ? '-' : v === '' ? '""' : v);
      io.stdout.write(entries.map(([k, v]) => `${(k + ':').padEnd(w)}  ${show(v)}`).join('\n') + '\n');
    }
    return EXIT_OK;
  },
};
