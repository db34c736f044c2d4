/** The cgroup v2 readers, one controller per file (opencontainers/cgroups fs2/*). */
export { cpu } from './cpu';
export { events } from './events';
export { hugetlb } from './hugetlb';
export { io } from './io';
export { memory } from './memory';
export { pids } from './pids';
export { cpuPressure, ioPressure, memoryPressure } from './psi';

import type { ControllerReader } from '../controller';
import { procsReader } from '../procs';
import { cpu } from './cpu';
import { events } from './events';
import { hugetlb } from './hugetlb';
import { io } from './io';
import { memory } from './memory';
import { pids } from './pids';
import { cpuPressure, ioPressure, memoryPressure } from './psi';

/** The v2 readers in the library's order (CRI-O's first, then the extras), GetPids last. */
export const READERS: readonly ControllerReader[] = [
  pids,
  memory,
  memoryPressure,
  io,
  ioPressure,
  cpu,
  cpuPressure,
  hugetlb,
  events,
  procsReader(2),
];
