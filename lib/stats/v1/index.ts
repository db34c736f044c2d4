/** The cgroup v1 readers, one controller per file (opencontainers/cgroups fs/*). */
export { blkio } from './blkio';
export { cpu } from './cpu';
export { cpuacct } from './cpuacct';
export { cpuset } from './cpuset';
export { hugetlb } from './hugetlb';
export { events, memory } from './memory';
export { pids } from './pids';
