/**
 * The package functions of CRI-O's cgmgr: setCgroupManager, newSystemdManager, newDefault, libctrManager and the
 * constants. `moveProcessToContainerCgroup` is in ./move, `libctrManager` in ./libctr.
 */
import { CgroupError } from '../errors';
import { CgroupfsManager } from './cgroupfs';
import { SystemdManager, type SystemdManagerOptions } from './systemd';
import type { CgroupManager } from './types';

export const DEFAULT_CGROUP_MANAGER = 'systemd';
export const CGROUP_MEMORY_PATH_V1 = '/sys/fs/cgroup/memory';
export const CGROUP_MEMORY_PATH_V2 = '/sys/fs/cgroup';

/** "systemd" → SystemdManager, "cgroupfs" → CgroupfsManager (exact, case-sensitive); else `invalid cgroup manager: <name>`. */
export function setCgroupManager(name: string, options: SystemdManagerOptions = {}): CgroupManager {
  switch (name) {
    case 'systemd':
      return new SystemdManager(options);
    case 'cgroupfs':
      return new CgroupfsManager(options);
    default:
      throw new CgroupError(`invalid cgroup manager: ${name}`, { code: 'ERR_CGROUP_INVALID_MANAGER' });
  }
}

export function newSystemdManager(options: SystemdManagerOptions = {}): SystemdManager {
  return new SystemdManager(options);
}

/** CRI-O's New(): the systemd manager. */
export function newDefault(options: SystemdManagerOptions = {}): CgroupManager {
  return setCgroupManager(DEFAULT_CGROUP_MANAGER, options);
}

export { CgroupfsManager } from './cgroupfs';
export { SystemdManager } from './systemd';
export type { SystemdManagerOptions, SystemdConmonError } from './systemd';
export { moveProcessToContainerCgroup, moveProcessToContainerCgroupSync, parseCgroupFile } from './move';
export type { CgroupManager, CgroupManagerOptions, ManagerStatsOptions, SandboxCgroupPath } from './types';
export { LruCache } from './cache';
export { CRIO_PREFIX, libctrManager } from './libctr';
