/** The cgroup v1 readers, one controller per file (opencontainers/cgroups fs/*). */
export { blkio } from './blkio';
export { cpu } from './cpu';
export { cpuacct } from './cpuacct';
export { cpuset } from './cpuset';
export { hugetlb } from './hugetlb';
export { events, memory } from './memory';
export { pids } from './pids';

import type { ControllerReader } from '../controller';
import { procsReader } from '../procs';
import { cpuPressure, ioPressure, memoryPressure } from '../v2/psi';
import { blkio } from './blkio';
import { cpu } from './cpu';
import { cpuacct } from './cpuacct';
import { cpuset } from './cpuset';
import { hugetlb } from './hugetlb';
import { events, memory } from './memory';
import { pids } from './pids';

/** The v1 readers in the library's order (CRI-O's first, then the extras: PSI from the unified hierarchy), GetPids last. */
export const READERS: readonly ControllerReader[] = [
  cpuset,
  memory,
  cpu,
  cpuacct,
  pids,
  blkio,
  hugetlb,
  events,
  memoryPressure,
  ioPressure,
  cpuPressure,
  procsReader(1),
];
