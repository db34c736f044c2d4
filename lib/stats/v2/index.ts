/** The cgroup v2 readers, one controller per file (opencontainers/cgroups fs2/*). */
export { cpu } from './cpu';
export { events } from './events';
export { hugetlb } from './hugetlb';
export { io } from './io';
export { memory } from './memory';
export { pids } from './pids';
export { cpuPressure, ioPressure, memoryPressure } from './psi';
