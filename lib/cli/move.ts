/**
 * `cgmgr move --pid N --to PATH`: moves a process into a cgroup in every hierarchy the cgroup exists in (v1: each
 * controller's directory; v2: the one directory), through the Cgroup handle and the engine's batched pid write.
 * With --create the cgroup is first created in every mounted controller (the handle's apply).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { libctrManager } from '../managers/libctr';
import { base, dir } from '../paths';
import { cgroupRelPath, pid as checkPid } from '../validate';
import type { Command } from './command';
import { EXIT_OK, UsageError, parseCommand, toJson } from './io';

const USAGE = `Usage: cgmgr move --pid N --to PATH [options]

Moves process N into cgroup PATH (relative to the cgroup root, e.g. /kubepods/pod1/crio-abc) in every hierarchy
the cgroup exists in, and says which hierarchies those were and which were skipped (PATH missing there; --create
makes it in every mounted controller first).

Options:
  --pid N        the process to move (required)
  --to PATH      the cgroup (required)
  --create       create the cgroup first, in every mounted controller
  --root DIR     cgroup root (default /sys/fs/cgroup)
  --json         print {pid, cgroup, directories, hierarchies, skipped} as JSON on stdout
  -h, --help     this text

Exit status: 0 moved, 1 not moved (no such process: ESRCH; no such cgroup: ENOENT; no permission: EACCES/EPERM),
2 usage error.
`;

export const moveCommand: Command = {
  name: 'move',
  summary: 'move a process into a cgroup in every hierarchy',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommand(argv, {
      pid: { type: 'string' },
      to: { type: 'string' },
      create: { type: 'boolean' },
      root: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (values.help) {
      io.stdout.write(USAGE);
      return EXIT_OK;
    }
    if (values.pid === undefined) throw new UsageError('--pid is required');
    if (values.to === undefined || values.to === '') throw new UsageError('--to is required');
    if (!/^\d+$/.test(values.pid))
      throw new UsageError(`--pid must be a process id, got ${JSON.stringify(values.pid)}`);
    const pid = checkPid(Number(values.pid), 'pid');
    const target = '/' + cgroupRelPath(values.to, 'to');
    const cg = libctrManager(base(target), dir(target), false, values.root === undefined ? {} : { root: values.root });
    if (values.create) cg.applySync(pid);
    else cg.addPidsSync([pid]);
    // The hierarchy of each directory: the directory without the cgroup's path, named by its last part (v1), or
    // "unified" for the one v2 hierarchy.
    const all = cg.dirs();
    const name = (d: string): string =>
      all.length === 1 ? 'unified' : path.basename(cg.innerPath === '/' ? d : d.slice(0, -cg.innerPath.length));
    const directories = all.filter((d) => fs.existsSync(d));
    const hierarchies = directories.map(name);
    const skipped = all.filter((d) => !fs.existsSync(d)).map(name);
    if (values.json) {
      io.stdout.write(toJson({ pid, cgroup: cg.innerPath, directories, hierarchies, skipped }));
    } else {
      const where =
        all.length === 1 ? '' : ` in ${hierarchies.length} of ${all.length} hierarchies (${hierarchies.join(', ')})`;
      io.stdout.write(`moved ${pid} to ${cg.innerPath}${where}\n`);
      if (skipped.length > 0) {
        io.stderr.write(
          `cgmgr move: skipped ${skipped.join(', ')}: ${cg.innerPath} does not exist there (--create makes it in every hierarchy)\n`,
        );
      }
    }
    return EXIT_OK;
  },
};
